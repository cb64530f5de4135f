/**
 * A script's Trend named with its unit (`order_ack_ms`, as examples/orders-script.ts has it)
 * is exported in seconds without the `_ms`: `loadlab_script_order_ack_seconds`, not
 * `..._order_ack_ms_seconds`, which names two units and which Prometheus's linter refuses
 * ("metric names should not contain abbreviated units"). So are a script's other names
 * promtool would refuse: k6's own examples `my_counter` and `my_gauge` (a type in the name),
 * camelCase, a time Trend's `_s` (before, each of them failed `promtool check metrics`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLoadMetricsServer } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { assertPromtoolAccepts } from './support/promtool.ts';

test('a Trend named x_ms is the histogram loadlab_script_x_seconds; promtool has no complaint', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    // 300 µs x2 (HdrHistogram counter index 300: exact below 2.048 ms)
    const counters = { 'trend:order_ack_ms:300': 2, 'trend:order_ack_ms:sum': 600 };
    srv.observe('s', slice, { latency: [], counters });
    const text = srv.render();
    assert.match(text, /^# TYPE loadlab_script_order_ack_seconds histogram$/m);
    assert.doesNotMatch(text, /_ms_/);
    const count = promSamples(text).find((r) => r.name === 'loadlab_script_order_ack_seconds_count');
    assert.equal(count?.value, 2);
    assertPromtoolAccepts(t, text);
  } finally {
    await srv.close({ wait: false });
  }
});

test('a Gauge named like another series (open_total, wait_seconds) gets a family of its own', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    const gauge = (name: string, value: number) => ({
      [`gauge:${name}:0:value`]: value,
      [`gauge:${name}:0:min`]: value,
      [`gauge:${name}:0:max`]: value,
      [`gauge:${name}:0:t`]: 1_000,
    });
    const counters = {
      'metric:counter:open': 50, // Counter open: loadlab_script_open_total
      ...gauge('open_total', 5), // Gauge open_total: not added into that counter
      'trend:wait:300': 2, // Trend wait: the histogram loadlab_script_wait_seconds
      'trend:wait:sum': 600,
      ...gauge('wait_seconds', 3), // Gauge wait_seconds: not typed as that histogram
      ...gauge('depth', 7), // Gauge depth: its own name, as before
    };
    srv.observe('s', slice, { latency: [], counters });
    const text = srv.render();
    const rows = promSamples(text);
    const value = (name: string) => rows.find((r) => r.name === name)?.value;
    assert.equal(value('loadlab_script_open_total'), 50, 'the counter counts only the Counter');
    assert.equal(value('loadlab_script_open_total_value'), 5);
    assert.equal(value('loadlab_script_wait_seconds_count'), 2);
    assert.equal(value('loadlab_script_wait_seconds_value'), 3);
    assert.equal(value('loadlab_script_depth'), 7);
    assert.match(text, /^# TYPE loadlab_script_open_total counter$/m);
    assert.match(text, /^# TYPE loadlab_script_wait_seconds histogram$/m);
    assertPromtoolAccepts(t, text);
  } finally {
    await srv.close({ wait: false });
  }
});

test("k6's names (my_counter, my_gauge, camelCase, a time unit) are spelt as promtool wants", async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    const counters = {
      'metric:counter:my_counter': 4, // k6's documentation's Counter
      'metric:counter:ordersPlaced': 3,
      'metric:rate:my_rate:pass': 1,
      'metric:rate:my_rate:total': 2,
      'metric:rate:okRate:pass': 1,
      'metric:rate:okRate:total': 1,
      'trend:waitTime_s:300': 2, // a Trend of times: values in ms whatever its name says
      'trend:waitTime_s:sum': 600,
      'trend:summary_sec:300': 1,
      'trend:summary_sec:sum': 300,
      'gauge:my_gauge:0:value': 9, // k6's documentation's Gauge
      'gauge:my_gauge:0:min': 9,
      'gauge:my_gauge:0:max': 9,
      'gauge:my_gauge:0:t': 1_000,
      'gauge:queueDepth:0:value': 2,
      'gauge:queueDepth:0:min': 2,
      'gauge:queueDepth:0:max': 2,
      'gauge:queueDepth:0:t': 1_000,
    };
    srv.observe('s', slice, { latency: [], counters });
    const text = srv.render();
    const rows = promSamples(text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      rows.find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v))?.value;
    assert.equal(value('loadlab_script_my_counters_total'), 4);
    assert.equal(value('loadlab_script_orders_placed_total'), 3);
    assert.equal(value('loadlab_script_my_rate_total', { result: 'fail' }), 1);
    assert.equal(value('loadlab_script_ok_rate_total', { result: 'pass' }), 1);
    assert.equal(value('loadlab_script_wait_time_seconds_count'), 2);
    assert.equal(value('loadlab_script_summaries_seconds_count'), 1);
    assert.equal(value('loadlab_script_my_gauges'), 9);
    assert.equal(value('loadlab_script_queue_depth'), 2);
    assertPromtoolAccepts(t, text);
  } finally {
    await srv.close({ wait: false });
  }
});
