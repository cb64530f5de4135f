/**
 * What a client of a signed trading gateway trips over, sent as raw bytes over a socket (so a
 * header can be repeated and a body be empty with a JSON content type): each refusal is coded
 * and says what is wrong (a repeated auth header, uppercase hex, a timestamp that is not whole
 * milliseconds or how far off it is, what the server signed), and an empty JSON body is no
 * body (DELETE, the kill switch), with keys and without. Query parameters given twice are 400
 * TRD_ERR_INVALID_QUERY, not a 403 naming a joined account nor a 200 with nothing. A WebSocket
 * handshake the `ws` library would refuse in plain text gets the coded body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@tickstorm/protocol';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { sendAndRead } from './support/raw-socket.ts';
import { type Fixture, order, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

interface RawReply {
  status: number;
  body: { error?: { code: string; message: string; field?: string } } & Record<string, unknown>;
}

/** One request written byte for byte on a fresh socket (`Connection: close`), its answer parsed. */
async function rawRequest(port: number, head: string, body = ''): Promise<RawReply> {
  const text = await sendAndRead(port, `${head}Host: x\r\nConnection: close\r\n\r\n${body}`);
  const [statusLine, rest] = [text.slice(0, text.indexOf('\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  let parsed: RawReply['body'] = {};
  try {
    parsed = rest.length > 0 ? JSON.parse(rest) : {};
  } catch {
    parsed = { text: rest };
  }
  return { status: Number(statusLine.split(' ')[1]), body: parsed };
}

const key = (id: string) => KEYS_JSON.find((k) => k.id === id)!;

/** The head of `METHOD path` signed by `id`; `extra` lines are added as written. */
function signedHead(
  id: string,
  method: string,
  path: string,
  o: { body?: string; ts?: string; sig?: string; extra?: string } = {},
): string {
  const ts = o.ts ?? String(Date.now());
  const sig = o.sig ?? signRequest(key(id).secret, ts, method, path, o.body ?? '');
  return (
    `${method} ${path} HTTP/1.1\r\nX-TS-Key: ${id}\r\nX-TS-Timestamp: ${ts}\r\n` +
    `X-TS-Signature: ${sig}\r\n${o.extra ?? ''}`
  );
}

const port = (f: Fixture, s: Parameters<Fixture['url']>[0]) => Number(new URL(f.url(s)).port);
const A_ORDER = JSON.stringify(order('AAPL', 'buy', 'limit', 1, 100, { account: 'acct-a' }));
const JSON_EMPTY = 'Content-Type: application/json\r\nContent-Length: 0\r\n';
const JSON_CHUNKED_EMPTY = 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n';

describe('auth: what a signing client trips over', () => {
  let f: Fixture;
  let ee: number;
  let rm: number;
  let api: number;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine', 'risk-manager', 'api', 'market-data'],
      security: { keys: keyStore() },
      inputLog: false,
    });
    ee = port(f, 'execution-engine');
    rm = port(f, 'risk-manager');
    api = port(f, 'api');
  });
  after(() => f.close());

  test('a repeated auth header is 401 TRD_ERR_UNAUTHENTICATED naming it, not an unknown key', async () => {
    const ts = String(Date.now());
    const sig = signRequest(key('viewer-1').secret, ts, 'GET', '/limits');
    for (const [name, value] of [
      ['X-TS-Key', 'viewer-1'],
      ['X-TS-Timestamp', ts],
      ['X-TS-Signature', sig],
    ]) {
      const r = await rawRequest(
        rm,
        signedHead('viewer-1', 'GET', '/limits', { ts, extra: `${name}: ${value}\r\n` }),
      );
      assert.equal(r.status, 401, name);
      assert.equal(r.body.error?.code, 'TRD_ERR_UNAUTHENTICATED', name);
      assert.match(r.body.error!.message, new RegExp(`${name} must be sent once`), name);
    }
  });

  test('an uppercase hex signature is refused saying so', async () => {
    const ts = String(Date.now());
    const sig = signRequest(key('viewer-1').secret, ts, 'GET', '/limits').toUpperCase();
    const r = await rawRequest(rm, signedHead('viewer-1', 'GET', '/limits', { ts, sig }));
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'TRD_ERR_BAD_SIGNATURE');
    assert.match(r.body.error!.message, /must be lowercase hex/);
  });

  test('a bad signature names what the server signed: the path as sent, the body length', async () => {
    // Signed over the decoded query, sent percent-encoded: the message shows the bytes received.
    const ts = String(Date.now());
    const sig = signRequest(key('trader-a').secret, ts, 'GET', '/positions?account=acct-a');
    const r = await rawRequest(rm, signedHead('trader-a', 'GET', '/positions?account=acct%2Da', { ts, sig }));
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'TRD_ERR_BAD_SIGNATURE');
    assert.ok(r.body.error!.message.includes(`"${ts}" + "GET" + "/positions?account=acct%2Da" (no body)`));
    // The same query signed as sent is served.
    const ok = await rawRequest(rm, signedHead('trader-a', 'GET', '/positions?account=acct%2Da'));
    assert.equal(ok.status, 200);

    const sent = ` ${A_ORDER}`; // whitespace differs from what was signed
    const b = await rawRequest(
      ee,
      signedHead('trader-a', 'POST', '/orders', {
        body: A_ORDER,
        extra: `Content-Type: application/json\r\nContent-Length: ${sent.length}\r\n`,
      }),
      sent,
    );
    assert.equal(b.status, 401);
    assert.match(b.body.error!.message, new RegExp(`\\+ "/orders" \\+ the body's ${sent.length} bytes`));
  });

  test('timestamps: not whole ms, or how far from the clock', async () => {
    const now = Date.now();
    for (const ts of [`${now}.0`, String(now / 1000), `-${now}`, `+${now}`, '1e12']) {
      const r = await rawRequest(rm, signedHead('viewer-1', 'GET', '/limits', { ts }));
      assert.equal(r.status, 401, ts);
      assert.equal(r.body.error?.code, 'TRD_ERR_STALE_TIMESTAMP', ts);
      assert.match(r.body.error!.message, /is not whole milliseconds since the epoch/, ts);
    }
    const late = await rawRequest(rm, signedHead('viewer-1', 'GET', '/limits', { ts: String(now - 60_000) }));
    assert.equal(late.body.error?.code, 'TRD_ERR_STALE_TIMESTAMP');
    assert.match(
      late.body.error!.message,
      /is \d+ ms behind the server's clock .*; at most 5000 ms either way$/,
    );
    const early = await rawRequest(
      rm,
      signedHead('viewer-1', 'GET', '/limits', { ts: String(now + 60_000) }),
    );
    assert.match(early.body.error!.message, /is \d+ ms ahead of the server's clock/);
  });

  test('an unknown key is named', async () => {
    const r = await rawRequest(rm, signedHead('VIEWER-1', 'GET', '/limits', { sig: '00' }));
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'TRD_ERR_UNKNOWN_KEY');
    assert.match(r.body.error!.message, /unknown key "VIEWER-1"/);
  });

  test('an empty JSON body is no body: DELETE and the kill switch are served, POST /orders says why not', async () => {
    const placed = await rawRequest(
      ee,
      signedHead('trader-a', 'POST', '/orders', {
        body: A_ORDER,
        extra: `Content-Type: application/json\r\nContent-Length: ${A_ORDER.length}\r\n`,
      }),
      A_ORDER,
    );
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const del = await rawRequest(
      ee,
      signedHead('trader-a', 'DELETE', `/orders/${placed.body.id}`, { extra: JSON_EMPTY }),
    );
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(del.body.status, 'cancelled');

    for (const [what, extra, body] of [
      ['Content-Length: 0', JSON_EMPTY, ''],
      ['chunked, no chunk', JSON_CHUNKED_EMPTY, '0\r\n\r\n'],
    ] as const) {
      const halt = await rawRequest(
        ee,
        signedHead('admin-1', 'POST', '/admin/accounts/acct-a2/halt', { extra }),
        body,
      );
      assert.equal(halt.status, 200, `${what}: ${JSON.stringify(halt.body)}`);
      assert.equal(halt.body.halted, true, what);
      const resume = await rawRequest(
        ee,
        signedHead('admin-1', 'POST', '/admin/accounts/acct-a2/resume', { extra }),
        body,
      );
      assert.equal(resume.status, 200, what);
      assert.equal(resume.body.wasHalted, true, what);
    }

    const empty = await rawRequest(ee, signedHead('trader-a', 'POST', '/orders', { extra: JSON_EMPTY }));
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error?.code, 'PRT_ERR_MALFORMED_JSON');
    assert.match(empty.body.error!.message, /must be a JSON object/);
    // An empty body signed as if it held bytes is still refused.
    const forged = await rawRequest(
      ee,
      signedHead('admin-1', 'POST', '/admin/accounts/acct-a2/halt', { body: '{}', extra: JSON_EMPTY }),
    );
    assert.equal(forged.status, 401);
    assert.equal(forged.body.error?.code, 'TRD_ERR_BAD_SIGNATURE');
  });

  test('GET /positions: account given twice or empty is 400 TRD_ERR_INVALID_QUERY', async () => {
    for (const id of ['trader-a', 'admin-1']) {
      const twice = await rawRequest(rm, signedHead(id, 'GET', '/positions?account=acct-a&account=acct-a2'));
      assert.equal(twice.status, 400, id);
      assert.equal(twice.body.error?.code, 'TRD_ERR_INVALID_QUERY', id);
      assert.match(twice.body.error!.message, /account must be given once/, id);
      assert.equal(twice.body.error?.field, 'account');
      const empty = await rawRequest(rm, signedHead(id, 'GET', '/positions?account='));
      assert.equal(empty.status, 400, id);
      assert.equal(empty.body.error?.code, 'TRD_ERR_INVALID_QUERY', id);
    }
    const one = await rawRequest(rm, signedHead('trader-a', 'GET', '/positions?account=acct-a2'));
    assert.equal(one.status, 200);
  });

  test('an order naming a malformed account is 400 for a trader as for an admin, not 403', async () => {
    const body = JSON.stringify(order('AAPL', 'buy', 'limit', 1, 100, { account: '' }));
    for (const [id, p, path] of [
      ['trader-a', ee, '/orders'],
      ['admin-1', ee, '/orders'],
      ['trader-a', rm, '/check'],
    ] as const) {
      const r = await rawRequest(
        p,
        signedHead(id, 'POST', path, {
          body,
          extra: `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`,
        }),
        body,
      );
      assert.equal(r.status, 400, `${id} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error?.code, 'PRT_ERR_INVALID_FIELD', `${id} ${path}`);
      assert.equal(r.body.error?.field, 'account');
    }
  });

  test('GET /api/metrics/query: sql given twice is 400 TRD_ERR_INVALID_QUERY, not "sql is required"', async () => {
    const r = await rawRequest(
      api,
      signedHead('admin-1', 'GET', '/api/metrics/query?sql=SELECT%201&sql=SELECT%202'),
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, 'TRD_ERR_INVALID_QUERY');
    assert.match(r.body.error!.message, /sql must be given once/);
  });

  test('a WebSocket sig parameter that does not match names the path signed over', async () => {
    const ts = String(Date.now());
    const feed = key('feed-1');
    const sig = signRequest(feed.secret, ts, 'GET', '/stream'); // without the ack=1 the client kept
    const r = await tryUpgrade(
      `ws://127.0.0.1:${port(f, 'market-data')}/stream?ack=1&key=${feed.id}&ts=${ts}&sig=${sig}`,
    );
    assert.equal(r.status, 401);
    const e = JSON.parse(r.body).error;
    assert.equal(e.code, 'TRD_ERR_BAD_SIGNATURE');
    assert.ok(e.message.startsWith('the sig parameter does not match'), e.message);
    assert.ok(e.message.includes(`"${ts}" + "GET" + "/stream?ack=1")`), e.message);
  });
});

