/** The generator's CPU is judged only over a run long enough for it to mean something. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assessHealth, type HealthInput } from '../src/monitor/health.ts';

const base: HealthInput = {
  model: 'closed',
  cpuPercent: 115,
  threads: [],
  workers: 1,
  dropped: 0,
  maxVUs: 1,
  planned: 0,
  started: 0,
  startLagP99Ms: 0,
  cores: 1,
};

test('115% of one core over 16 ms (start-up) raises no "add --workers" warning', () => {
  assert.deepEqual(assessHealth({ ...base, wallSec: 0.016 }).warnings, []);
});

test('115% of one core over 10 s does', () => {
  const w = assessHealth({ ...base, wallSec: 10 }).warnings;
  assert.equal(w.length, 1);
  assert.match(w[0], /generator CPU 115% of one core .*add --workers or cores/);
});
