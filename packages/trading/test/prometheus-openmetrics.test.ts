/**
 * OpenMetrics to Prometheus: a scrape with Prometheus's Accept (OpenMetrics 1.0.0 first) is
 * answered in OpenMetrics (before: the text format whatever the scraper preferred), and a real
 * Prometheus (Debian's `prometheus`, installed by .ci/run), which sends that header, reads it:
 * the target is up without a scrape error and stores the series under the names of the text
 * format (`*_total` counters, `nodejs_version_info`, `_bucket{le}` histograms), so dashboards
 * and rules need no change. The conversion itself: packages/protocol/test/open-metrics.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  havePrometheus,
  PROMETHEUS,
  type PrometheusServer,
  poll,
  startPrometheus,
} from './support/prometheus-server.ts';
import { type Fixture, order, startFixture } from './support/trading-fixture.ts';

/** What Prometheus 2.x sends with a scrape. */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('GET /metrics in OpenMetrics for a scraper that prefers it', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false });
    const res = await f.http.post(
      `${f.url('execution-engine')}/orders`,
      order('AAPL', 'buy', 'limit', 1, 100),
    );
    assert.ok(res.status < 300, `order: ${res.status}`);
  });
  after(() => f?.close());

  test("Prometheus's Accept: OpenMetrics 1.0.0; no preference: the text format", async () => {
    const om = await fetch(`${f.url('api')}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    assert.equal(
      om.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    assert.equal(om.headers.get('vary'), 'Accept');
    const body = await om.text();
    assert.match(body, /^# TYPE tickstorm_orders_received counter\ntickstorm_orders_received_total 1$/m);
    assert.match(body, /\n# EOF\n$/);
    assert.doesNotMatch(body, /\n\n/);
    const text = await fetch(`${f.url('market-data')}/metrics`);
    assert.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(await text.text(), /^# TYPE tickstorm_orders_received_total counter$/m);
  });

  test('a real Prometheus scrapes it: up, no error, the series of the text format', {
    skip: havePrometheus ? false : `${PROMETHEUS} is not installed (.ci/run installs it)`,
  }, async () => {
    let prom: PrometheusServer | undefined;
    try {
      prom = await startPrometheus({
        'tickstorm-api': new URL(f.url('api')).host,
        'tickstorm-engine': new URL(f.url('execution-engine')).host,
      });
      const p = prom;
      const targets = await poll('both targets scraped', 30_000, async () => {
        const t = (await p.targets()) as (Awaited<ReturnType<PrometheusServer['targets']>>[number] & {
          lastError: string;
        })[];
        return t.length === 2 && t.every((x) => x.health !== 'unknown') ? t : undefined;
      });
      assert.deepEqual(targets.map((t) => [t.labels.job, t.health, t.lastError]).sort(), [
        ['tickstorm-api', 'up', ''],
        ['tickstorm-engine', 'up', ''],
      ]);
      for (const expr of [
        'tickstorm_orders_received_total == 1',
        'nodejs_version_info == 1',
        'tickstorm_order_latency_seconds_bucket{le="+Inf"} >= 1',
        'tickstorm_order_latency_seconds_count >= 1',
        'process_cpu_seconds_total > 0',
      ]) {
        const r = await p.query(expr);
        assert.equal(r.length, 2, `${expr}: ${JSON.stringify(r)}`);
      }
    } finally {
      await prom?.stop();
    }
  });
});
