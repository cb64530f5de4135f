/**
 * A run worker's per-second series on the master (swarm/part-series.ts): each part brings the
 * seconds closed since the previous one, appended once; a worker cannot make the master hold
 * more than one entry per second of the run (before, a hostile worker's parts could add any
 * number of entries with ever-later times, up to 64 MB per message, all kept).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunReport } from '../src/model/result.ts';
import { withSeries } from '../src/swarm/part-series.ts';

const T0 = 1_800_000_000.123; // epoch s, as the slices carry it
const NOW_MS = (T0 + 100) * 1000;

function part(ts: number[]): RunReport {
  return {
    scenarios: [{ scenario: 'a', timeseries: ts.map((t) => ({ t, requests: 1 })) }],
  } as unknown as RunReport;
}
const times = (r: RunReport) => r.scenarios[0].timeseries.map((x) => x.t);

test('seconds are appended once, in order, as parts bring them', () => {
  const p1 = withSeries(undefined, part([T0, T0 + 1]), NOW_MS);
  assert.deepEqual(times(p1), [T0, T0 + 1]);
  // a second already held is not added twice
  const p2 = withSeries(p1, part([T0 + 1, T0 + 2, T0 + 3]), NOW_MS);
  assert.deepEqual(times(p2), [T0, T0 + 1, T0 + 2, T0 + 3]);
  // a part with nothing new keeps what is held
  assert.deepEqual(times(withSeries(p2, part([]), NOW_MS)), times(p2));
});

test('a hostile part: entries closer than a second, from the future, or not numbers are not kept', () => {
  const dense = Array.from({ length: 100_000 }, (_, i) => T0 + i * 0.001);
  const r = withSeries(undefined, part(dense), NOW_MS);
  // one per second of those 100 s (a second's 1 ms of rounding slack: at most 101)
  assert.ok(times(r).length >= 100 && times(r).length <= 101, `${times(r).length} kept`);
  const future = withSeries(r, part([T0 + 150, T0 + 1e6]), NOW_MS);
  // within the 60 s allowed ahead of the master's clock (T0 + 100): kept; far past it: not
  assert.deepEqual(times(future).slice(-1), [T0 + 150]);
  assert.equal(times(future).length, times(r).length + 1);
  const junk = {
    scenarios: [{ scenario: 'a', timeseries: [{ t: 'x' }, null, { t: Number.NaN }] }],
  } as unknown as RunReport;
  assert.deepEqual(times(withSeries(future, junk, NOW_MS)), times(future));
});
