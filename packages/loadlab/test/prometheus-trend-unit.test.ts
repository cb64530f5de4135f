/**
 * A script's Trend named with its unit (`order_ack_ms`, as examples/orders-script.ts has it)
 * is exported in seconds without the `_ms`: `loadlab_script_order_ack_seconds`, not
 * `..._order_ack_ms_seconds`, which names two units and which Prometheus's linter refuses
 * ("metric names should not contain abbreviated units").
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
