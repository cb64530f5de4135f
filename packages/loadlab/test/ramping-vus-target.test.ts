/**
 * ramping-vus's VUs at each moment are k6's: a ramp up adds a VU when the linear count reaches
 * it, a ramp down removes one when the count reaches the number below it. Before, both were
 * rounded down, so a ramp down lost a VU at once and a ramp to 0 ran its last part with none:
 * `startVUs: 2, stages: [{ duration: '2s', target: 0 }]` ran 1 VU, then 0 for its second half.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeExecutor, vuTarget } from '@tickstorm/loadlab';

const ramp = (startVUs: number, stages: [string, number][]) =>
  normalizeExecutor({
    executor: 'ramping-vus',
    startVUs,
    stages: stages.map(([duration, target]) => ({ duration, target })),
  });

test('a ramp down keeps each VU until the count reaches the one below it', () => {
  const ex = ramp(2, [['2s', 0]]);
  if (ex.model !== 'closed') throw new Error('closed model expected');
  assert.equal(vuTarget(ex, 0), 2);
  assert.equal(vuTarget(ex, 500), 2);
  assert.equal(vuTarget(ex, 999), 2);
  assert.equal(vuTarget(ex, 1000), 1);
  assert.equal(vuTarget(ex, 1999), 1);
});

test('a ramp up adds each VU when the count reaches it; up then down as k6 steps it', () => {
  const ex = ramp(0, [
    ['1s', 3],
    ['1s', 0],
  ]);
  if (ex.model !== 'closed') throw new Error('closed model expected');
  assert.deepEqual(
    [0, 332, 334, 666, 667, 999, 1000, 1300, 1334, 1666, 1667, 1999].map((ms) => vuTarget(ex, ms)),
    [0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 1, 1],
  );
});

test('a moment before the start (the thread starts up to 1 ms early) is the start: never a VU more', () => {
  // a ramp down extrapolated back to -0.5 ms gave 2.0005 VUs, rounded up to 3 of 2: the
  // script's `vus` gauge showed max=3
  const ex = ramp(2, [['1s', 1]]);
  if (ex.model !== 'closed') throw new Error('closed model expected');
  assert.equal(vuTarget(ex, -0.5), 2);
  assert.equal(vuTarget(ex, -20), 2);
});
