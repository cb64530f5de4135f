/**
 * A percentile is its HdrHistogram bucket's highest equivalent value, which can lie above the
 * largest value recorded: every summary caps it there, so no report shows p99 above max.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricView } from '../src/script/k6-metrics.ts';
import { createLatencyHistogram, latencySummaryMs, recordUs } from '../src/stats/histogram.ts';
import { LatencyRecorder } from '../src/stats/recorder.ts';
import { RequestStats } from '../src/stats/request-stats.ts';
import { Timeline } from '../src/stats/timeline.ts';

// 84,229 µs lies in a 64 µs bucket (3 significant digits) whose highest value is 84,287 µs
const SAMPLES = [5_229, 6_000, 7_007, 84_229];

test('latencySummaryMs: no percentile above max', () => {
  const h = createLatencyHistogram();
  for (const us of SAMPLES) recordUs(h, us);
  assert.ok(h.getValueAtPercentile(99) > h.maxValue, 'the bucket reads above the largest value');
  const s = latencySummaryMs(h);
  assert.equal(s.max, 84.229);
  for (const k of ['p50', 'p90', 'p95', 'p99', 'p99_9', 'p99_99', 'p99_999'] as const)
    assert.ok(s[k]! <= s.max, `${k} ${s[k]} <= max ${s.max}`);
  assert.equal(s.p99, 84.229);
});

test("a second of the time series: p99 not above that second's max", () => {
  const t = new Timeline(0, 1_000_000);
  for (const us of SAMPLES) t.record(1000, us, true);
  t.finish();
  const s = t.slices[0];
  assert.equal(s.max, 84.229);
  assert.ok(s.p99 <= s.max && s.p95 <= s.max, JSON.stringify(s));
  assert.ok((s.more?.p99_99 ?? 0) <= s.max);
});

test("a script's k6 metrics: http_req_duration's p(99) and a p(99) threshold not above max", () => {
  const stats = new RequestStats({ startUs: 0, startEpochMs: 0 });
  for (const us of SAMPLES)
    stats.record({
      type: 'GET',
      name: '/x',
      latencyUs: us,
      ok: true,
      status: 200,
      error: null,
      bytes: 0,
      timeUs: 1,
    });
  const view = new MetricView([{ scenario: 's', stats, counters: {}, iterations: 4, dropped: 0 }], 1);
  const v = view.value('http_req_duration', 'trend').values as Record<string, number>;
  assert.equal(v.max, 84.229);
  assert.ok(v['p(99)'] <= v.max && v['p(95)'] <= v.max, JSON.stringify(v));
  const actual = view.actual({
    key: 'http_req_duration',
    source: 'p(99.9)<84.25',
    metric: 'http_req_duration',
    kind: 'trend',
    tags: {},
    agg: 'p',
    pct: 99.9,
    op: '<',
    value: 84.25,
    abortOnFail: false,
    delayAbortEvalMs: 0,
  });
  assert.equal(actual, 84.229);
  const r = new LatencyRecorder();
  for (const us of SAMPLES) r.record(us);
  assert.equal(r.maxUs, 84_229);
});
