/**
 * A script's Gauge across threads and machines: each thread's state travels as counter keys of
 * its own; read back, the states merge as the value added last (by time), the least min and
 * the greatest max; adding reports' counters (a master, `tickstorm merge`) merges a gauge's
 * keys as a gauge, never as a sum. And a scenario's `env` and exec.test.options as parsed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addCounters,
  gaugesFromCounters,
  gaugesToCounters,
  mergeGauge,
  parseScriptOptions,
} from '@tickstorm/loadlab';

test('two threads: the later value, min of mins, max of maxes; a counter beside it still sums', () => {
  const a: Record<string, number> = { 'metric:counter:hits': 3 };
  const b: Record<string, number> = { 'metric:counter:hits': 4 };
  gaugesToCounters(new Map([['depth', { value: 5, min: 1, max: 9, t: 2000 }]]), 0, a);
  gaugesToCounters(new Map([['depth', { value: 7, min: 3, max: 8, t: 1000 }]]), 1, b);
  const sum: Record<string, number> = {};
  for (const c of [a, b]) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  assert.deepEqual(gaugesFromCounters(sum).get('depth'), { value: 5, min: 1, max: 9, t: 2000 });
  assert.equal(sum['metric:counter:hits'], 7);
});

test('adding two reports with the same thread key merges the gauge instead of summing it', () => {
  const into: Record<string, number> = {};
  const one: Record<string, number> = { 'metric:counter:hits': 1 };
  const two: Record<string, number> = { 'metric:counter:hits': 2 };
  gaugesToCounters(new Map([['q', { value: 10, min: 10, max: 10, t: 5 }]]), 0, one);
  gaugesToCounters(new Map([['q', { value: 2, min: -4, max: 6, t: 9 }]]), 0, two);
  addCounters(into, one);
  addCounters(into, two);
  assert.equal(into['metric:counter:hits'], 3);
  assert.deepEqual(gaugesFromCounters(into).get('q'), { value: 2, min: -4, max: 10, t: 9 });
  assert.deepEqual(mergeGauge(undefined, { value: 1, min: 1, max: 1, t: 0 }), {
    value: 1,
    min: 1,
    max: 1,
    t: 0,
  });
});

test("a scenario's env is parsed (strings only); exec.test.options fills in the scenarios", () => {
  const fn = () => undefined;
  const ok = parseScriptOptions(
    { scenarios: { a: { executor: 'per-vu-iterations', vus: 1, iterations: 1, env: { BASE: 'x' } } } },
    { default: fn },
  );
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.options.scenarios[0].env, { BASE: 'x' });
  assert.deepEqual(ok.options.resolved.scenarios, {
    a: { executor: 'per-vu-iterations', vus: 1, iterations: 1, env: { BASE: 'x' }, exec: 'default' },
  });
  const short = parseScriptOptions({ vus: 2, duration: '5s' }, { default: fn });
  assert.deepEqual(short.options.resolved, {
    vus: 2,
    duration: '5s',
    scenarios: { default: { executor: 'constant-vus', vus: 2, duration: '5s', exec: 'default' } },
  });
  const bad = parseScriptOptions(
    { scenarios: { a: { executor: 'per-vu-iterations', env: { N: 1 } } } },
    { default: fn },
  );
  assert.match(bad.problems.join('\n'), /options\.scenarios\.a\.env must be an object of strings/);
});
