/**
 * Authentication and the role's right come before the body's Content-Type: a request with a
 * body that is not `application/json` (text/plain, a form, none at all) from a key without the
 * route's right gets 403 TRD_ERR_FORBIDDEN, and one with a bad signature 401
 * TRD_ERR_BAD_SIGNATURE, not 415. Before, fastify refused the content type before any JSON
 * parser (where the signature and the right of a request with a body were checked) ran, so a
 * viewer or a forger was told to fix its content type. The signature still covers the raw body
 * whatever its type: a key with the right whose signature covers other bytes gets 401, and
 * one whose signature matches gets the 415.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authHeaders, type Identity, keyStore } from './support/auth-fixture.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('auth before the content type', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ security: { keys: keyStore() }, inputLog: false });
  });
  after(() => f.close());

  const ORDER = '{"symbol":"AAPL","side":"buy","type":"limit","quantity":1,"price":100}';
  const send = (
    who: Identity,
    method: string,
    service: 'execution-engine' | 'api' | 'risk-manager',
    path: string,
    body: string,
    contentType: string | undefined,
    signedBody = body,
  ) => {
    const headers = authHeaders(who, method, path, signedBody);
    if (contentType !== undefined) headers['content-type'] = contentType;
    return f.http.send(method, `${f.url(service)}${path}`, new TextEncoder().encode(body), headers);
  };

  const types = ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', undefined];
  for (const type of types) {
    const shown = type ?? 'no Content-Type';
    test(`${shown}: no key 401, bad signature 401, stale 401, no right 403`, async () => {
      for (const [who, status, code] of [
        ['none', 401, 'TRD_ERR_UNAUTHENTICATED'],
        ['badSig', 401, 'TRD_ERR_BAD_SIGNATURE'],
        ['stale', 401, 'TRD_ERR_STALE_TIMESTAMP'],
        ['viewer', 403, 'TRD_ERR_FORBIDDEN'],
        ['feed', 403, 'TRD_ERR_FORBIDDEN'],
      ] as const) {
        const r = await send(who, 'POST', 'execution-engine', '/orders', ORDER, type);
        assert.equal(r.status, status, `${who}: ${JSON.stringify(r.body)}`);
        assert.equal(codedError(r).code, code, who);
      }
      const put = await send('viewer', 'PUT', 'risk-manager', '/limits', '{}', type);
      assert.equal(put.status, 403, JSON.stringify(put.body));
      const feed = await send('viewer', 'POST', 'api', '/api/metrics', '[]', type);
      assert.equal(feed.status, 403, JSON.stringify(feed.body));
      const del = await send('viewer', 'DELETE', 'execution-engine', '/orders/1', 'x', type);
      assert.equal(del.status, 403, JSON.stringify(del.body));
    });

    test(`${shown}: a key with the right gets 415 once its signature over the raw body matches`, async () => {
      const ok = await send('owner', 'POST', 'execution-engine', '/orders', ORDER, type);
      assert.equal(ok.status, 415, JSON.stringify(ok.body));
      assert.equal(codedError(ok).code, 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE');
      // signed over other bytes (the body's signature is checked, not skipped)
      const other = await send('owner', 'POST', 'execution-engine', '/orders', ORDER, type, `${ORDER} `);
      assert.equal(other.status, 401, JSON.stringify(other.body));
      assert.equal(codedError(other).code, 'TRD_ERR_BAD_SIGNATURE');
      assert.match(codedError(other).message, new RegExp(`the body's ${ORDER.length} bytes`));
      // signed as if there were no body
      const none = await send('owner', 'POST', 'execution-engine', '/orders', ORDER, type, '');
      assert.equal(none.status, 401, JSON.stringify(none.body));
    });
  }

  test('a malformed Content-Type and a compressed JSON body: the right first too', async () => {
    for (const type of ['text', 'application/json-patch+json', '/']) {
      const viewer = await send('viewer', 'POST', 'execution-engine', '/orders', ORDER, type);
      assert.equal(viewer.status, 403, `${type}: ${JSON.stringify(viewer.body)}`);
      const owner = await send('owner', 'POST', 'execution-engine', '/orders', ORDER, type);
      assert.equal(owner.status, 415, `${type}: ${JSON.stringify(owner.body)}`);
      assert.ok(codedError(owner).message.includes(JSON.stringify(type)), codedError(owner).message);
    }
    const headers = {
      ...authHeaders('viewer', 'POST', '/orders', ORDER),
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    };
    const gz = await f.http.send('POST', `${f.url('execution-engine')}/orders`, ORDER, headers);
    assert.equal(gz.status, 403, JSON.stringify(gz.body));
  });

  test('an unknown path with a text body is still 404 for a key that may', async () => {
    const r = await send('admin', 'POST', 'execution-engine', '/nowhere', 'x', 'text/plain');
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.equal(codedError(r).code, 'TRD_ERR_NOT_FOUND');
    const bad = await send('badSig', 'POST', 'execution-engine', '/nowhere', 'x', 'text/plain');
    assert.equal(bad.status, 401, JSON.stringify(bad.body));
  });

  test('nothing was placed by any of them', async () => {
    const r = await f.http.send(
      'GET',
      `${f.url('execution-engine')}/orders`,
      undefined,
      authHeaders('admin', 'GET', '/orders'),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.orders ?? r.body, []);
  });
});
