/**
 * The generator's /metrics passes Prometheus's own linter (`promtool check metrics`): base
 * units, `_total` counters, and the latency quantiles as a summary (a `quantile` label on a
 * gauge is what promtool refuses). Label values are escaped as the text format says (a request
 * or check name keeps its quotes, backslashes, newlines and unicode; before, they became '_', so
 * two names could share a series, and a check named with a newline had no series at all), and
 * HEAD /metrics gets GET's status and headers (before: 404); an OpenMetrics Accept gets
 * OpenMetrics 1.0.0 (wire/open-metrics.ts of @tickstorm/protocol).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { DURATION_BUCKETS_S } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { startLoadMetricsServer } from '../src/monitor/prometheus-exporter.ts';
import { assertPromtoolAccepts } from './support/promtool.ts';

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

test('names with quotes, backslashes, newlines and unicode: escaped, each its own series, as given', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const names = ['orders "quoted"', 'C:\\path\\x', 'line\nbreak', 'orders _quoted_', 'snow ☃ é €'];
    const counters: Record<string, number> = {};
    for (const [i, n] of names.entries()) counters[`check:${n}:pass`] = i + 1;
    const latency = names.map((name, i) => ({
      name,
      buckets: [i + 1, ...new Array<number>(DURATION_BUCKETS_S.length).fill(0)],
      sumUs: 100 * (i + 1),
    }));
    const slice = { t: 1, requests: 15, failures: 0, p50: 0.1, p95: 0.1, p99: 0.1, max: 0.1, active: 1 };
    srv.observe('odd "scenario" \\ ☃', slice, { latency, counters });
    const text = await (await fetch(srv.url)).text();
    // the text format's escapes, and no raw newline inside a sample line
    assert.match(text, /name="orders \\"quoted\\""/);
    assert.match(text, /check="C:\\\\path\\\\x"/);
    assert.match(text, /check="line\\nbreak"/);
    assert.ok(
      text.split('\n').every((l) => l === '' || /^(# (HELP|TYPE) |[a-z_]+(\{.*\})? \S+$)/.test(l)),
      'one sample per line',
    );
    const rows = promSamples(text);
    for (const [i, n] of names.entries()) {
      const check = rows.find((r) => r.name === 'loadlab_checks_total' && r.labels.check === n);
      assert.equal(check?.value, i + 1, `check ${JSON.stringify(n)}`);
      assert.equal(check?.labels.scenario, 'odd "scenario" \\ ☃');
      const count = rows.find(
        (r) => r.name === 'loadlab_request_duration_seconds_count' && r.labels.name === n,
      );
      assert.equal(count?.value, i + 1, `request ${JSON.stringify(n)}`);
    }
    assertPromtoolAccepts(t, text);
  } finally {
    await srv.close({ wait: false });
  }
});

test('HEAD /metrics answers as GET does without a body; another method 405', async () => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const head = await fetch(srv.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await head.text(), '');
    const get = await fetch(srv.url, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } });
    assert.equal(get.status, 200);
    assert.equal(
      get.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.match(
      await get.text(),
      /^# HELP loadlab_requests .*\n# TYPE loadlab_requests counter\n[\s\S]*\n# EOF\n$/,
    );
    const post = await fetch(srv.url, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.text();
  } finally {
    await srv.close({ wait: false });
  }
});
