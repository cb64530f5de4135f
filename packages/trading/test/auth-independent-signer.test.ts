/**
 * The signing of docs/security.md as an outside client implements it, with its own HMAC
 * (node:crypto, not `@tickstorm/protocol`'s signer): lowercase hex HMAC-SHA256(secret,
 * timestamp + METHOD + path-with-query as on the request line + raw body bytes).
 *
 * - a timestamp in seconds (`date +%s`, Python's `int(time.time())`) or microseconds is named
 *   as such, not answered as decades off the clock;
 * - `key`, `ts` or `sig` given twice in a WebSocket URL is refused 401 naming it, as a
 *   repeated header is (not served with the first value); its refusals name the parameters;
 * - a non-ASCII UTF-8 body is signed over its bytes; header names in any case, HTTP/1.0, HEAD
 *   signed as HEAD; a browser's CORS preflight is not served (no Access-Control headers);
 * - a body sent without `Content-Type: application/json` (curl -d) is 415 saying so.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { sendAndRead } from './support/raw-socket.ts';
import { type Fixture, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

const secretOf = (id: string) => KEYS_JSON.find((k) => k.id === id)!.secret;

function hmacHex(
  secret: string,
  ts: string,
  method: string,
  path: string,
  body: Buffer = Buffer.alloc(0),
): string {
  return createHmac('sha256', secret)
    .update(Buffer.concat([Buffer.from(ts + method + path, 'latin1'), body]))
    .digest('hex');
}

interface Answer {
  status: number;
  head: string;
  body: string;
}

/** Bytes written as given on a fresh socket; the answer read until the server closes. */
async function rawExchange(port: number, bytes: Buffer): Promise<Answer> {
  const text = await sendAndRead(port, bytes, false);
  const cut = text.indexOf('\r\n\r\n');
  const head = text.slice(0, cut);
  return { status: Number(head.split(' ')[1]), head, body: text.slice(cut + 4) };
}

interface Signed {
  id: string;
  method: string;
  path: string;
  body?: Buffer;
  ts?: string;
  version?: string;
  names?: (n: string) => string;
  extra?: string;
}