describe('WebSocket handshakes ws would refuse in plain text are coded', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ services: ['market-data', 'api'], inputLog: false });
  });
  after(() => f.close());

  const upgrade = (method: string, path: string, lines: string) =>
    `${method} ${path} HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${lines}`;
  const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  for (const [service, path] of [
    ['market-data', '/stream'],
    ['api', '/ws/metrics'],
  ] as const) {
    test(`${path}: no key, no version, another method`, async () => {
      const p = port(f, service);
      for (const [what, head, status, code, message] of [
        [
          'no key',
          upgrade('GET', path, 'Sec-WebSocket-Version: 13\r\n'),
          400,
          'TRD_ERR_BAD_REQUEST',
          /Sec-WebSocket-Key/,
        ],
        ['no version', upgrade('GET', path, KEY), 400, 'TRD_ERR_BAD_REQUEST', /Sec-WebSocket-Version/],
        [
          'POST',
          upgrade('POST', path, `${KEY}Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n`),
          405,
          'TRD_ERR_METHOD_NOT_ALLOWED',
          /is a GET/,
        ],
      ] as const) {
        const r = await rawRequest(p, head);
        assert.equal(r.status, status, `${path} ${what}`);
        assert.equal(r.body.error?.code, code, `${path} ${what}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error!.message, message, `${path} ${what}`);
      }
      const ok = await tryUpgrade(`ws://127.0.0.1:${p}${path}`);
      assert.equal(ok.status, 101);
    });
  }
});

describe('protected mode: an empty JSON body is no body', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ services: ['execution-engine'], inputLog: false });
  });
  after(() => f.close());

  test('the kill switch with Content-Type: application/json and no bytes is served', async () => {
    const ee = port(f, 'execution-engine');
    const halt = await rawRequest(ee, `POST /admin/accounts/default/halt HTTP/1.1\r\n${JSON_EMPTY}`);
    assert.equal(halt.status, 200, JSON.stringify(halt.body));
    assert.equal(halt.body.halted, true);
    const resume = await rawRequest(ee, `POST /admin/accounts/default/resume HTTP/1.1\r\n${JSON_EMPTY}`);
    assert.equal(resume.status, 200);
    assert.equal(resume.body.wasHalted, true);
    const bad = await rawRequest(
      ee,
      'POST /orders HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1\r\n',
      '{',
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'PRT_ERR_MALFORMED_JSON');
  });
});
