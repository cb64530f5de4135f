/**
 * The api's WebSocket refusals carry the contract's coded body, as market data's do: an
 * upgrade to a path with no WebSocket endpoint is 404 TRD_ERR_NOT_FOUND, and one past the
 * hub's client cap is 503 TRD_ERR_TOO_MANY_CONNECTIONS with Retry-After.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { isKnownSymbol } from './support/api-fixtures.ts';
import { WsTestClient } from './support/ws-test-client.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

describe('api websocket refusals are coded', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  let base: string;
  const clients: WsTestClient[] = [];
  before(async () => {
    api = await startApiService({ bus, isKnownSymbol, port: 0, ws: { maxClients: 1 } });
    base = api.url.replace('http', 'ws');
  });
  after(async () => {
    for (const c of clients) await c.close();
    await api.close();
    await bus.close();
  });

  test('no WebSocket endpoint at the path: 404 TRD_ERR_NOT_FOUND', async () => {
    const r = await tryUpgrade(`${base}/stream`);
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).error.code, 'TRD_ERR_NOT_FOUND');
  });

  test('past the client cap: 503 TRD_ERR_TOO_MANY_CONNECTIONS + Retry-After', async () => {
    clients.push(await WsTestClient.connect(`${base}/ws/metrics`));
    const r = await tryUpgrade(`${base}/ws/metrics`);
    assert.equal(r.status, 503);
    assert.equal(r.retryAfter, '1');
    assert.equal(JSON.parse(r.body).error.code, 'TRD_ERR_TOO_MANY_CONNECTIONS');
  });
});
