/**
 * Every route of the four services refuses a query parameter it does not take with 400
 * TRD_ERR_INVALID_QUERY naming it (http/route-query.ts), read-only GETs included: before,
 * `/stats`, `/limits`, `/orders/:id`, `/symbols`, `/api/metrics*` and
 * every POST (`POST /orders?bogus=1` placed the order) ignored one, while `GET /orders`, `GET
 * /positions`, `DELETE /orders/:id` refused it, and `/book`, `/bars` and `/api/data/:symbol/bars`
 * refused it with another code (PRT_ERR_INVALID_FIELD). The routes are read from the services
 * themselves (fastify's route tree), so a route added later is checked too. With keys, the
 * key and its right come first. `POST /stats/reset` takes no body either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { keyedEngine } from './support/keyed-engine.ts';
import { collectRoutes, pathOf } from './support/route-tree.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('unknown query parameters, on every route', () => {
  let f: Fixture;
  let tree: ReturnType<typeof collectRoutes>;
  let routes: ReturnType<typeof collectRoutes>['routes'];
  before(async () => {
    tree = collectRoutes();
    routes = tree.routes;
    f = await startFixture({ inputLog: false });
  });
  after(async () => {
    tree.stop();
    await f.close();
  });

  test('the route tree was read: all four services, the routes this test is about among them', () => {
    assert.deepEqual([...routes.keys()].sort(), ['api', 'execution-engine', 'market-data', 'risk-manager']);
    const all = [...routes.values()].flat().map(([m, p]) => `${m} ${p}`);
    for (const r of [
      'GET /stats',
      'GET /limits',
      'GET /orders/:id',
      'POST /orders',
      'GET /api/metrics/query',
    ]) {
      assert.ok(all.includes(r), `${r} in ${all.join(', ')}`);
    }
    assert.ok(all.length > 40, String(all.length));
  });

  test('?bogus=1 on every method of every route but the probe and scrape paths: 400 TRD_ERR_INVALID_QUERY naming it', async () => {
    const wrong: string[] = [];
    for (const [service, list] of routes) {
      for (const [method, pattern] of list) {
        if (pattern === '/health' || pattern === '/metrics') continue;
        const path = pathOf(pattern);
        const r = await f.http.send(method, `${f.url(service)}${path}?bogus=1`);
        const e = method === 'HEAD' ? undefined : r.body?.error;
        if (
          r.status !== 400 ||
          (method !== 'HEAD' && (e?.code !== 'TRD_ERR_INVALID_QUERY' || e?.field !== 'bogus'))
        ) {
          wrong.push(`${service} ${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('/health and /metrics answer whatever query a probe or a scraper adds', async () => {
    for (const service of ['market-data', 'execution-engine', 'risk-manager', 'api'] as const) {
      for (const path of ['/health', '/metrics']) {
        const r = await f.http.get(`${f.url(service)}${path}?bogus=1&_=1733500000`);
        assert.equal(r.status, 200, `${service} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });

  test('the message says what the route takes; the parameters it takes still work', async () => {
    const stats = codedError(await f.http.get(`${f.url('market-data')}/stats?verbose=1`));
    assert.equal(stats.message, 'unknown query parameter "verbose": GET /stats takes no query parameter');
    const book = codedError(await f.http.get(`${f.url('execution-engine')}/book/AAPL?depth=5&levels=5`));
    assert.deepEqual([book.code, book.field], ['TRD_ERR_INVALID_QUERY', 'levels']);
    assert.match(book.message, /GET \/book\/:symbol takes depth/);
    assert.equal((await f.http.get(`${f.url('execution-engine')}/book/AAPL?depth=5`)).status, 200);
    assert.equal((await f.http.get(`${f.url('market-data')}/bars/AAPL?interval=1s&limit=2`)).status, 200);
    assert.equal((await f.http.get(`${f.url('risk-manager')}/positions?account=default`)).status, 200);
    assert.equal(
      (await f.http.get(`${f.url('execution-engine')}/orders?account=default&limit=5`)).status,
      200,
    );
    assert.equal((await f.http.get(`${f.url('market-data')}/stats?`)).status, 200);
  });

  test('a refused POST /orders?bogus=1 places nothing', async () => {
    const order = {
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 100,
      clientOrderId: 'q-1',
    };
    const r = await f.http.post(`${f.url('execution-engine')}/orders?clientOrderId=q-1`, order);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const listed = await f.http.get(`${f.url('execution-engine')}/orders`);
    assert.equal(listed.body.count, 0, JSON.stringify(listed.body));
  });

  test('POST /stats/reset takes no body field either', async () => {
    const r = await f.http.post(`${f.url('market-data')}/stats/reset`, { keepTicks: true });
    assert.equal(r.status, 400);
    assert.deepEqual([codedError(r).code, codedError(r).field], ['PRT_ERR_INVALID_FIELD', 'keepTicks']);
    assert.equal((await f.http.post(`${f.url('market-data')}/stats/reset`, {})).status, 204);
  });
});

describe('unknown query parameters with keys: the key and its right first', () => {
  const { send } = keyedEngine();

  test('no key 401, a viewer 403, the owner 400', async () => {
    assert.equal((await send('none', 'GET', '/orders/1?bogus=1')).status, 401);
    assert.equal((await send('viewer', 'GET', '/orders/1?bogus=1')).status, 403);
    const owner = await send('owner', 'GET', '/orders/1?bogus=1');
    assert.equal(owner.status, 400);
    assert.equal(codedError(owner).code, 'TRD_ERR_INVALID_QUERY');
    assert.equal((await send('viewer', 'GET', '/stats?bogus=1')).status, 400);
  });
});
