/**
 * The generator's summary `loadlab_request_latency_seconds` has `_sum` beside `_count`, as a
 * Prometheus summary does (before: `_count` alone, so the usual mean of a summary,
 * `rate(_sum[1m]) / rate(_count[1m])`, had no data): the latencies of every request so far,
 * equal to the sum of the scenario's `loadlab_request_duration_seconds_sum` series, setup()'s
 * part included under its own scenario. Each scenario's samples (quantiles, _sum, _count) are
 * written together, one OpenMetrics MetricPoint (before, every quantile came first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DURATION_BUCKETS_S } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { startLoadMetricsServer } from '../src/monitor/prometheus-exporter.ts';

const buckets = (n: number): number[] => {
  const b = new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0);
  b[3] = n;
  return b;
};

test('the summary has _sum: every request latency so far, in seconds', async () => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { requests: 30, failures: 0, p50: 2, p95: 4, p99: 6, max: 9, active: 3 };
    const latency = [
      { name: '/a', buckets: buckets(20), sumUs: 40_000 },
      { name: '/b', buckets: buckets(10), sumUs: 25_000 },
    ];
    srv.observe('browse', { t: 1, ...slice }, { latency, counters: {} });
    srv.observe('browse', { t: 2, ...slice }, { latency, counters: {} });
    srv.addPart('(setup)', {
      requests: 2,
      failures: 0,
      latency: [{ name: '/login', buckets: buckets(2), sumUs: 3_000 }],
      counters: {},
    });
    const samples = promSamples(await (await fetch(srv.url)).text());
    const one = (name: string, scenario: string) =>
      samples.filter((s) => s.name === name && s.labels.scenario === scenario).map((s) => s.value);
    assert.deepEqual(one('loadlab_request_latency_seconds_sum', 'browse'), [0.13]);
    assert.deepEqual(one('loadlab_request_latency_seconds_count', 'browse'), [60]);
    assert.deepEqual(one('loadlab_request_latency_seconds_sum', '(setup)'), [0.003]);
    const histogramSum = one('loadlab_request_duration_seconds_sum', 'browse').reduce((a, b) => a + b, 0);
    assert.equal(histogramSum, 0.13);
  } finally {
    await srv.close({ wait: false });
  }
});

test("each scenario's summary samples are together (quantiles, _sum, _count), as OpenMetrics wants a MetricPoint", async () => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { requests: 3, failures: 0, p50: 2, p95: 4, p99: 6, max: 9, active: 1 };
    srv.observe('a', { t: 1, ...slice });
    srv.observe('b', { t: 1, ...slice });
    const lines = (await (await fetch(srv.url)).text())
      .split('\n')
      .filter((l) => l.startsWith('loadlab_request_latency_seconds'));
    const scenarios = lines.map((l) => /scenario="(\w+)"/.exec(l)?.[1]);
    assert.deepEqual(
      scenarios,
      ['a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b', 'b'],
      lines.join('\n'),
    );
    assert.match(lines[4], /^loadlab_request_latency_seconds_sum\{scenario="a"\} /);
    assert.match(lines[5], /^loadlab_request_latency_seconds_count\{scenario="a"\} 3$/);
  } finally {
    await srv.close({ wait: false });
  }
});
