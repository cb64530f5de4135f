import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ArrivalSchedule,
  ExecutorOptionsError,
  normalizeExecutor,
  parseDuration,
  runScenario,
  validateExecutor,
  vuShare,
} from '@tickstorm/loadlab';

test('duration strings: k6 forms, bare seconds, compounds; junk is NaN', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2.5s'), 2500);
  assert.equal(parseDuration('10'), 10_000);
  assert.equal(parseDuration(3), 3000);
  for (const bad of ['', 's', '10x', '10 s', '-1s', 'ms10']) assert.ok(Number.isNaN(parseDuration(bad)), bad);
});

test('validateExecutor reports every problem at once', () => {
  const problems = validateExecutor({
    executor: 'constant-arrival-rate',
    rate: -5,
    timeUnit: 'soon',
    duration: '0s',
    preAllocatedVUs: 1.5,
    maxVUs: 1,
    stages: [],
  });
  const expect = [
    /rate must be a number/,
    /timeUnit must be a duration/,
    /duration must be longer than 0/,
    /preAllocatedVUs must be an integer/,
    /unknown option 'stages'/,
  ];
  for (const re of expect)
    assert.ok(
      problems.some((p) => re.test(p)),
      `${re} in ${problems.join(' | ')}`,
    );
  assert.equal(problems.length, expect.length);
  const ramp = validateExecutor({
    executor: 'ramping-vus',
    stages: [{ target: -1, duration: 'x' }, { target: 2 }],
    thinkTime: { min: '2s', max: '1s' },
  });
  assert.equal(ramp.length, 4, ramp.join(' | '));
  assert.match(validateExecutor({ executor: 'externally-controlled' })[0], /executor must be one of/);
  assert.match(
    validateExecutor({
      executor: 'constant-arrival-rate',
      rate: 1,
      duration: '1s',
      preAllocatedVUs: 5,
      maxVUs: 2,
    })[0],
    /maxVUs \(2\) must be >= preAllocatedVUs \(5\)/,
  );
  assert.deepEqual(validateExecutor({ executor: 'constant-vus', vus: 3, duration: '10s' }), []);
  assert.throws(
    () => normalizeExecutor({ executor: 'constant-vus', duration: 'never' }),
    ExecutorOptionsError,
  );
});

test('runScenario rejects invalid options with every problem listed', async () => {
  await assert.rejects(
    runScenario({
      executor: { executor: 'ramping-arrival-rate', stages: [], preAllocatedVUs: 0 } as never,
      script: () => ({ start() {} }),
    }),
    (e: unknown) => e instanceof ExecutorOptionsError && e.problems.length === 2,
  );
});

test('constant rate: iteration g is due at g / rate, no drift, exactly rate x duration iterations', () => {
  const ex = normalizeExecutor({
    executor: 'constant-arrival-rate',
    rate: 3,
    timeUnit: '1ms',
    duration: '2s',
    preAllocatedVUs: 1,
  });
  assert.equal(ex.model, 'open');
  if (ex.model !== 'open') return;
  const s = new ArrivalSchedule(ex.segments);
  const times: number[] = [];
  for (let t = s.next(); t >= 0; t = s.next()) times.push(t);
  assert.equal(times.length, 6000);
  assert.equal(s.totalIterations, 6000);
  for (let g = 0; g < times.length; g++) assert.ok(Math.abs(times[g] - (g * 1000) / 3) < 1e-6, `g=${g}`);
});

test('ramping rate integrates the ramp; worker strides interleave into the global schedule', () => {
  const ex = normalizeExecutor({
    executor: 'ramping-arrival-rate',
    startRate: 0,
    timeUnit: '1s',
    stages: [
      { target: 200, duration: '1s' },
      { target: 200, duration: '1s' },
      { target: 0, duration: '500ms' },
    ],
    preAllocatedVUs: 1,
  });
  if (ex.model !== 'open') return assert.fail('open model expected');
  const all = new ArrivalSchedule(ex.segments);
  const times: number[] = [];
  for (let t = all.next(); t >= 0; t = all.next()) times.push(t);
  assert.equal(times.length, 100 + 200 + 50);
  // N(t) = 100 t^2 during the first second: iteration 25 at t = 0.5 s
  assert.ok(Math.abs(times[25] - 500_000) < 1e-3);
  assert.ok(Math.abs(times[100] - 1_000_000) < 1e-3);
  assert.ok(Math.abs(times[200] - 1_500_000) < 1e-3);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1]);
  const parts = [0, 1, 2].map((w) => new ArrivalSchedule(ex.segments, w, 3));
  const merged: number[] = [];
  for (let g = 0; g < times.length; g++) merged.push(parts[g % 3].next());
  assert.deepEqual(merged, times);
  assert.equal(
    parts.reduce((a, p) => a + p.share, 0),
    times.length,
  );
});

test('VU shares over threads add up to the whole', () => {
  for (const total of [0, 1, 2, 7, 100]) {
    for (const count of [1, 2, 3]) {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += vuShare(total, i, count);
      assert.equal(sum, total);
    }
  }
});
