/**
 * Separate-process mode (`tickstorm serve api` alone): the agent endpoints need market data
 * and the trading core in the same process; without them they answer 503
 * TRD_ERR_SERVICE_UNAVAILABLE naming the missing service (input is still validated first),
 * and /health reports the other services "absent" and the store "ok".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('agent endpoints on an api running alone', () => {
  let f: Fixture;
  let api: string;
  before(async () => {
    f = await startFixture({ services: ['api'], selfMetricsIntervalMs: 60_000 });
    api = f.url('api');
  });
  after(() => f.close());

  test('each endpoint is a 503 naming the service it lacks', async () => {
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/data/SYM1/bars', undefined, 'market-data'],
      ['POST', '/api/strategy/analyze', { symbol: 'SYM1', strategy: 'rsi' }, 'market-data'],
      ['POST', '/api/risk/analyze', {}, 'execution-engine'],
      [
        'POST',
        '/api/trade/execute',
        { symbol: 'SYM1', side: 'buy', type: 'market', quantity: 1, price: null },
        'execution-engine',
      ],
    ];
    for (const [method, path, body, missing] of cases) {
      const r = await f.http.send(method, api + path, body);
      assert.equal(r.status, 503, `${path}: ${JSON.stringify(r.body)}`);
      const e = codedError(r);
      assert.deepEqual([e.code, e.field], ['TRD_ERR_SERVICE_UNAVAILABLE', missing], path);
    }
    const wf = await f.http.post(`${api}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(wf.status, 503);
    assert.deepEqual(
      wf.body.steps.map((s: { status: string }) => s.status),
      ['error', 'skipped', 'skipped', 'skipped'],
    );
    assert.equal(wf.body.error.field, 'market-data');
    const bad = await f.http.get(`${api}/api/data/NOPE/bars`);
    assert.equal(bad.status, 400, 'validation first');
  });

  test('/health: other services absent, api and store ok', async () => {
    const h = await f.http.get(`${api}/health`);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(h.body.services).map(([k, v]) => [k, (v as { status: string }).status]),
      ),
      { 'market-data': 'absent', 'execution-engine': 'absent', 'risk-manager': 'absent', api: 'ok' },
    );
    assert.equal(h.body.store.status, 'ok');
  });
});
