/**
 * A query parameter a route takes, with a bad value or given twice, is 400 TRD_ERR_INVALID_QUERY
 * naming it on every route of the four services, its message saying what it takes. Before,
 * the code depended on the route: `/orders?limit=abc` and `/positions?account=` answered
 * TRD_ERR_INVALID_QUERY, `/book/AAPL?depth=abc`, `/bars/AAPL?interval=5m` and
 * `/api/data/AAPL/bars?limit=0` PRT_ERR_INVALID_FIELD (the code of a bad JSON body field).
 * The routes and the parameters each takes are read from the services themselves: the route
 * tree, and the message of the `?bogus=1` refusal ("GET /book/:symbol takes depth"), so a
 * parameter added later must be given a bad value here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { collectRoutes, pathOf, type Service } from './support/route-tree.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

/** A bad value of each query parameter any route takes, and what the message must say. */
const BAD: Record<string, [value: string, message: RegExp] | undefined> = {
  depth: ['abc', /^depth must be an integer 1\.\.1000$/],
  limit: ['abc', /^limit must be an integer 1\.\.\d+$/],
  interval: ['5m', /^interval must be one of 1s, 1m$/],
  account: ['', /^account must be 1\.\.64 printable ASCII characters other than space$/],
  status: ['closed', /^status must be "open"/],
  cursor: ['nope', /^"nope" is not an order id$/],
  after: ['nope', /^"nope" is not an order id$/],
  // any text is a statement (a bad one is TRD_ERR_QUERY_REFUSED, about the SQL): given twice only
  sql: undefined,
};

describe('a bad value of a query parameter a route takes: one code on every route', () => {
  let f: Fixture;
  let tree: ReturnType<typeof collectRoutes>;
  /** `service method path` and the parameters it takes. */
  const taking: [service: Service, method: string, path: string, params: string[]][] = [];
  before(async () => {
    tree = collectRoutes();
    f = await startFixture({ inputLog: false });
    for (const [service, list] of tree.routes) {
      for (const [method, pattern] of list) {
        if (method === 'HEAD' || pattern === '/health' || pattern === '/metrics') continue;
        const path = pathOf(pattern);
        const r = await f.http.send(method, `${f.url(service)}${path}?bogus=1`);
        const takes = / takes (.*)$/.exec(codedError(r).message)?.[1];
        // "takes no query parameter", or (refuseArguments) "takes none"
        if (takes === undefined || takes === 'no query parameter' || takes === 'none') continue;
        taking.push([service, method, path, takes.split(', ')]);
      }
    }
  });
  after(async () => {
    tree.stop();
    await f.close();
  });

  test('the routes taking query parameters were found, in all four services', () => {
    const found = taking.map(([s, m, p, q]) => `${s} ${m} ${p} ${q.join(',')}`).sort();
    for (const r of [
      'api GET /api/data/AAPL/bars interval,limit',
      'api GET /api/metrics/query sql',
      'execution-engine GET /book/AAPL depth',
      'execution-engine GET /orders account,status,limit,cursor,after',
      'market-data GET /bars/AAPL interval,limit',
      'risk-manager GET /positions account',
    ]) {
      assert.ok(found.includes(r), `${r} in\n${found.join('\n')}`);
    }
  });

  test('a bad value: 400 TRD_ERR_INVALID_QUERY naming the parameter, saying what it takes', async () => {
    const wrong: string[] = [];
    for (const [service, method, path, params] of taking) {
      for (const p of params) {
        assert.ok(p in BAD, `${method} ${path} takes ${p}: give it a bad value in BAD`);
        const bad = BAD[p];
        if (bad === undefined) continue;
        const r = await f.http.send(method, `${f.url(service)}${path}?${p}=${encodeURIComponent(bad[0])}`);
        const e = r.body?.error;
        if (
          r.status !== 400 ||
          e?.code !== 'TRD_ERR_INVALID_QUERY' ||
          e?.field !== p ||
          !bad[1].test(e?.message)
        ) {
          wrong.push(`${service} ${method} ${path}?${p}=${bad[0]}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('given twice: 400 TRD_ERR_INVALID_QUERY naming it ("must be given once")', async () => {
    const wrong: string[] = [];
    for (const [service, method, path, params] of taking) {
      for (const p of params) {
        const r = await f.http.send(method, `${f.url(service)}${path}?${p}=1&${p}=2`);
        const e = r.body?.error;
        if (r.status !== 400 || e?.code !== 'TRD_ERR_INVALID_QUERY' || e?.field !== p) {
          wrong.push(`${service} ${method} ${path}?${p}=1&${p}=2: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test('a value that does not percent-decode: 400 TRD_ERR_INVALID_QUERY naming it', async () => {
    // Kept as sent by the query parser, `?account=%ZZ` listed the orders of an account "%ZZ" and
    // `?sql=SELECT%20%FF` ran the undecoded text as SQL.
    const wrong: string[] = [];
    for (const [service, method, path, params] of taking) {
      for (const p of params) {
        for (const value of ['%ZZ', 'a%', '%FF', '%ED%A0%80']) {
          const r = await f.http.send(method, `${f.url(service)}${path}?${p}=${value}`);
          const e = r.body?.error;
          if (
            r.status !== 400 ||
            e?.code !== 'TRD_ERR_INVALID_QUERY' ||
            e?.field !== p ||
            !/does not percent-decode/.test(e?.message)
          ) {
            wrong.push(`${service} ${method} ${path}?${p}=${value}: ${r.status} ${JSON.stringify(r.body)}`);
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
    // a parameter the route does not take, undecodable: named as far as it decodes
    const r = await f.http.get(`${f.url('execution-engine')}/book/AAPL?d%65pth%=1`);
    assert.deepEqual(
      [r.status, r.body.error?.code, r.body.error?.field],
      [400, 'TRD_ERR_INVALID_QUERY', 'd%65pth%'],
    );
  });

  test('good values are still served', async () => {
    for (const [service, path] of [
      ['execution-engine', '/book/AAPL?depth=5'],
      ['execution-engine', '/orders?account=default&status=open&limit=5'],
      ['market-data', '/bars/AAPL?interval=1s&limit=2'],
      ['api', '/api/data/AAPL/bars?interval=1m&limit=2'],
      ['risk-manager', '/positions?account=default'],
      ['risk-manager', '/positions?account=%64efault'],
      ['api', '/api/metrics/query?sql=SELECT%20%27%C3%A9%25%27'],
    ] as const) {
      const r = await f.http.get(`${f.url(service)}${path}`);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    }
  });
});
