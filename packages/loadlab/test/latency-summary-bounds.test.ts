/**
 * A latency summary never reports a percentile above the exact maximum (or below the exact
 * minimum): HdrHistogram answers a percentile with its bucket's highest equivalent value,
 * up to 0.1% above the largest latency recorded, so p99.99 read 31.679 ms beside a max of
 * 31.671 ms. The same holds per second in the time series.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder, recorderSummaryMs, Timeline } from '@tickstorm/loadlab';

const PERCENTILES = ['p50', 'p66', 'p75', 'p80', 'p90', 'p95', 'p98', 'p99', 'p99_9', 'p99_99', 'p99_999'];

test('percentiles stay within the exact min and max', () => {
  const rec = new LatencyRecorder();
  for (let i = 0; i < 99; i++) rec.record(1001);
  rec.record(31_671);
  const s = recorderSummaryMs(rec) as unknown as Record<string, number>;
  assert.equal(s.max, 31.671);
  assert.equal(s.min, 1.001);
  for (const p of PERCENTILES) {
    assert.ok(s[p] <= s.max, `${p} ${s[p]} > max ${s.max}`);
    assert.ok(s[p] >= s.min, `${p} ${s[p]} < min ${s.min}`);
  }
  assert.equal(s.p99_99, 31.671);
});

test("a second's percentiles stay within its exact max", () => {
  const t = new Timeline(0, 0);
  for (let i = 0; i < 99; i++) t.record(1000, 1001, true);
  t.record(2000, 31_671, true);
  t.finish();
  const [slice] = t.slices;
  assert.equal(slice.max, 31.671);
  const all = { ...slice.more, p50: slice.p50, p95: slice.p95, p99: slice.p99 } as Record<string, number>;
  for (const [k, v] of Object.entries(all)) assert.ok(v <= slice.max, `${k} ${v} > max ${slice.max}`);
});
