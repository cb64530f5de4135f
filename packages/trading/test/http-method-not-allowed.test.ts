/**
 * A method a path does not take was answered 404 TRD_ERR_NOT_FOUND "no route ..." (fastify's
 * default), as if the path did not exist: it is 405 TRD_ERR_METHOD_NOT_ALLOWED with an `Allow`
 * header listing the methods the path takes (RFC 9110 §15.5.6), on every service. Unknown paths
 * stay 404; HEAD is served where GET is; a plain GET of a WebSocket endpoint stays 426. With keys,
 * a method the path does not take is an unmatched request: the key and its signature come first
 * (401), then the 405 whatever the key's role, as an unknown path's 404 (auth/route-rights.ts
 * ANY_KEY). Before, an unmatched request needed view (GET/HEAD) or admin: a viewer's
 * `OPTIONS /orders` was 403 where an admin's was 405.
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

  test('OPTIONS /orders: no key or a bad signature 401, then 405 with Allow whatever the role', async () => {
    const send = (
      who: 'none' | 'badSig' | 'viewer' | 'feed' | 'owner' | 'admin',
      path: string,
      method = 'OPTIONS',
    ) =>
      f.http.send(method, `${f.url('execution-engine')}${path}`, undefined, authHeaders(who, method, path));
    assert.equal((await send('none', '/orders')).status, 401);
    assert.equal((await send('badSig', '/orders')).status, 401);
    for (const who of ['viewer', 'feed', 'owner', 'admin'] as const) {
      const r = await send(who, '/orders');
      assert.equal(r.status, 405, `${who}: ${JSON.stringify(r.body)}`);
      assert.equal(codedError(r).code, 'TRD_ERR_METHOD_NOT_ALLOWED');
      assert.equal(r.headers.get('allow'), 'GET, HEAD, POST');
      // a path no route serves: 404 alike
      const none = await send(who, '/nowhere');
      assert.equal(none.status, 404, `${who}: ${JSON.stringify(none.body)}`);
      assert.equal(codedError(none).code, 'TRD_ERR_NOT_FOUND');
    }
    // PUT on an admin route: 405 for a viewer too (it names the methods, it does not run anything)
    const put = await send('viewer', '/admin/accounts/a/halt', 'PUT');
    assert.deepEqual([put.status, put.headers.get('allow')], [405, 'POST']);
    // a route that exists still needs its right: 403
    assert.equal((await send('viewer', '/admin/accounts/a/halt', 'POST')).status, 403);
    assert.equal((await send('feed', '/orders', 'GET')).status, 403);
  });
});
