/**
 * What a hostile client found, each answered with a coded error:
 *
 * - a path no route serves is 404 TRD_ERR_NOT_FOUND whatever its body: a malformed JSON body
 *   to `POST /nowhere` was 400 PRT_ERR_MALFORMED_JSON (the body was parsed for no route), and
 *   the `QUERY` method without a Content-Type 400 "Method 'QUERY' must provide a
 *   'Content-Type' header." on every path, none of which takes QUERY; with keys the key still
 *   comes first (401), then the 404 whatever its role (a path served under other methods is
 *   405 with Allow);
 * - a metrics batch (an array body) whose record names a field twice
 *   (`[{"name":"x","value":1,"value":2}]`) was stored with the last value (202): only object
 *   bodies were looked at. It is 400 PRT_ERR_INVALID_FIELD naming the field, nothing stored;
 * - a body starting with a UTF-8 byte order mark was refused with JSON.parse's message, which
 *   quotes the invisible U+FEFF as the "unexpected token"; the message now names the mark.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authHeaders, keyStore } from './support/auth-fixture.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('hostile client: no route is 404 whatever the body', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false, services: ['execution-engine'] });
  });
  after(() => f.close());

  const json = { 'content-type': 'application/json' };
  // A path some route serves under other methods is 405 with Allow (http/allowed-methods.ts);
  // `/orders/` is `/orders/:id` with an empty id.
  for (const [method, path, body, headers, allow] of [
    ['POST', '/nowhere', '{bad', json, undefined],
    ['POST', '/orders/', '{bad', json, 'GET, HEAD, DELETE'],
    ['PUT', '/orders', '{"a":1,"a":2}', json, 'GET, HEAD, POST'],
    ['QUERY', '/orders', undefined, {}, 'GET, HEAD, POST'],
    ['QUERY', '/nowhere', '{bad', json, undefined],
    ['QUERY', '/stats', '{}', json, 'GET, HEAD'],
  ] as const) {
    test(`${method} ${path} ${body ?? '(no body)'}: ${allow === undefined ? 404 : 405}`, async () => {
      const r = await f.http.send(method, `${f.url('execution-engine')}${path}`, body, headers);
      if (allow === undefined) {
        assert.equal(r.status, 404, JSON.stringify(r.body));
        assert.equal(codedError(r).code, 'TRD_ERR_NOT_FOUND');
        assert.equal(codedError(r).message, `no route ${method} ${path}`);
        return;
      }
      assert.equal(r.status, 405, JSON.stringify(r.body));
      assert.equal(codedError(r).code, 'TRD_ERR_METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), allow);
    });
  }

  test('a body starting with a byte order mark: 400 saying so (not an invisible "unexpected token")', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"symbol":"AAPL"}')]);
    const r = await f.http.send('POST', `${f.url('execution-engine')}/orders`, new Uint8Array(body), json);
    assert.equal(r.status, 400);
    assert.equal(codedError(r).code, 'PRT_ERR_MALFORMED_JSON');
    assert.match(codedError(r).message, /byte order mark/);
  });

  test('a route that exists still answers its 400 for a malformed body', async () => {
    const r = await f.http.send('POST', `${f.url('execution-engine')}/orders`, '{bad', json);
    assert.equal(r.status, 400);
    assert.equal(codedError(r).code, 'PRT_ERR_MALFORMED_JSON');
  });
});

describe('hostile client with keys: no route is 401 first, then 404', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({
      inputLog: false,
      services: ['execution-engine'],
      security: { keys: keyStore() },
    });
  });
  after(() => f.close());

  test('bad signature 401, then 404 whatever the role (viewer and admin alike)', async () => {
    const send = (who: 'badSig' | 'viewer' | 'admin') =>
      f.http.send('POST', `${f.url('execution-engine')}/nowhere`, '{bad', {
        ...authHeaders(who, 'POST', '/nowhere', '{bad'),
        'content-type': 'application/json',
      });
    assert.equal((await send('badSig')).status, 401);
    const viewer = await send('viewer');
    assert.equal(viewer.status, 404, JSON.stringify(viewer.body));
    assert.equal(codedError(viewer).code, 'TRD_ERR_NOT_FOUND');
    const admin = await send('admin');
    assert.equal(admin.status, 404, JSON.stringify(admin.body));
    assert.equal(codedError(admin).code, 'TRD_ERR_NOT_FOUND');
  });
});

describe('hostile client: a field given twice in a metrics batch', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false, services: ['api'] });
  });
  after(() => f.close());

  test('400 naming it (the whole batch refused); the same batch without the repeat is taken', async () => {
    const post = (body: string) =>
      f.http.send('POST', `${f.url('api')}/api/metrics`, body, { 'content-type': 'application/json' });
    for (const [body, field] of [
      ['[{"name":"dup_probe","value":1,"value":2}]', 'value'],
      [
        '[{"name":"dup_probe","value":1},{"name":"dup_probe","value":1,"labels":{"a":"x","a":"y"}}]',
        'labels.a',
      ],
      ['{"records":[{"name":"dup_probe","value":1,"name":"other"}]}', 'records.name'],
    ] as const) {
      const r = await post(body);
      assert.equal(r.status, 400, `${body}: ${JSON.stringify(r.body)}`);
      assert.deepEqual([codedError(r).code, codedError(r).field], ['PRT_ERR_INVALID_FIELD', field]);
    }
    const ok = await post('[{"name":"dup_probe","value":1},{"name":"dup_probe","value":2}]');
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.accepted, 2);
  });
});

describe('hostile client: a plain GET of a WebSocket endpoint', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false, services: ['market-data', 'api'] });
  });
  after(() => f.close());

  for (const [service, path] of [
    ['market-data', '/stream'],
    ['api', '/ws/metrics'],
  ] as const) {
    test(`GET ${path} without an upgrade: 426 TRD_ERR_UPGRADE_REQUIRED, Upgrade: websocket (was 404 "no route")`, async () => {
      const r = await fetch(`${f.url(service)}${path}?ack=1`);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(r.status, 426);
      assert.equal(r.headers.get('upgrade'), 'websocket');
      assert.equal(body.error.code, 'TRD_ERR_UPGRADE_REQUIRED');
      assert.match(body.error.message, new RegExp(`^${path} is a WebSocket endpoint`));
    });
  }

  test('another path stays 404; another method is 405 (Allow: GET, HEAD)', async () => {
    assert.equal((await fetch(`${f.url('market-data')}/ws/metrics`)).status, 404);
    assert.equal((await fetch(`${f.url('api')}/stream`)).status, 404);
    const del = await fetch(`${f.url('api')}/ws/metrics`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, HEAD');
  });
});
