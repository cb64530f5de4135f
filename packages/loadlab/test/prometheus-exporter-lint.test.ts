/**
 * The generator's /metrics passes Prometheus's own linter (`promtool check metrics`): base
 * units, `_total` counters, and the latency quantiles as a summary (a `quantile` label on a
 * gauge is what promtool refuses).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { startLoadMetricsServer } from '../src/monitor/prometheus-exporter.ts';

const PROMTOOL = '/usr/bin/promtool';

test('promtool check metrics finds nothing to say; the summary counts every request', async () => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { requests: 40, failures: 1, p50: 1.5, p95: 4, p99: 6, max: 9, active: 3 };
    srv.observe('browse', { t: 1, ...slice });
    srv.observe('browse', { t: 2, ...slice });
    const text = await (await fetch(srv.url)).text();
    assert.match(text, /^# TYPE loadlab_request_latency_seconds summary$/m);
    assert.match(text, /^loadlab_request_latency_seconds\{scenario="browse",quantile="0\.99"\} 0\.006$/m);
    assert.match(text, /^loadlab_request_latency_seconds_count\{scenario="browse"\} 80$/m);
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.error, undefined, `${PROMTOOL}: ${String(lint.error)}`);
    assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool has no complaint');
    assert.equal(lint.status, 0);
  } finally {
    await srv.close();
  }
});

test("the last second's quantiles: NaN after a second without requests, and once the seconds stop", async () => {
  const srv = await startLoadMetricsServer({ port: 0, quantileMaxAgeMs: 300 });
  try {
    const p99 = async () =>
      /^loadlab_request_latency_seconds\{scenario="browse",quantile="0\.99"\} (\S+)$/m.exec(
        await (await fetch(srv.url)).text(),
      )?.[1];
    const busy = { requests: 40, failures: 0, p50: 1.5, p95: 4, p99: 6, max: 9, active: 3 };
    srv.observe('browse', { t: 1, ...busy });
    assert.equal(await p99(), '0.006');
    srv.observe('browse', { t: 2, ...busy, requests: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    assert.equal(await p99(), 'NaN', 'a second without requests has no quantiles');
    srv.observe('browse', { t: 3, ...busy });
    srv.finished('browse');
    assert.equal(await p99(), '0.006', 'the last second is there just after it');
    // no second comes any more: 300 ms later that second is no longer the last second's
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await p99(), 'NaN', 'not held on after the scenario ended');
  } finally {
    await srv.close({ wait: false });
  }
});
