/**
 * Prometheus's own linter on the system's exposition: `tickstorm serve` (the four services
 * in one process) after a short market-data flood, order stress and metrics batch insert from
 * the real load generator, so that every family has samples (orders by type and status,
 * rejections by reason, the latency histograms). Each of its four ports' /metrics passes
 * `promtool check metrics` (Debian's `prometheus` package, installed by .ci/run) with nothing
 * to say: base units, `_total` only on counters, no `quantile` label outside a summary, HELP
 * on every family. The api port renders its own exporter, the others the process's. Scrapes
 * with Prometheus's headers (OpenMetrics preferred, gzip accepted) while the load runs are
 * answered in OpenMetrics 1.0.0 without waiting on the load, the same series as the text format
 * (which a scraper without that preference gets); HEAD answers as GET without a body.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  postRejectedOrder,
  run,
  runTargetFlags,
  serveSandbox,
  TICKSTORM,
  ZERO_PORT_FLAGS,
} from './support/child-process.ts';

const PROMTOOL = '/usr/bin/promtool';
/** What Prometheus 2.x sends with a scrape. */
const PROMETHEUS_HEADERS = {
  accept:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'accept-encoding': 'gzip',
};

describe('every port of `tickstorm serve` passes promtool check metrics under load', {
  skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} is not installed (.ci/run installs it)`,
}, () => {
  const box = serveSandbox('tickstorm-prom-lint-');
  let urls: Record<string, string> = {};
  const duringLoad: { ms: number; status: number; type: string | null; text: string }[] = [];

  before(async () => {
    urls = (await box.serve(['--data-dir', box.tmp(), ...ZERO_PORT_FLAGS])).urls;
    const loading = run(process.execPath, [
      TICKSTORM,
      'run',
      'market-data-flood',
      'order-stress',
      'db-throughput',
      '--duration',
      '2s',
      '--rate',
      '200',
      '--batch-size',
      '50',
      ...runTargetFlags(urls),
    ]);
    // Prometheus's scrapes while the load runs (its Accept and Accept-Encoding headers)
    let done = false;
    const stop = () => {
      done = true;
    };
    void loading.then(stop, stop);
    while (!done) {
      const t0 = performance.now();
      const r = await fetch(`${urls['execution-engine']}/metrics`, { headers: PROMETHEUS_HEADERS });
      const text = await r.text();
      duringLoad.push({
        ms: performance.now() - t0,
        status: r.status,
        type: r.headers.get('content-type'),
        text,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const load = await loading;
    // 0 or 99 (a scenario target missed on a busy machine): the load ran either way.
    assert.ok(
      load.code === 0 || load.code === 99,
      `run exited ${load.code}:\n${load.stdout}\n${load.stderr}`,
    );
    // One rejected order, so the rejections-by-reason family has a sample.
    await postRejectedOrder(urls);
  });

  after(() => box.cleanup());

  test('scrapes during the load: answered at once, in OpenMetrics, the series of the text format', async () => {
    assert.ok(duringLoad.length > 0, 'scraped while the load ran');
    for (const s of duringLoad) {
      assert.equal(s.status, 200);
      assert.equal(s.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
      assert.match(s.text, /\n# EOF\n$/);
      // the exposition is built from counters at hand: no wait on the order path or the store
      assert.ok(s.ms < 1000, `a scrape took ${s.ms.toFixed(0)} ms`);
    }
    const series = (t: string) =>
      t
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.slice(0, l.lastIndexOf(' ')))
        .filter((k) => !k.startsWith('nodejs_gc_'))
        .sort();
    const om = await (
      await fetch(`${urls['execution-engine']}/metrics`, { headers: PROMETHEUS_HEADERS })
    ).text();
    const text = await (await fetch(`${urls['execution-engine']}/metrics`)).text();
    assert.deepEqual(series(om), series(text));
    assert.match(om, /^# TYPE tickstorm_orders_received counter\ntickstorm_orders_received_total \d+$/m);
  });

  test('HEAD /metrics: the status and headers of a GET, no body', async () => {
    const r = await fetch(`${urls.api}/metrics`, { method: 'HEAD', headers: PROMETHEUS_HEADERS });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/openmetrics-text; version=1.0.0; charset=utf-8');
    assert.equal(await r.text(), '');
    const plain = await fetch(`${urls.api}/metrics`, { method: 'HEAD' });
    assert.equal(plain.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(await plain.text(), '');
  });

  for (const service of ['market-data', 'execution-engine', 'risk-manager', 'api']) {
    test(`${service}: /metrics has every family, and promtool has nothing to say`, async () => {
      const text = await (await fetch(`${urls[service]}/metrics`)).text();
      assert.match(text, /^tickstorm_orders_total\{type="limit",status="\w+"\} [1-9]/m);
      assert.match(text, /^tickstorm_orders_rejected_by_reason_total\{reason="\w+"\} [1-9]/m);
      assert.match(text, /^tickstorm_market_data_processing_seconds_count [1-9]/m);
      assert.match(text, /^tickstorm_database_batch_insert_seconds_count [1-9]/m);
      assert.match(text, /^process_cpu_seconds_total /m);
      const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(`${lint.stdout}${lint.stderr}`, '', 'promtool check metrics');
      assert.equal(lint.status, 0);
    });
  }
});
