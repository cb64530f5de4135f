/**
 * `tickstorm merge`'s bottom line claims only what it checked: scenario targets are per run
 * and a merge does not check them again, so a passing merge of runs whose targets failed
 * says "every threshold met", not "every threshold and scenario target met".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeJsonReport } from '@tickstorm/loadlab';
import { buildRunReport, recordedScenario as scenario } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-verdict-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('merge of runs whose scenario target failed: PASSED names thresholds only', async () => {
  const parts = [0, 1].map((k) => {
    // two different runs (a copy of one report is refused: its requests would count twice)
    const s = scenario(Array.from({ length: 1_000 }, (_, i) => 500 + i + k));
    s.targets = [
      {
        name: 'Orders/s',
        target: '>= 500 orders/s',
        actual: '479 orders/s',
        value: 479,
        unit: 'orders/s',
        pass: false,
      },
    ];
    const report = buildRunReport([s]);
    report.exitCode = 99;
    const f = join(dir, `part-${k}.json`);
    writeJsonReport(f, report);
    return f;
  });
  const r = await tickstorm(['merge', ...parts, '--threshold', 'p99<300ms']);
  assert.equal(r.code, 0, r.stderr);
  const verdict = r.stdout.trim().split('\n').at(-1);
  assert.equal(
    verdict,
    'PASSED: every threshold met (exit code 0; scenario targets are not checked on merged reports)',
  );
});

test('every problem at once: each file that is not a report and each bad --threshold, exit 104', async () => {
  const good = join(dir, 'good.json');
  writeJsonReport(good, buildRunReport([scenario([500, 600])]));
  const notJson = join(dir, 'not-json.json');
  writeFileSync(notJson, '{');
  const r = await tickstorm(['merge', good, join(dir, 'missing.json'), notJson, '--threshold', 'p95<']);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /^tickstorm merge: invalid configuration \(3 problems\):\n/);
  assert.match(r.stderr, /\n {2}- threshold "p95<": /);
  assert.match(r.stderr, /\n {2}- .*missing\.json: cannot read it \(ENOENT/);
  assert.match(r.stderr, /\n {2}- .*not-json\.json: not JSON/);
  assert.equal(r.stdout, '', 'nothing merged');
});
