/**
 * The generator's /metrics at the end of a run: once something has been scraping, close()
 * keeps serving until one more scrape has read the final figures (bounded by the scrape
 * interval), so the last second's requests reach Prometheus; with no scraper it closes at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLoadMetricsServer } from '../src/monitor/prometheus-exporter.ts';

const slice = (requests: number) => ({
  t: Date.now() / 1000,
  requests,
  failures: 0,
  p50: 1,
  p95: 2,
  p99: 3,
  max: 4,
  active: 1,
});

const requestsTotal = (text: string) =>
  Number(/^loadlab_requests_total\{scenario="s"\} (\d+)$/m.exec(text)?.[1]);

test('close() waits for the scraper to read the final figures, then stops serving', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  t.after(() => srv.close({ wait: false })); // a failed assertion must not leave it serving
  srv.observe('s', slice(10));
  assert.equal(requestsTotal(await (await fetch(srv.url)).text()), 10);
  assert.equal(srv.finalScrapeWaitMs(), 0, 'one scrape gives no interval yet');
  assert.equal(requestsTotal(await (await fetch(srv.url)).text()), 10);
  const wait = srv.finalScrapeWaitMs();
  assert.ok(wait >= 1000 && wait <= 30_000, `wait ${wait} ms: 1.5x the interval + 1 s, at most 30 s`);
  srv.observe('s', slice(7)); // the run's last second
  srv.finished('s');
  const notes: string[] = [];
  let closed = false;
  const closing = srv.close({ note: (l) => notes.push(l) }).then(() => {
    closed = true;
  });
  // still serving after close() was asked: the final scrape sees every request
  const last = await (await fetch(srv.url)).text();
  assert.equal(requestsTotal(last), 17);
  assert.match(last, /^loadlab_scenario_running\{scenario="s"\} 0$/m);
  await closing;
  assert.equal(closed, true);
  assert.match(notes.join('\n'), /waiting up to \d+\.\d s for the last scrape/);
  await assert.rejects(fetch(srv.url), 'no longer serving');
});

test('close() with no scraper, or with wait: false, stops at once', async (t) => {
  const a = await startLoadMetricsServer({ port: 0 });
  t.after(() => a.close({ wait: false }));
  const notes: string[] = [];
  await a.close({ note: (l) => notes.push(l) });
  assert.deepEqual(notes, []);
  await assert.rejects(fetch(a.url));
  const b = await startLoadMetricsServer({ port: 0 });
  t.after(() => b.close({ wait: false }));
  await fetch(b.url).then((r) => r.text());
  await fetch(b.url).then((r) => r.text());
  assert.ok(b.finalScrapeWaitMs() > 0);
  await b.close({ wait: false });
  await assert.rejects(fetch(b.url));
});

test('a curl between the scrapes neither shortens the final wait nor ends it', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  t.after(() => srv.close({ wait: false }));
  const scrape = (agent: string) =>
    fetch(srv.url, { headers: { 'user-agent': agent } }).then(async (r) => requestsTotal(await r.text()));
  srv.observe('s', slice(10));
  // Prometheus scrapes every 600 ms (this timer is its interval, not a synchronisation)
  const first = performance.now();
  await scrape('Prometheus/2.45.3');
  await new Promise((r) => setTimeout(r, 600));
  await scrape('Prometheus/2.45.3');
  const interval = performance.now() - first;
  await scrape('curl/8.5.0'); // a person checks the endpoint, just after
  const wait = srv.finalScrapeWaitMs();
  assert.ok(wait >= 1.5 * 600 + 1000, `wait ${wait} ms: 1.5x Prometheus' interval (${interval} ms) + 1 s`);
  srv.observe('s', slice(7));
  srv.finished('s');
  const closing = srv.close();
  assert.equal(await scrape('curl/8.5.0'), 17, 'the curl reads the final figures');
  assert.equal(await scrape('Prometheus/2.45.3'), 17, 'still serving for Prometheus after the curl');
  await closing;
  await assert.rejects(fetch(srv.url), 'no longer serving once Prometheus read them');
});
