/**
 * k6's --summary-export FILE: the end-of-test summary in k6's export format (what CI tools
 * written for k6 read), thresholds true when they FAILED as k6 writes them, checks keyed by
 * name; written whatever the verdict, beside the run's own summary. The built-in scenarios
 * refuse it (they write --json).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-summary-export-');

test("--summary-export writes k6's export: metrics, thresholds (true = failed), checks by name", async () => {
  const f = t.script(
    'export.js',
    `import http from 'k6/http';
import { check } from 'k6';
import { Gauge } from 'k6/metrics';
const depth = new Gauge('depth');
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 12 } },
  thresholds: { http_req_duration: ['p(95)<60000'], http_reqs: ['count<5'] },
};
export default async function () {
  const r = await http.get('$URL/ok');
  check(r, { 'is 200': (x) => x.status === 200, never: () => false });
  depth.add(7);
}
`,
  );
  const file = join(t.dir, 'nested', 'summary.json');
  const r = await run(['run', f, '--summary-export', file]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`Written:[\\s\\S]*${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const d = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(d).sort(), ['metrics', 'root_group']);
  const dur = d.metrics.http_req_duration;
  for (const k of ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']) assert.equal(typeof dur[k], 'number', k);
  assert.deepEqual(dur.thresholds, { 'p(95)<60000': false });
  assert.deepEqual(d.metrics.http_reqs.thresholds, { 'count<5': true });
  assert.equal(d.metrics.http_reqs.count, 12);
  assert.equal(typeof d.metrics.http_reqs.rate, 'number');
  assert.deepEqual(d.metrics.checks, { passes: 12, fails: 12, value: 0.5 });
  assert.deepEqual(d.metrics.depth, { value: 7, min: 7, max: 7 });
  assert.equal(d.root_group.path, '');
  assert.deepEqual(d.root_group.groups, {});
  assert.deepEqual(
    { ...d.root_group.checks['is 200'], id: undefined },
    { name: 'is 200', path: '::is 200', id: undefined, passes: 12, fails: 0 },
  );
  assert.equal(d.root_group.checks.never.fails, 12);
});

test('--summary-export on the built-in scenarios is 104', async () => {
  const r = await run(['run', 'order-stress', '--summary-export', join(t.dir, 'x.json')]);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /--summary-export is k6's summary of a script/);
});

test('--summary-export to a path that cannot be written is said, naming the flag; the summary and verdict still come', async () => {
  const f = t.script(
    'unwritable.js',
    `import { check } from 'k6';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3 } } };
export default function () { check(1, { ok: () => true }); }
`,
  );
  // a file where a directory should be: mkdir fails (EEXIST or ENOTDIR)
  const blocker = join(t.dir, 'a-file');
  writeFileSync(blocker, 'not a directory');
  const target = join(blocker, 'summary.json');
  const r = await run(['run', f, '--summary-export', target]);
  // as k6 logs a failed export: the run's own verdict decides the exit code
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stderr,
    new RegExp(`--summary-export ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write it`),
  );
  assert.match(r.stdout, /checks\.+: 100\.00%/);
  assert.match(r.stdout, /PASSED: every threshold met \(exit code 0\)/);
});