function signed(port: number, o: Signed): Promise<Answer> {
  const ts = o.ts ?? String(Date.now());
  const body = o.body ?? Buffer.alloc(0);
  const n = o.names ?? ((x: string) => x);
  const head =
    `${o.method} ${o.path} ${o.version ?? 'HTTP/1.1'}\r\nHost: x\r\nConnection: close\r\n` +
    `${n('X-TS-Key')}: ${o.id}\r\n${n('X-TS-Timestamp')}: ${ts}\r\n` +
    `${n('X-TS-Signature')}: ${hmacHex(secretOf(o.id), ts, o.method, o.path, body)}\r\n` +
    (body.length > 0 ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '') +
    `${o.extra ?? ''}\r\n`;
  return rawExchange(port, Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

const codeOf = (a: Answer) => (JSON.parse(a.body) as { error?: { code: string; message: string } }).error;

describe('auth: an independent signer (node:crypto) against the documented rules', () => {
  let f: Fixture;
  let rm: number;
  let api: number;
  let md: number;
  before(async () => {
    f = await startFixture({
      services: ['market-data', 'risk-manager', 'api'],
      security: { keys: keyStore() },
      inputLog: false,
    });
    const port = (s: Parameters<Fixture['url']>[0]) => Number(new URL(f.url(s)).port);
    rm = port('risk-manager');
    api = port('api');
    md = port('market-data');
  });
  after(() => f.close());

  test('the documented worked example', () => {
    const body = Buffer.from('{"symbol":"AAPL","side":"buy","type":"limit","quantity":1,"price":100}');
    assert.equal(
      hmacHex('trader-a-secret-0123456789', '1767225600000', 'POST', '/orders', body),
      '4f6f994ab45b3b4c10e820ae0c3aa9f3827aaa357b52a2eeafe97eebd109d3d5',
    );
  });

  test('a timestamp in seconds or microseconds is named as such (401 TRD_ERR_STALE_TIMESTAMP)', async () => {
    const now = Date.now();
    for (const [ts, unit] of [
      [String(Math.floor(now / 1000)), 'seconds'],
      [String(now * 1000), 'microseconds'],
    ] as const) {
      const a = await signed(rm, { id: 'viewer-1', method: 'GET', path: '/limits', ts });
      assert.equal(a.status, 401, ts);
      const e = codeOf(a)!;
      assert.equal(e.code, 'TRD_ERR_STALE_TIMESTAMP');
      assert.match(e.message, new RegExp(`is ${unit} since the epoch, not milliseconds`), e.message);
    }
    // Milliseconds a minute off still say how far off the clock they are.
    const late = await signed(rm, {
      id: 'viewer-1',
      method: 'GET',
      path: '/limits',
      ts: String(now - 60_000),
    });
    assert.match(
      codeOf(late)!.message,
      /is \d+ ms behind the server's clock \(now \d+\); at most 5000 ms either way/,
    );
    // Just past the window, the figure shows it is past (in whole ms, not "5.0 s ... at most 5 s").
    const edge = await signed(rm, {
      id: 'viewer-1',
      method: 'GET',
      path: '/limits',
      ts: String(Date.now() + 5_900),
    });
    const m = /is (\d+) ms ahead of the server's clock/.exec(codeOf(edge)!.message);
    assert.ok(m !== null && Number(m[1]) > 5000 && Number(m[1]) <= 5900, codeOf(edge)!.message);
  });

  test('a WebSocket URL with key, ts or sig given twice is 401 naming the parameter', async () => {
    const feed = 'feed-1';
    const ts = String(Date.now());
    const sig = hmacHex(secretOf(feed), ts, 'GET', '/stream?ack=1');
    const base = `ws://127.0.0.1:${md}/stream?ack=1`;
    assert.equal((await tryUpgrade(`${base}&key=${feed}&ts=${ts}&sig=${sig}`)).status, 101);
    for (const [name, url] of [
      ['key', `${base}&key=${feed}&key=viewer-1&ts=${ts}&sig=${sig}`],
      ['ts', `${base}&key=${feed}&ts=${ts}&ts=${ts}&sig=${sig}`],
      ['sig', `${base}&key=${feed}&ts=${ts}&sig=${sig}&sig=${sig}`],
    ] as const) {
      const r = await tryUpgrade(url);
      assert.equal(r.status, 401, name);
      const e = JSON.parse(r.body).error;
      assert.equal(e.code, 'TRD_ERR_UNAUTHENTICATED', name);
      assert.match(e.message, new RegExp(`the ${name} parameter must be given once`), name);
    }
  });

  test('a WebSocket refusal names the query parameters a browser would use', async () => {
    const none = await tryUpgrade(`ws://127.0.0.1:${md}/stream`);
    assert.equal(none.status, 401);
    assert.match(JSON.parse(none.body).error.message, /or the query parameters key, ts and sig/);
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = hmacHex(secretOf('feed-1'), ts, 'GET', '/stream');
    const secs = await tryUpgrade(`ws://127.0.0.1:${md}/stream?key=feed-1&ts=${ts}&sig=${sig}`);
    assert.equal(secs.status, 401);
    assert.match(JSON.parse(secs.body).error.message, new RegExp(`^the ts parameter ${ts} is seconds`));
  });

  test('a non-ASCII UTF-8 body is signed over its bytes', async () => {
    const body = Buffer.from(
      JSON.stringify([{ name: 'café', value: 1, labels: { desk: 'Zürich-日本' } }]),
      'utf8',
    );
    const ok = await signed(api, { id: 'feed-1', method: 'POST', path: '/api/metrics', body });
    assert.equal(ok.status, 202, `${ok.head}\n${ok.body}`);
    // The same body signed over its characters as latin1 (one byte each) is refused.
    const ts = String(Date.now());
    const wrong = createHmac('sha256', secretOf('feed-1'))
      .update(Buffer.from(`${ts}POST/api/metrics${body.toString('utf8')}`, 'latin1'))
      .digest('hex');
    const head =
      `POST /api/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-TS-Key: feed-1\r\n` +
      `X-TS-Timestamp: ${ts}\r\nX-TS-Signature: ${wrong}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const bad = await rawExchange(api, Buffer.concat([Buffer.from(head), body]));
    assert.equal(bad.status, 401);
    assert.match(codeOf(bad)!.message, new RegExp(`the body's ${body.length} bytes`));
  });

  test('a body without Content-Type: application/json (curl -d) is 415 saying which type', async () => {
    const body = Buffer.from('{"maxOrderQty":5}');
    const ts = String(Date.now());
    const head =
      `PUT /limits HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-TS-Key: admin-1\r\n` +
      `X-TS-Timestamp: ${ts}\r\nX-TS-Signature: ${hmacHex(secretOf('admin-1'), ts, 'PUT', '/limits', body)}\r\n` +
      `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
    const a = await rawExchange(rm, Buffer.concat([Buffer.from(head), body]));
    assert.equal(a.status, 415);
    assert.equal(codeOf(a)!.code, 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.match(codeOf(a)!.message, /Content-Type: application\/json/);
  });

  test("a GET's body is neither read nor signed: the signature covers no body", async () => {
    const body = Buffer.from('{"a":1}');
    const send = (sig: string, ts: string) =>
      rawExchange(
        rm,
        Buffer.concat([
          Buffer.from(
            `GET /limits HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-TS-Key: viewer-1\r\n` +
              `X-TS-Timestamp: ${ts}\r\nX-TS-Signature: ${sig}\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${body.length}\r\n\r\n`,
          ),
          body,
        ]),
      );
    const ts = String(Date.now());
    assert.equal((await send(hmacHex(secretOf('viewer-1'), ts, 'GET', '/limits'), ts)).status, 200);
    const over = await send(hmacHex(secretOf('viewer-1'), ts, 'GET', '/limits', body), ts);
    assert.equal(over.status, 401);
    assert.match(codeOf(over)!.message, /\(no body\)/);
  });

  test('header names in any case, HTTP/1.0, HEAD signed as HEAD', async () => {
    for (const names of [(x: string) => x.toLowerCase(), (x: string) => x.toUpperCase()]) {
      const a = await signed(rm, { id: 'viewer-1', method: 'GET', path: '/limits', names });
      assert.equal(a.status, 200, a.body);
    }
    const old = await signed(rm, { id: 'viewer-1', method: 'GET', path: '/limits', version: 'HTTP/1.0' });
    assert.equal(old.status, 200, old.body);
    const head = await signed(rm, { id: 'viewer-1', method: 'HEAD', path: '/limits' });
    assert.equal(head.status, 200);
  });

  test('a CORS preflight is not served: 401, no Access-Control headers', async () => {
    const pre = await rawExchange(
      rm,
      Buffer.from(
        'OPTIONS /limits HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: http://localhost:3000\r\n' +
          'Access-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: x-ts-key\r\n\r\n',
      ),
    );
    assert.equal(pre.status, 401);
    assert.doesNotMatch(pre.head, /access-control-allow/i);
  });
});
