/**
 * /ws/metrics over real sockets, fed by a real InProcessBus with MarketUpdates: a client gets
 * updates for its symbols only, unsubscribe stops them, text ping -> text pong, bad messages
 * get coded error frames and the connection lives, other paths are not upgraded, and
 * closing the service closes the clients with 1001.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { isKnownSymbol, marketUpdate } from './support/api-fixtures.ts';
import { until, type WsMessage, WsTestClient } from './support/ws-test-client.ts';

const isUpdate = (symbol: string, last?: number) => (m: WsMessage) =>
  m.json?.type === 'update' && m.json.symbol === symbol && (last === undefined || m.json.last === last);

describe('api websocket /ws/metrics', () => {
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

  test('a subscriber receives updates for its symbols only, with the contract fields', async () => {
    const a = await connect();
    const b = await connect();
    a.send({ action: 'subscribe', symbol: 'SYM1' });
    await a.waitFor((m) => m.json?.type === 'subscribed' && m.json.symbol === 'SYM1');
    await a.subscribe('SYM2');
    await b.subscribe('SYM3');
    const u = marketUpdate('SYM1', 101.25, 7);
    bus.publish(Topic.MARKET_UPDATE, u);
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM3', 50));
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM4', 10)); // nobody's
    await new Promise((r) => setImmediate(r)); // next turn: a second flush
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM2', 20.5)); // marker for a
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM3', 51)); // marker for b
    await a.waitFor(isUpdate('SYM2', 20.5));
    await b.waitFor(isUpdate('SYM3', 51));
    assert.deepEqual(
      a.updates().map((x) => x.symbol),
      ['SYM1', 'SYM2'],
    );
    assert.deepEqual(
      b.updates().map((x) => x.last),
      [50, 51],
    );
    const got = a.updates()[0];
    assert.deepEqual(got, {
      type: 'update',
      symbol: 'SYM1',
      seq: 1,
      last: 101.25,
      bid: u.bid,
      ask: u.ask,
      volume: u.volume,
      vwap: u.vwap,
      ticks: 7,
      timestamp: u.timestamp,
    });
    const latencyMs = (performance.timeOrigin + performance.now()) / 1000 - (got.timestamp as number);
    assert.ok(
      latencyMs >= 0 && latencyMs < 5,
      `timestamp is the publish time in epoch seconds (${latencyMs})`,
    );
  });

  test('several clients on one symbol all get the same update; unsubscribe stops them', async () => {
    const c = await Promise.all([connect(), connect(), connect()]);
    for (const x of c) await x.subscribe('SYM5', 'SYM6');
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM5', 1));
    for (const x of c) await x.waitFor(isUpdate('SYM5', 1));
    const from = c[0].messages.length;
    c[0].send({ action: 'unsubscribe', symbols: ['SYM5'] });
    await c[0].waitFor((m) => m.json?.type === 'unsubscribed' && m.json.symbol === 'SYM5', 5000, from);
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM5', 2));
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM6', 3)); // marker
    await c[0].waitFor(isUpdate('SYM6', 3));
    await c[1].waitFor(isUpdate('SYM5', 2));
    assert.equal(c[0].messages.slice(from).filter(isUpdate('SYM5')).length, 0);
    assert.equal(c[2].updates().filter((x) => x.symbol === 'SYM5').length, 2);
  });

  test('updates of one symbol in one turn are coalesced: latest wins, seq shows the gap', async () => {
    const c = await connect();
    await c.subscribe('SYM7');
    for (let i = 1; i <= 5; i++) bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM7', i));
    const m = await c.waitFor(isUpdate('SYM7'));
    assert.equal(m.json?.last, 5);
    assert.equal(m.json?.seq, 5);
    assert.ok(api.hub.stats().updatesCoalesced >= 4);
  });

  test('text ping gets text pong', async () => {
    const c = await connect();
    c.send('ping');
    const m = await c.waitFor((x) => x.text === 'pong');
    assert.equal(m.json, undefined);
  });

  test('{"action":"ping"} gets the same text pong', async () => {
    const c = await connect();
    const from = c.messages.length;
    c.send('{"action":"ping"}');
    const m = await c.waitFor((x) => x.text === 'pong' || x.json?.type === 'error', 5000, from);
    assert.equal(m.text, 'pong');
  });

  test('bad messages get coded error frames and the connection lives', async () => {
    const c = await connect();
    // [message, code, field: the field at fault, as /stream's error frames name it]
    const cases: [string | Buffer, string, string | undefined][] = [
      ['{"action":"subscribe","symbol":', 'PRT_ERR_MALFORMED_JSON', undefined],
      ['{"action":"dance"}', 'PRT_ERR_INVALID_FIELD', 'action'],
      ['{"symbol":"SYM1"}', 'PRT_ERR_MISSING_FIELD', 'action'],
      ['{"action":"subscribe"}', 'PRT_ERR_MISSING_FIELD', 'symbol'],
      ['{"action":"subscribe","symbol":42}', 'PRT_ERR_INVALID_FIELD', 'symbol'],
      ['{"action":"subscribe","symbols":"SYM1"}', 'PRT_ERR_INVALID_FIELD', 'symbols'],
      ['{"action":"subscribe","symbols":[]}', 'PRT_ERR_INVALID_FIELD', 'symbols'],
      ['{"action":"subscribe","symbol":"SYM1","snapshot":"yes"}', 'PRT_ERR_INVALID_FIELD', 'snapshot'],
      ['{"action":"subscribe","symbol":"NOPE"}', 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol'],
      ['[1,2]', 'PRT_ERR_INVALID_FIELD', undefined],
      [Buffer.from([1, 2, 3]), 'PRT_ERR_INVALID_FIELD', undefined],
    ];
    for (const [msg, code, field] of cases) {
      const from = c.messages.length;
      c.ws.send(msg);
      const e = await c.waitFor((m) => m.json?.type === 'error', 5000, from);
      assert.equal(e.json?.code, code, String(msg));
      assert.equal(typeof e.json?.message, 'string');
      assert.equal(e.json?.field, field, `field of ${String(msg)}`);
      // An empty list is said to be empty, not "needs symbols (an array)" when one was sent.
      if (String(msg).includes('[]'))
        assert.match(String(e.json?.message), /"symbols" is empty: subscribe needs at least one symbol/);
    }
    await c.subscribe('SYM8');
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM8', 8));
    await c.waitFor(isUpdate('SYM8', 8));
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    assert.ok(api.hub.stats().errorFramesSent >= cases.length);
  });

  test('a field no message takes, or one given twice, is an error frame naming it, not a subscribe', async () => {
    const c = await connect();
    const cases: [string, RegExp][] = [
      // Ignored, the misspelt field would subscribe without the snapshot asked for.
      ['{"action":"subscribe","symbol":"SYM9","snapshto":true}', /unknown field "snapshto"/],
      ['{"action":"subscribe","symbol":"SYM9","Symbols":["SYM10"]}', /unknown field "Symbols"/],
      // JSON.parse keeps the last; a reader in front may keep the first.
      ['{"action":"subscribe","symbol":"SYM9","symbol":"SYM10"}', /field "symbol" is given twice/],
      [
        '{"action":"subscribe","\\u0061ction":"unsubscribe","symbol":"SYM9"}',
        /field "action" is given twice/,
      ],
    ];
    for (const [msg, text] of cases) {
      const from = c.messages.length;
      c.ws.send(msg);
      const m = await c.waitFor((x) => x.json?.type === 'error' || x.json?.type === 'subscribed', 5000, from);
      assert.equal(m.json?.type, 'error', msg);
      assert.equal(m.json?.code, 'PRT_ERR_INVALID_FIELD', msg);
      assert.match(String(m.json?.message), text);
      assert.equal(m.json?.field, /"(\w+)"/.exec(String(m.json?.message))?.[1], `field of ${msg}`);
    }
    const from = c.messages.length;
    c.ws.send('{"action":"subscribe","symbol":"SYM9","snapshot":false}');
    const ok = await c.waitFor((x) => x.json?.type === 'error' || x.json?.type === 'subscribed', 5000, from);
    assert.deepEqual(ok.json, { type: 'subscribed', symbol: 'SYM9' });
  });

  test('other paths are not upgraded', async () => {
    const ws = new WebSocket(`${api.url.replace('http', 'ws')}/ws/other`);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    assert.match(err.message, /404/);
  });

  test('hub stats count clients and messages', async () => {
    const s = api.hub.stats();
    assert.equal(s.clients, clients.length);
    assert.ok(s.messagesSent > 0 && s.bytesSent > 0);
    assert.ok(s.fanoutLatencyMs.count > 0);
    await until(() => api.hub.clientCount === clients.length, 5000, 'client count');
  });
});

test('closing the api service closes every WebSocket client with 1001', async () => {
  const bus = new InProcessBus();
  const api = await startApiService({ bus, isKnownSymbol, port: 0 });
  const c = await WsTestClient.connect(`${api.url.replace('http', 'ws')}/ws/metrics`);
  await c.subscribe('SYM0');
  await api.close();
  const { code } = await c.closed;
  assert.equal(code, 1001);
  await bus.close();
});

test('a client that never answers the heartbeat ping is terminated; one that answers stays', async () => {
  const bus = new InProcessBus();
  const api = await startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    ws: { heartbeatMs: 300, sweepIntervalMs: 20 },
  });
  const url = `${api.url.replace('http', 'ws')}/ws/metrics`;
  const mute = new WebSocket(url, { autoPong: false });
  const closed = new Promise<number>((resolve) => mute.once('close', resolve));
  const good = await WsTestClient.connect(url);
  try {
    assert.equal(await closed, 1006);
    assert.equal(api.hub.stats().heartbeatTimeouts, 1);
    assert.equal(good.ws.readyState, WebSocket.OPEN);
    assert.ok(api.hub.stats().probeRttMs.max > 0, 'the answering client has a round trip');
  } finally {
    await good.close();
    await api.close();
    await bus.close();
  }
});
