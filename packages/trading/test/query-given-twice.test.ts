/**
 * A query parameter given twice (`params=[("depth", 10), ("depth", 5)]` in httpx) is refused
 * naming the repetition on the book and bars routes too, as `GET /orders` and `/positions`
 * do, rather than with the value's format ("depth must be an integer 1..1000"), which sent a
 * client looking at a value that was fine; with the code of every bad query parameter
 * (TRD_ERR_INVALID_QUERY), as those two answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('a query parameter given twice', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ services: ['market-data', 'execution-engine', 'api'], inputLog: false });
  });
  after(() => f.close());

  const cases: [service: 'market-data' | 'execution-engine' | 'api', path: string, field: string][] = [
    ['execution-engine', '/book/AAPL?depth=10&depth=5', 'depth'],
    ['market-data', '/bars/AAPL?limit=1&limit=2', 'limit'],
    ['market-data', '/bars/AAPL?interval=1s&interval=1m', 'interval'],
    ['api', '/api/data/AAPL/bars?limit=1&limit=2', 'limit'],
    ['api', '/api/data/AAPL/bars?interval=1s&interval=1s', 'interval'],
  ];
  for (const [service, path, field] of cases) {
    test(`${path}: 400 naming ${field} as given twice`, async () => {
      const r = await f.http.get(`${f.url(service)}${path}`);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const e = codedError(r);
      assert.equal(e.code, 'TRD_ERR_INVALID_QUERY');
      assert.equal(e.field, field);
      assert.equal(e.message, `${field} must be given once`);
    });
  }

  test('given once, the same values are served', async () => {
    assert.equal((await f.http.get(`${f.url('execution-engine')}/book/AAPL?depth=10`)).status, 200);
    assert.equal((await f.http.get(`${f.url('market-data')}/bars/AAPL?interval=1s&limit=2`)).status, 200);
    assert.equal((await f.http.get(`${f.url('api')}/api/data/AAPL/bars?interval=1s&limit=2`)).status, 200);
  });
});
