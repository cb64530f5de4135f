/**
 * k6's vus_max for ramping-vus (its GetExecutionRequirements and GetFullExecutionRequirements):
 * alone, the greatest of startVUs and the stages' targets; beside another scenario, the VUs it
 * plans at each instant (a ramp's VUs come one at a time, a ramp-down's are kept for
 * gracefulRampDown), summed with the others' instant by instant. Before, a ramping-vus scenario
 * counted with its peak for its whole life: 15 where k6 plans 10 below.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rampingVusSteps } from '../src/generator/ramping-vus-plan.ts';
import type { ScriptScenario } from '../src/script/options.ts';
import { vusPlan } from '../src/script/vus-plan.ts';

const sc = (name: string, executor: Record<string, unknown>, startTimeMs = 0) =>
  ({ name, executor, startTimeMs }) as unknown as ScriptScenario;

test('alone: the greatest of startVUs and the targets', () => {
  const ramp = (startVUs: number, stages: [string, number][]) =>
    vusPlan([
      sc('r', {
        executor: 'ramping-vus',
        startVUs,
        stages: stages.map(([duration, target]) => ({ duration, target })),
      }),
    ]).total;
  assert.equal(
    ramp(4, [
      ['1s', 2],
      ['1s', 6],
      ['1s', 0],
    ]),
    6,
  );
  assert.equal(ramp(7, [['1s', 2]]), 7);
  assert.equal(ramp(0, [['10s', 10]]), 10);
});

test('the ramp one VU at a time; a ramp-down kept for gracefulRampDown; 0 at the end', () => {
  const ex = { gracefulStopMs: 30_000 };
  assert.deepEqual(
    rampingVusSteps({ ...ex, gracefulRampDownMs: 0, segments: [{ from: 0, to: 2, ms: 2000 }] }),
    [
      { at: 0, vus: 0 },
      { at: 1000, vus: 1 },
      { at: 2000, vus: 2 },
      { at: 32_000, vus: 0 },
    ],
  );
  assert.deepEqual(
    rampingVusSteps({ ...ex, gracefulRampDownMs: 5000, segments: [{ from: 2, to: 0, ms: 2000 }] }),
    [
      { at: 0, vus: 2 },
      { at: 6000, vus: 1 },
      { at: 7000, vus: 0 },
    ],
  );
  // a part of the test: the second half's VUs are the 2nd, 4th, ... of the whole
  assert.deepEqual(
    rampingVusSteps(
      { ...ex, gracefulRampDownMs: 0, segments: [{ from: 0, to: 4, ms: 4000 }] },
      { index: 1, count: 2 },
    ),
    [
      { at: 0, vus: 0 },
      { at: 2000, vus: 1 },
      { at: 4000, vus: 2 },
      { at: 34_000, vus: 0 },
    ],
  );
});

test('beside another scenario: summed step by step, as k6 plans them (10, not 15)', () => {
  // a ramps 0 -> 10 over 1 s (2 VUs at 200 ms); b holds 5 VUs until 200 ms
  const a = sc('a', {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [{ duration: '1s', target: 10 }],
    gracefulRampDown: '0s',
  });
  const b = sc('b', { executor: 'constant-vus', vus: 5, duration: '200ms', gracefulStop: '0s' });
  const p = vusPlan([a, b]);
  assert.equal(p.total, 10);
  assert.deepEqual(
    [...p.shares],
    [
      ['a', 10],
      ['b', 0],
    ],
  );
  // a ramps down at once (gracefulRampDown 0s): c, from 2 s, reuses its VUs
  const down = sc('d', {
    executor: 'ramping-vus',
    startVUs: 10,
    stages: [{ duration: '1s', target: 0 }],
    gracefulRampDown: '0s',
  });
  const c = sc('c', { executor: 'constant-vus', vus: 3, duration: '1s' }, 2000);
  assert.equal(vusPlan([down, c]).total, 10);
  // kept for gracefulRampDown (30 s), its VUs add to c's
  const kept = sc('k', { executor: 'ramping-vus', startVUs: 10, stages: [{ duration: '1s', target: 0 }] });
  assert.equal(vusPlan([kept, c]).total, 13);
});

test('a ramp to 200,000 VUs (a step per VU) is planned, not a RangeError', () => {
  const big = sc('big', {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [{ duration: '10m', target: 200_000 }],
  });
  assert.equal(vusPlan([big]).total, 200_000);
});
