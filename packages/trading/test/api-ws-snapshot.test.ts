/**
 * /ws/metrics answers a subscribe with `"snapshot":true` with the symbol's current value (a
 * `snapshot` message, the fields of an update) when the hub has seen one, so a dashboard that
 * connects between ticks does not show an empty screen until the next one. Before, only
 * `subscribed` came back and nothing more until the symbol's next update. A symbol never
 * updated gets no snapshot; the next update's seq is above the snapshot's. Without the flag
 * nothing changes: a client that takes every `timestamp` for a latency never sees an old one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { isKnownSymbol, marketUpdate } from './support/api-fixtures.ts';
import { type WsMessage, WsTestClient } from './support/ws-test-client.ts';

const typed = (type: string, symbol: string) => (m: WsMessage) =>
  m.json?.type === type && m.json.symbol === symbol;

describe('api websocket /ws/metrics: the current value on subscribe', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  let wsUrl: string;
  const clients: WsTestClient[] = [];
  const connect = async () => {
    const c = await WsTestClient.connect(wsUrl);
    clients.push(c);
    return c;
  };
  before(async () => {
    api = await startApiService({ bus, isKnownSymbol, port: 0 });
    wsUrl = `${api.url.replace('http', 'ws')}/ws/metrics`;
  });
  after(async () => {
    for (const c of clients) await c.close();
    await api.close();
    await bus.close();
  });

  test('a subscriber gets the latest update published before it came, then the live ones', async () => {
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', 100, 1));
    const u = marketUpdate('SYM1', 101.5, 2);
    bus.publish(Topic.MARKET_UPDATE, u); // nobody subscribed yet
    const a = await connect();
    a.send({ action: 'subscribe', symbol: 'SYM1', snapshot: true });
    const snap = await a.waitFor(typed('snapshot', 'SYM1'));
    const acked = a.messages.findIndex(typed('subscribed', 'SYM1'));
    assert.ok(acked >= 0 && acked < a.messages.indexOf(snap), 'subscribed, then the snapshot');
    assert.deepEqual(snap.json, {
      type: 'snapshot',
      symbol: 'SYM1',
      seq: 0,
      last: 101.5,
      bid: u.bid,
      ask: u.ask,
      volume: u.volume,
      vwap: u.vwap,
      ticks: 2,
      timestamp: u.timestamp,
    });
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', 102, 3));
    const next = await a.waitFor(typed('update', 'SYM1'));
    assert.equal(next.json?.last, 102);
    assert.ok((next.json?.seq as number) > (snap.json?.seq as number), 'the next update is newer');
    assert.equal(a.messages.filter(typed('snapshot', 'SYM1')).length, 1);
  });

  test('a second subscriber on a live channel gets the value the first one last got', async () => {
    const b = await connect();
    b.send({ action: 'subscribe', symbol: 'SYM1', snapshot: true });
    const snap = await b.waitFor(typed('snapshot', 'SYM1'));
    assert.equal(snap.json?.last, 102);
    assert.equal(snap.json?.seq, 1);
  });

  test('a symbol never updated: subscribed only, the first update is the first value', async () => {
    const c = await connect();
    c.send({ action: 'subscribe', symbol: 'SYM7', snapshot: true });
    await c.waitFor(typed('subscribed', 'SYM7'));
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM7', 7));
    const first = await c.waitFor(typed('update', 'SYM7'));
    assert.equal(first.json?.last, 7);
    assert.equal(c.messages.filter(typed('snapshot', 'SYM7')).length, 0);
  });

  test('without "snapshot": true a subscribe gets no snapshot (the contract of plain clients)', async () => {
    const d = await connect();
    await d.subscribe('SYM1'); // SYM1 has a current value (the tests above)
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', 103, 4));
    const next = await d.waitFor(typed('update', 'SYM1'));
    assert.equal(next.json?.last, 103);
    assert.equal(d.messages.filter(typed('snapshot', 'SYM1')).length, 0);
  });

  test('"snapshot" that is not a boolean is a coded error frame', async () => {
    const e = await connect();
    e.send({ action: 'subscribe', symbol: 'SYM1', snapshot: 'yes' });
    const err = await e.waitFor((m) => m.json?.type === 'error');
    assert.equal(err.json?.code, 'PRT_ERR_INVALID_FIELD');
    assert.match(String(err.json?.message), /"snapshot" must be true or false/);
  });
});
