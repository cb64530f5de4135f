/**
 * `tickstorm merge` of one report given twice (the same path, or a copy of the file) would
 * count its requests twice: exit 104 naming the files. Two different runs still merge.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeJsonReport } from '@tickstorm/loadlab';
import { buildRunReport, recordedScenario as scenario } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

let dir: string;
let a: string;
let b: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-twice-'));
  [a, b] = [0, 1].map((k) => {
    const file = join(dir, `run-${k}.json`);
    const samples = Array.from({ length: 50 }, (_, i) => ({
      type: 'GET',
      name: '/x',
      us: 100 * (i + 1 + k),
    }));
    writeJsonReport(file, buildRunReport([scenario(samples, 1_732_280_000_000 + k * 1000)]));
    return file;
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the same file given twice is refused (104), naming it', async () => {
  const r = await tickstorm(['merge', a, b, a]);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(r.stderr, /run-0\.json is given twice: its requests would count twice/);
});

test('a copy of a report is refused (104), naming both files', async () => {
  const copy = join(dir, 'copy.json');
  copyFileSync(a, copy);
  const r = await tickstorm(['merge', a, copy]);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /copy\.json holds the same run as \S*run-0\.json \(same start, end and histograms\)/,
  );
});

test('two different runs merge (0)', async () => {
  const r = await tickstorm(['merge', a, b]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 reports merged/);
});
