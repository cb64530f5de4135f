/**
 * A generator scraped from another machine or a container: with TICKSTORM_METRICS_HOST=0.0.0.0,
 * `tickstorm http ... --metrics-port 0` listens on every interface, and a scrape at this
 * machine's non-loopback address (what a remote Prometheus does) gets the generator's series.
 * Without the variable it listens on 127.0.0.1 only (the default), refused at that address.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { startTickstorm, type Watched } from './support/child.ts';
import { assertPromtoolAccepts, metricsUrl, total } from './support/prom-scrape.ts';

/** This machine's first non-loopback IPv4 address, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('TICKSTORM_METRICS_HOST: the address of the generator /metrics', {
  skip: external === undefined ? 'no non-loopback IPv4 address here' : false,
}, () => {
  let srv: LocalServer;
  const gens: Watched[] = [];

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const g of gens) await g.stop();
    await srv.close();
  });

  const http = (env: NodeJS.ProcessEnv) => {
    const args = ['http', `${srv.url}/load`, '-c', '1', '-d', '60', '-R', '20', '--metrics-port', '0'];
    const g = startTickstorm(args, env);
    gens.push(g);
    return g;
  };

  test('0.0.0.0: scraped at the external address; unset: loopback only', async (t) => {
    const url = new URL(await metricsUrl(http({ TICKSTORM_METRICS_HOST: '0.0.0.0' })));
    assert.equal(url.hostname, '0.0.0.0');
    // scraped at the external address (the series appear with the first second's figures)
    let text = '';
    for (const end = performance.now() + 30_000; !/^loadlab_requests_total/m.test(text); ) {
      assert.ok(performance.now() < end, `no loadlab_requests_total within 30 s:\n${text}`);
      if (text !== '') await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`http://${external}:${url.port}/metrics`);
      assert.equal(res.status, 200);
      text = await res.text();
    }
    assert.match(text, /^loadlab_requests_total\{scenario="http"\} \d+$/m);
    assert.ok(total(text, 'loadlab_scenario_running', { scenario: 'http' }) === 1, 'running');
    assertPromtoolAccepts(t, text);

    const local = new URL(await metricsUrl(http({ TICKSTORM_METRICS_HOST: '' })));
    assert.equal(local.hostname, '127.0.0.1');
    assert.equal((await fetch(`${local.origin}/metrics`)).status, 200);
    await assert.rejects(fetch(`http://${external}:${local.port}/metrics`));
  });
});
