/**
 * Hostile bytes on the wire against a running system (every service in one process, real
 * sockets on OS ports): each refusal is coded, accepted orders never lose their answers, and
 * the services keep serving. Written from what a fuzzing pass broke:
 * - a market-data sync whose id nests deeper than JSON.stringify recurses ended the process;
 * - a tick volume of 1e308 was accepted and made the symbol's volume and VWAP Infinity (null);
 * - HTTP pipelining: a malformed body, a 413 or a `Connection: close` request in the middle ran
 *   the orders pipelined behind it and dropped their 201s;
 * - the kill switch recorded halts of accounts no order can name ("" or a control character);
 * - a gzip body was parsed as JSON text ("Unexpected token"), /book took depth=0x10;
 * - Node's and ws's own refusals (no Host, an unknown Expect, CONNECT, a malformed
 *   Sec-WebSocket-Protocol) were answered without a coded body, or not at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encodeTickBatch } from '@tickstorm/protocol';
import WebSocket from 'ws';
import { writeUntilClose } from './support/raw-socket.ts';
import { type Fixture, type Json, startFixture } from './support/trading-fixture.ts';

/** Writes `data` on a new connection; resolves with everything read until the server closes it. */
const exchange = writeUntilClose;

const statuses = (raw: string) => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

/** The status and coded body of the first answer in `raw`. */
function coded(raw: string): { status: number; code: string; message: string; field?: string } {
  const start = raw.indexOf('\r\n\r\n') + 4;
  const length = Number(/content-length: (\d+)/i.exec(raw.slice(0, start))?.[1]);
  const body = JSON.parse(raw.slice(start, start + length)) as Json;
  return { status: statuses(raw)[0], ...body.error };
}

function post(path: string, body: string, extra = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
  );
}
const CLOSE = 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

