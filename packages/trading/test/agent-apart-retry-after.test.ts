/**
 * The api apart (a NATS bus) with nobody serving what an agent endpoint needs (market data's
 * bars, the risk manager's positions), or with the bus away: 503 TRD_ERR_SERVICE_UNAVAILABLE
 * naming the service, now with `Retry-After: 1` like the execution step's 503 (the process or
 * the bus is back in a moment). Before, only `/api/trade/execute` said when to retry.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TradingSystem } from '../src/system/trading-system.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { Http, ZERO_PORTS } from './support/trading-fixture.ts';

describe('agent endpoints of an api apart, their service missing or the bus away', {
  timeout: 60_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-agent-apart-'));
  const http = new Http();
  let nats: NatsServer;
  let api: TradingSystem;

  before(async () => {
    nats = await startNatsServer();
    api = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
      services: ['api'],
      bus: nats.url,
      report: () => {},
    });
  });
  after(async () => {
    await http.close();
    await api?.close();
    await nats?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const calls = () =>
    [
      ['market-data', () => http.get(`${api.url('api')}/api/data/AAPL/bars?interval=1m&limit=5`)],
      ['risk-manager', () => http.post(`${api.url('api')}/api/risk/analyze`, { account: 'a' })],
    ] as const;

  it('nobody serves it: 503 naming the service, with Retry-After', async () => {
    for (const [service, call] of calls()) {
      const r = await call();
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_SERVICE_UNAVAILABLE');
      assert.equal(r.body.error.field, service);
      assert.equal(r.headers.get('retry-after'), '1', service);
    }
  });

  it('the bus away: the same 503 at once, with Retry-After', async () => {
    await nats.kill();
    const t0 = performance.now();
    while (api.bus.state() === 'connected') {
      if (performance.now() - t0 > 10_000) throw new Error('the api never saw the bus go');
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const [service, call] of calls()) {
      const r = await call();
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.match(r.body.error.message, /the bus is not connected/);
      assert.equal(r.body.error.field, service);
      assert.equal(r.headers.get('retry-after'), '1', service);
    }
  });
});
