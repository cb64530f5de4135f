import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { orderStress } from '../src/order-stress.ts';
import { randomOrder, seededRandom } from '../src/order-stress-script.ts';
import { assertParamSpecs, assertResultShape, target } from './support/scenario-checks.ts';
import { startTarget, type Target } from './support/trading-target.ts';

let sys: Target;
before(async () => {
  sys = await startTarget();
});
after(() => sys.close());

test('orders: the standard mix and ranges, prices on the 0.01 tick', () => {
  const rnd = seededRandom(42);
  const n = 20_000;
  const count = { limit: 0, market: 0, stop: 0 };
  const syms = new Set<string>();
  for (let i = 0; i < n; i++) {
    const o = randomOrder(rnd, ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'], [60, 30, 10], 'a');
    count[o.type]++;
    syms.add(o.symbol);
    assert.ok(Number.isInteger(o.quantity) && o.quantity >= 1 && o.quantity <= 100);
    if (o.type === 'market') assert.equal(o.price, null);
    else {
      const p = o.price as number;
      const band = o.type === 'limit' ? 10 : 5;
      assert.ok(p >= 100 - band && p <= 100 + band, `${o.type} price ${p}`);
      assert.match(JSON.stringify(p), /^\d+(\.\d{1,2})?$/, `price ${p} on the 0.01 tick`);
    }
  }
  assert.equal(syms.size, 5);
  assert.ok(Math.abs(count.limit / n - 0.6) < 0.02, JSON.stringify(count));
  assert.ok(Math.abs(count.market / n - 0.3) < 0.02, JSON.stringify(count));
  assert.ok(Math.abs(count.stop / n - 0.1) < 0.02, JSON.stringify(count));
});

test('order-stress: 200 orders/s for 1.5 s, every order answered 201, rows streamed', async () => {
  const rows: [number, number, boolean, string][] = [];
  const r = await orderStress.run(
    { urls: sys.urls, workers: 1, rows: { write: (t, l, ok, name) => rows.push([t, l, ok, name]) } },
    { rate: 200, duration: '1500ms', accounts: 3, pool: 500 },
  );
  assertResultShape(r, orderStress, ['P95 order latency', 'Orders/s', 'Error rate']);
  assert.equal(r.requests, 300);
  assert.equal(r.failures, 0);
  assert.deepEqual(r.extra.statusCounts, { '201': 300 });
  assert.equal(r.entries[0].type, 'POST');
  assert.equal(r.entries[0].name, '/orders');
  assert.equal(Number(r.extra.limitOrders) + Number(r.extra.marketOrders) + Number(r.extra.stopOrders), 300);
  const served = await sys.api('/api/metrics/orders');
  assert.equal(served.ordersReceived, 300);
  assert.equal(rows.length, 300);
  assert.ok(rows.every(([t, l, ok, name]) => ok && name === 'POST /orders' && l >= 0 && t > 1.6e9));
  assert.deepEqual(r.params.symbols, ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA']);
  assert.equal(r.params.mix, '60/30/10');
  const p95 = target(r, 'P95 order latency');
  assert.equal(p95.value, Math.round(r.latency_ms.p95 * 1000) / 1000);
  assert.equal(p95.pass, r.latency_ms.p95 < 100);
  const rate = target(r, 'Orders/s');
  assert.equal(rate.value, Math.round((300 / Math.max(1.5, r.durationSec)) * 100) / 100);
  assert.equal(rate.pass, rate.value >= 198);
  const err = target(r, 'Error rate');
  assert.equal(err.value, 0);
  assert.equal(err.pass, true);
});

test('order-stress: rejected orders are failures by status, and fail the error-rate target', async () => {
  // 'NOPE' is no instrument: every order for it is answered with a coded 4xx.
  const r = await orderStress.run(
    { urls: sys.urls, workers: 1 },
    { rate: 100, duration: '1s', symbols: 'AAPL,NOPE', pool: 64, seed: 7 },
  );
  const codes = r.extra.statusCounts as Record<string, number>;
  assert.equal(r.requests, 100);
  assert.equal(codes['201'] + r.failures, 100);
  assert.ok(r.failures > 0);
  assert.ok(
    Object.keys(codes).some((k) => k.startsWith('4')),
    JSON.stringify(codes),
  );
  const err = target(r, 'Error rate');
  assert.equal(err.value, Math.round((r.failures / 100) * 100_000) / 1000);
  assert.equal(err.pass, false);
  assert.ok(r.failureRows.length > 0);
});

test('order-stress: validate names every bad flag at once', () => {
  assertParamSpecs(orderStress);
  const problems = orderStress.validate({ rate: 0, mix: '60/40', symbols: '', accounts: -1, timeout: '0s' });
  assert.equal(problems.length, 5, problems.join('\n'));
  for (const flag of ['--rate', '--mix', '--order-symbols', '--accounts', '--timeout']) {
    assert.ok(
      problems.some((p) => p.startsWith(`${flag} must be`)),
      `${flag} in ${problems.join('; ')}`,
    );
  }
  assert.deepEqual(orderStress.validate({ mix: '70,20,10', symbols: ['AAPL'], rate: '50' }), []);
});