describe('hostile input on the wire', () => {
  let f: Fixture;
  let ex: number;
  let md: number;
  let api: number;
  before(async () => {
    f = await startFixture();
    ex = f.sys.handles['execution-engine']!.port;
    md = f.sys.handles['market-data']!.port;
    api = f.sys.handles.api!.port;
  });
  after(() => f.close());

  let account = 0;
  /** A fresh account and a resting order body for it at `price`. */
  const orders = () => {
    const a = `wire-${++account}`;
    const order = (price: number) =>
      post(
        '/orders',
        JSON.stringify({ symbol: 'MSFT', side: 'sell', type: 'limit', quantity: 1, price, account: a }),
      );
    const resting = async () => {
      const r = await f.http.get(`${f.url('execution-engine')}/orders?account=${a}`);
      return (r.body.orders as { price: number }[]).map((o) => o.price);
    };
    return { order, resting, name: a };
  };

  test('a market-data sync with an id nested 50,000 deep is acked (id null); the process lives', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${md}/stream`);
    const acks: Json[] = [];
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const last = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString());
        acks.push(m);
        if (m.id === 'after') resolve();
      }),
    );
    ws.send(`{"type":"sync","id":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    ws.send(`{"type":"sync","id":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`);
    ws.send(
      JSON.stringify({ type: 'tick', symbol: 'SYM3', price: 10.5, volume: 1, timestamp: 1_732_280_000 }),
    );
    ws.send('{"type":"sync","id":"after"}');
    await last;
    ws.close();
    assert.deepEqual(
      acks.map((a) => [a.type, a.id ?? null]),
      [
        ['ack', null],
        ['ack', null],
        ['ack', 'after'],
      ],
    );
    assert.equal(acks[2].processed, 1);
  });

  test('ticks with a volume of 1e308 are refused (JSON and binary); the symbol keeps its volume and VWAP', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${md}/stream`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const frames: Json[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString());
        frames.push(m);
        if (m.id === 'v') resolve();
      }),
    );
    const t = (volume: number) => ({
      type: 'tick',
      symbol: 'SYM5',
      price: 20,
      volume,
      timestamp: 1_732_280_000,
    });
    ws.send(JSON.stringify(t(10)));
    ws.send(JSON.stringify(t(1e308)));
    ws.send(encodeTickBatch([t(1e308), t(2 ** 53)] as never));
    ws.send('{"type":"sync","id":"v"}');
    await done;
    ws.close();
    const errors = frames.filter((m) => m.type === 'error').map((m) => [m.code, m.field]);
    assert.deepEqual(errors, Array(3).fill(['PRT_ERR_OUT_OF_RANGE', 'volume']));
    const r = await f.http.get(`${f.url('market-data')}/symbols/SYM5`);
    assert.deepEqual([r.body.volume, r.body.vwap], [10, 20]);
  });

  test('pipelined behind malformed JSON: every request answered, in order', async () => {
    const { order, resting } = orders();
    const bad = post('/orders', '{"symbol":');
    const raw = await exchange(ex, order(160) + bad + order(161) + CLOSE);
    assert.deepEqual(statuses(raw), [201, 400, 201, 200], raw);
    assert.deepEqual(await resting(), [160, 161]);
  });

  test('pipelined behind a 413: the request after it is not run (its answer could not be sent)', async () => {
    const { order, resting } = orders();
    const big = post('/orders', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }));
    const raw = await exchange(ex, order(170) + big + order(171));
    assert.deepEqual(statuses(raw), [201, 413], raw);
    assert.equal(coded(raw.slice(raw.lastIndexOf('HTTP/1.1 413'))).code, 'TRD_ERR_PAYLOAD_TOO_LARGE');
    assert.deepEqual(await resting(), [170]);
  });

  test('pipelined behind Connection: close: the answers in flight are sent, the rest is not run', async () => {
    const { order, resting } = orders();
    const closing = order(181).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n');
    const raw = await exchange(ex, order(180) + closing + order(182));
    assert.deepEqual(statuses(raw).slice(0, 2), [201, 201], raw);
    assert.deepEqual(await resting(), [180, 181]);
  });

  test('pipelined: the reads behind an order see it; a kill switch behind it cancels it', async () => {
    const { order, name } = orders();
    const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
    // The reads have no body, so they reached their handlers before the order's body was read:
    // the listing and the book answered without the order placed just before them.
    const raw = await exchange(
      ex,
      order(191) +
        get(`/orders?account=${name}`) +
        get('/book/MSFT?depth=1000') +
        `POST /admin/accounts/${name}/halt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n` +
        get(`/orders?account=${name}`, 'Connection: close\r\n'),
    );
    assert.deepEqual(statuses(raw), [201, 200, 200, 200, 200], raw);
    const bodies = raw
      .split(/HTTP\/1\.1 \d{3} [^\r]*\r\n/)
      .slice(1)
      .map((answer) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Json);
    const id = bodies[0].id as string;
    assert.deepEqual(
      bodies[1].orders.map((o: Json) => o.id),
      [id],
    );
    const asks = bodies[2].asks as { price: number; orders: number }[];
    assert.ok(
      asks.some((l) => l.price === 191 && l.orders >= 1),
      JSON.stringify(asks),
    );
    assert.deepEqual([bodies[3].halted, bodies[3].cancelled], [true, 1]);
    assert.deepEqual(bodies[4].orders, []);
  });

  test('the kill switch refuses an account no order can name: 400 naming account', async () => {
    for (const name of ['', 'a%00b', 'a%20b', 'x'.repeat(65)]) {
      for (const action of ['halt', 'resume']) {
        const raw = await exchange(
          ex,
          `POST /admin/accounts/${name}/${action} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
        const e = coded(raw);
        assert.deepEqual([e.status, e.code, e.field], [400, 'PRT_ERR_INVALID_FIELD', 'account'], raw);
      }
    }
    const health = await f.http.get(`${f.url('execution-engine')}/health`);
    assert.equal(health.status, 200);
  });

  test("Node's own refusals are coded: no Host 400, an unknown Expect 417, CONNECT 404", async () => {
    const noHost = coded(await exchange(ex, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'));
    assert.deepEqual([noHost.status, noHost.code], [400, 'TRD_ERR_BAD_REQUEST']);
    const { order, resting } = orders();
    const expect = coded(await exchange(ex, order(190).replace('\r\n\r\n', '\r\nExpect: 200-ok\r\n\r\n')));
    assert.deepEqual([expect.status, expect.code], [417, 'TRD_ERR_EXPECTATION_FAILED']);
    assert.deepEqual(await resting(), []);
    const connect = coded(
      await exchange(api, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n'),
    );
    assert.deepEqual([connect.status, connect.code], [404, 'TRD_ERR_NOT_FOUND']);
  });

  test('a compressed body is 415 (never read as JSON text); the connection keeps serving', async () => {
    const { order, resting } = orders();
    const gz = order(200).replace('\r\n\r\n', '\r\nContent-Encoding: gzip\r\n\r\n');
    const raw = await exchange(ex, gz + order(201) + CLOSE);
    assert.deepEqual(statuses(raw), [415, 201, 200], raw);
    assert.equal(coded(raw).code, 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(await resting(), [201]);
  });

  test('a body with a transfer coding besides chunked is 415 (never read as JSON text)', async () => {
    const { order, resting } = orders();
    const chunked = (coding: string, price: number) => {
      const whole = order(price);
      const body = whole.slice(whole.indexOf('\r\n\r\n') + 4);
      const head = whole
        .slice(0, whole.indexOf('\r\n\r\n'))
        .replace(/Content-Length: \d+/, `Transfer-Encoding: ${coding}`);
      return `${head}\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    };
    // Node takes "gzip, chunked" and hands over the de-chunked bytes, still gzip to the sender.
    const raw = await exchange(
      ex,
      chunked('gzip, chunked', 210) + chunked('deflate,chunked', 211) + chunked('chunked', 212) + CLOSE,
    );
    assert.deepEqual(statuses(raw), [415, 415, 201, 200], raw);
    const e = coded(raw);
    assert.equal(e.code, 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.match(e.message, /Transfer-Encoding "gzip, chunked"/);
    assert.deepEqual(await resting(), [212]);
  });

  test('GET /book depth takes decimal digits only, as every count in a query', async () => {
    for (const depth of ['0x10', '1e1', '%205', '5.0']) {
      const r = await f.http.get(`${f.url('execution-engine')}/book/AAPL?depth=${depth}`);
      assert.deepEqual(
        [r.status, r.body.error?.code, r.body.error?.field],
        [400, 'TRD_ERR_INVALID_QUERY', 'depth'],
      );
    }
    const ok = await f.http.get(`${f.url('execution-engine')}/book/AAPL?depth=5`);
    assert.equal(ok.status, 200);
    // A misspelt parameter is named, not ignored (the answer would be 10 levels).
    const typo = await f.http.get(`${f.url('execution-engine')}/book/AAPL?levels=50`);
    assert.deepEqual(
      [typo.status, typo.body.error?.code, typo.body.error?.field],
      [400, 'TRD_ERR_INVALID_QUERY', 'levels'],
    );
  });

  test('a malformed Sec-WebSocket-Protocol is a coded 400 on both WebSocket endpoints', async () => {
    for (const [port, path] of [
      [md, '/stream'],
      [api, '/ws/metrics'],
    ] as const) {
      const raw = await exchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Protocol: a,,b\r\n\r\n',
      );
      const e = coded(raw);
      assert.deepEqual([e.status, e.code], [400, 'TRD_ERR_BAD_REQUEST'], raw);
    }
  });
});
