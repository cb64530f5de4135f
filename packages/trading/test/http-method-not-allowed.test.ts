/**
 * A method a path does not take was answered 404 TRD_ERR_NOT_FOUND "no route ..." (fastify's
 * default), as if the path did not exist: it is 405 TRD_ERR_METHOD_NOT_ALLOWED with an `Allow`
 * header listing the methods the path takes (RFC 9110 §15.5.6), on every service. Unknown paths
 * stay 404; HEAD is served where GET is; a plain GET of a WebSocket endpoint stays 426. With keys,
 * a method the path does not take is an unmatched request: the key, its signature and the
 * unmatched request's right (view for GET/HEAD, admin otherwise: auth/route-rights.ts) come
 * first, as for an unknown path, then the 405.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authHeaders, keyStore } from './support/auth-fixture.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

const ALL = ['market-data', 'execution-engine', 'risk-manager', 'api'] as const;

describe('a method the path does not take: 405 with Allow', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false, services: [...ALL] });
  });
  after(() => f.close());

  for (const [service, method, path, allow] of [
    ['execution-engine', 'PUT', '/orders', 'GET, HEAD, POST'],
    ['execution-engine', 'OPTIONS', '/orders', 'GET, HEAD, POST'],
    ['execution-engine', 'POST', '/orders/abc', 'DELETE, GET, HEAD'],
    ['execution-engine', 'QUERY', '/orders', 'GET, HEAD, POST'],
    ['risk-manager', 'DELETE', '/limits', 'GET, HEAD, PUT'],
    ['market-data', 'DELETE', '/stream', 'GET, HEAD'],
    ['api', 'DELETE', '/ws/metrics', 'GET, HEAD'],
    ['api', 'GET', '/api/strategy/analyze', 'POST'],
  ] as const) {
    test(`${service}: ${method} ${path} is 405, Allow: ${allow}`, async () => {
      const r = await f.http.send(method, `${f.url(service)}${path}`);
      assert.equal(r.status, 405, JSON.stringify(r.body));
      assert.equal(codedError(r).code, 'TRD_ERR_METHOD_NOT_ALLOWED');
      const sorted = (list: string) => list.split(', ').sort().join(', ');
      const says = `${method} is not allowed on ${path}: it takes `;
      assert.ok(codedError(r).message.startsWith(says), codedError(r).message);
      assert.equal(sorted(codedError(r).message.slice(says.length)), allow);
      assert.equal(sorted(r.headers.get('allow')!), allow);
    });
  }

  test('a body on a method the path does not take is not parsed: 405 still', async () => {
    const r = await f.http.send('POST', `${f.url('execution-engine')}/stats`, '{bad', {
      'content-type': 'application/json',
    });
    assert.equal(r.status, 405, JSON.stringify(r.body));
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
  });

  test('unknown paths stay 404, HEAD is served where GET is, a plain GET of /stream stays 426', async () => {
    for (const service of ALL) {
      const r = await f.http.send('DELETE', `${f.url(service)}/nowhere`);
      assert.equal(r.status, 404, `${service}: ${JSON.stringify(r.body)}`);
      assert.equal(r.headers.get('allow'), null);
    }
    assert.equal((await f.http.send('HEAD', `${f.url('execution-engine')}/orders`)).status, 200);
    assert.equal((await f.http.send('GET', `${f.url('market-data')}/stream`)).status, 426);
    assert.equal((await f.http.send('HEAD', `${f.url('api')}/ws/metrics`)).status, 426);
  });
});

describe('with keys: the key and its right first, then 405', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({
      inputLog: false,
      services: ['execution-engine'],
      security: { keys: keyStore() },
    });
  });
  after(() => f.close());

  test('OPTIONS /orders: bad signature 401, viewer 403 (as for an unknown path), admin 405 with Allow', async () => {
    const send = (who: 'badSig' | 'viewer' | 'admin', path: string) =>
      f.http.send(
        'OPTIONS',
        `${f.url('execution-engine')}${path}`,
        undefined,
        authHeaders(who, 'OPTIONS', path),
      );
    assert.equal((await send('badSig', '/orders')).status, 401);
    const viewer = await send('viewer', '/orders');
    assert.equal(viewer.status, 403, JSON.stringify(viewer.body));
    assert.equal((await send('viewer', '/nowhere')).status, 403);
    const admin = await send('admin', '/orders');
    assert.equal(admin.status, 405, JSON.stringify(admin.body));
    assert.equal(admin.headers.get('allow'), 'GET, HEAD, POST');
    assert.equal((await send('admin', '/nowhere')).status, 404);
  });
});
