/**
 * An empty path parameter is 400 PRT_ERR_INVALID_FIELD naming it, on every route of the four
 * services that has one (http/route-params.ts). Before, `GET /orders/` and `DELETE /orders/`
 * were read as `/orders/:id` with the id "" (404 TRD_ERR_ORDER_NOT_FOUND "no order "),
 * `/bars/` and `/symbols/` answered 404 unknown symbol "", `/book/` and `/api/data//bars` 400
 * PRT_ERR_UNKNOWN_SYMBOL; only the kill switch (`/admin/accounts//halt`) answered this. The
 * routes are read from the services themselves (the route tree). With keys, the key and its
 * right come first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyedEngine } from './support/keyed-engine.ts';
import { collectRoutes, pathOf } from './support/route-tree.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('an empty path parameter, on every route', () => {
  let f: Fixture;
  let tree: ReturnType<typeof collectRoutes>;
  before(async () => {
    tree = collectRoutes();
    f = await startFixture({ inputLog: false });
  });
  after(async () => {
    tree.stop();
    await f.close();
  });

  test('400 PRT_ERR_INVALID_FIELD naming the parameter, each parameter of each route', async () => {
    const wrong: string[] = [];
    const seen: string[] = [];
    for (const [service, list] of tree.routes) {
      for (const [method, pattern] of list) {
        for (const [param] of pattern.matchAll(/:[a-z]+/g)) {
          const path = pathOf(pattern, { [param]: '' });
          seen.push(`${method} ${path}`);
          const r = await f.http.send(method, `${f.url(service)}${path}`);
          const e = method === 'HEAD' ? undefined : r.body?.error;
          if (
            r.status !== 400 ||
            (method !== 'HEAD' && (e?.code !== 'PRT_ERR_INVALID_FIELD' || e?.field !== param.slice(1)))
          ) {
            wrong.push(`${service} ${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
          }
        }
      }
    }
    for (const r of [
      'GET /orders/',
      'DELETE /orders/',
      'GET /book/',
      'GET /bars/',
      'GET /symbols/',
      'GET /api/data//bars',
      'POST /admin/accounts//halt',
      'POST /admin/accounts//resume',
    ]) {
      assert.ok(seen.includes(r), `${r} in ${seen.join(', ')}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('the message names the route; a filled parameter is served as before', async () => {
    const e = codedError(await f.http.get(`${f.url('execution-engine')}/orders/`));
    assert.equal(e.message, 'id is empty: GET /orders/:id needs one in the path');
    const missing = await f.http.get(`${f.url('execution-engine')}/orders/1`);
    assert.deepEqual([missing.status, codedError(missing).code], [404, 'TRD_ERR_ORDER_NOT_FOUND']);
    assert.equal((await f.http.get(`${f.url('execution-engine')}/orders`)).status, 200);
    assert.equal((await f.http.get(`${f.url('execution-engine')}/book/AAPL`)).status, 200);
  });
});

describe('an empty path parameter with keys: the key and its right first', () => {
  const { send } = keyedEngine();

  test('no key 401, a key without the right 403, then 400', async () => {
    assert.equal((await send('none', 'GET', '/orders/')).status, 401);
    assert.equal((await send('viewer', 'DELETE', '/orders/')).status, 403);
    assert.equal((await send('owner', 'POST', '/admin/accounts//halt')).status, 403);
    for (const [who, method, path, field] of [
      ['owner', 'GET', '/orders/', 'id'],
      ['owner', 'DELETE', '/orders/', 'id'],
      ['admin', 'POST', '/admin/accounts//halt', 'account'],
    ] as const) {
      const r = await send(who, method, path);
      assert.equal(r.status, 400, `${who} ${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.deepEqual([codedError(r).code, codedError(r).field], ['PRT_ERR_INVALID_FIELD', field]);
    }
  });
});
