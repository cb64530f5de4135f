/**
 * The execution engine (docs/spec.md, "execution-engine, port 5002") over real sockets, inside a
 * whole TradingSystem on ports 0: limit / market / stop orders and partial fills, order
 * queries, cancels, aggregated depth, health, clientOrderId de-duplication and risk
 * rejections (422, 429 + Retry-After). Each test uses its own symbol so they stay
 * independent. Bad inputs: execution-engine-bad-input.test.ts; overload (503):
 * execution-engine-overload.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { codedError, type Fixture, order, startFixture } from './support/trading-fixture.ts';

describe('execution-engine over HTTP', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    f = await startFixture();
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  const submit = (body: unknown) => f.http.post(`${ex}/orders`, body);

  test('a limit order rests: 201, status new, on the book', async () => {
    const r = await submit(order('SYM1', 'buy', 'limit', 10, 100.25));
    assert.equal(r.status, 201);
    assert.match(r.body.id, /^\S+$/);
    assert.equal(r.body.status, 'new');
    assert.equal(r.body.symbol, 'SYM1');
    assert.equal(r.body.price, 100.25);
    assert.equal(r.body.quantity, 10);
    assert.equal(r.body.filledQuantity, 0);
    assert.equal(r.body.remainingQuantity, 10);
    assert.equal(r.body.avgPrice, null);
    assert.deepEqual(r.body.fills, []);
    const book = await f.http.get(`${ex}/book/SYM1?depth=5`);
    assert.equal(book.status, 200);
    assert.deepEqual(book.body.bids, [{ price: 100.25, quantity: 10, orders: 1 }]);
    assert.deepEqual(book.body.asks, []);
    const got = await f.http.get(`${ex}/orders/${r.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, r.body);
  });

  test('a market order fills across levels: avgPrice, fills with maker and taker ids', async () => {
    const m1 = await submit(order('SYM2', 'sell', 'limit', 5, 101));
    const m2 = await submit(order('SYM2', 'sell', 'limit', 5, 102));
    const t = await submit(order('SYM2', 'buy', 'market', 7, null));
    assert.equal(t.status, 201);
    assert.equal(t.body.status, 'filled');
    assert.equal(t.body.price, null);
    assert.equal(t.body.filledQuantity, 7);
    assert.ok(Math.abs(t.body.avgPrice - (5 * 101 + 2 * 102) / 7) < 1e-6, String(t.body.avgPrice));
    assert.deepEqual(
      t.body.fills.map((x: Record<string, unknown>) => [
        x.price,
        x.quantity,
        x.makerOrderId,
        x.takerOrderId,
        x.liquidity,
      ]),
      [
        [101, 5, m1.body.id, t.body.id, 'taker'],
        [102, 2, m2.body.id, t.body.id, 'taker'],
      ],
    );
    const maker = await f.http.get(`${ex}/orders/${m1.body.id}`);
    assert.equal(maker.body.status, 'filled');
    assert.equal(maker.body.fills[0].liquidity, 'maker');
    assert.equal(maker.body.fills[0].takerOrderId, t.body.id);
    const rest = await f.http.get(`${ex}/orders/${m2.body.id}`);
    assert.equal(rest.body.status, 'partially_filled');
    assert.equal(rest.body.remainingQuantity, 3);
    const book = await f.http.get(`${ex}/book/SYM2`);
    assert.deepEqual(book.body.asks, [{ price: 102, quantity: 3, orders: 1 }]);
    assert.equal(book.body.last, 102);
  });

  test('a market order without liquidity is cancelled (no_liquidity); a partial remainder too', async () => {
    const none = await submit(order('SYM3', 'buy', 'market', 5, null));
    assert.equal(none.status, 201);
    assert.equal(none.body.status, 'cancelled');
    assert.equal(none.body.reason, 'no_liquidity');
    assert.equal(none.body.filledQuantity, 0);
    assert.equal(none.body.avgPrice, null);
    await submit(order('SYM3', 'sell', 'limit', 3, 100));
    const part = await submit(order('SYM3', 'buy', 'market', 8, null));
    assert.equal(part.body.status, 'cancelled');
    assert.equal(part.body.reason, 'no_liquidity');
    assert.equal(part.body.filledQuantity, 3);
    assert.equal(part.body.remainingQuantity, 0);
    assert.equal(part.body.avgPrice, 100);
    const book = await f.http.get(`${ex}/book/SYM3`);
    assert.deepEqual([book.body.bids, book.body.asks], [[], []], 'a market order never rests');
  });

  test('a limit order that crosses partially fills and rests the rest', async () => {
    await submit(order('SYM4', 'sell', 'limit', 10, 100));
    const r = await submit(order('SYM4', 'buy', 'limit', 25, 100.5));
    assert.equal(r.body.status, 'partially_filled');
    assert.equal(r.body.filledQuantity, 10);
    assert.equal(r.body.remainingQuantity, 15);
    assert.equal(r.body.fills[0].price, 100, 'trades at the resting price');
    const book = await f.http.get(`${ex}/book/SYM4`);
    assert.deepEqual(book.body.bids, [{ price: 100.5, quantity: 15, orders: 1 }]);
    assert.deepEqual(book.body.asks, []);
  });

  test('a stop order is pending until a trade reaches its trigger, then executes as market', async () => {
    const stop = await submit(order('SYM5', 'buy', 'stop', 5, 101));
    assert.equal(stop.status, 201);
    assert.equal(stop.body.status, 'pending');
    assert.equal(stop.body.price, 101);
    await submit(order('SYM5', 'sell', 'limit', 20, 101));
    assert.equal((await f.http.get(`${ex}/orders/${stop.body.id}`)).body.status, 'pending');
    const trigger = await submit(order('SYM5', 'buy', 'limit', 1, 101));
    assert.equal(trigger.body.status, 'filled');
    const fired = await f.http.get(`${ex}/orders/${stop.body.id}`);
    assert.equal(fired.body.status, 'filled');
    assert.equal(fired.body.filledQuantity, 5);
    assert.equal(fired.body.fills[0].liquidity, 'taker');
    assert.equal(fired.body.fills[0].price, 101);
    const book = await f.http.get(`${ex}/book/SYM5`);
    assert.deepEqual(book.body.asks, [{ price: 101, quantity: 14, orders: 1 }]);
  });

  test('DELETE /orders/:id: 200 cancelled, again 409, unknown 404', async () => {
    const r = await submit(order('SYM6', 'sell', 'limit', 4, 120));
    const del = await f.http.delete(`${ex}/orders/${r.body.id}`);
    assert.equal(del.status, 200);
    assert.equal(del.body.status, 'cancelled');
    assert.equal(del.body.reason, 'user');
    assert.equal(del.body.remainingQuantity, 0);
    const again = await f.http.delete(`${ex}/orders/${r.body.id}`);
    assert.equal(again.status, 409);
    assert.equal(codedError(again).code, 'TRD_ERR_ORDER_NOT_CANCELLABLE');
    const unknown = await f.http.delete(`${ex}/orders/424242`);
    assert.equal(unknown.status, 404);
    assert.equal(codedError(unknown).code, 'TRD_ERR_ORDER_NOT_FOUND');
    assert.equal((await f.http.get(`${ex}/orders/nope`)).status, 404);
    assert.equal((await f.http.get(`${ex}/orders/${r.body.id}`)).body.status, 'cancelled');
    assert.deepEqual((await f.http.get(`${ex}/book/SYM6`)).body.asks, []);
    const stop = await submit(order('SYM6', 'sell', 'stop', 4, 90));
    assert.equal((await f.http.delete(`${ex}/orders/${stop.body.id}`)).body.status, 'cancelled');
  });

  test('GET /book/:symbol aggregates levels best-first and honours depth', async () => {
    for (const [side, qty, price] of [
      ['buy', 10, 99],
      ['buy', 5, 99],
      ['buy', 7, 98.5],
      ['sell', 3, 101],
      ['sell', 4, 100.5],
    ] as const) {
      assert.equal((await submit(order('SYM7', side, 'limit', qty, price))).status, 201);
    }
    const one = await f.http.get(`${ex}/book/SYM7?depth=1`);
    assert.deepEqual(one.body.bids, [{ price: 99, quantity: 15, orders: 2 }]);
    assert.deepEqual(one.body.asks, [{ price: 100.5, quantity: 4, orders: 1 }]);
    const all = await f.http.get(`${ex}/book/SYM7?depth=10`);
    assert.deepEqual(
      all.body.bids.map((l: { price: number }) => l.price),
      [99, 98.5],
    );
    assert.deepEqual(
      all.body.asks.map((l: { price: number }) => l.price),
      [100.5, 101],
    );
    assert.equal(all.body.last, null);
    for (const bad of ['0', '-1', '1.5', 'abc', '1001']) {
      const r = await f.http.get(`${ex}/book/SYM7?depth=${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(codedError(r).field, 'depth');
    }
    const unknown = await f.http.get(`${ex}/book/NOPE`);
    assert.equal(unknown.status, 400);
    assert.equal(codedError(unknown).code, 'PRT_ERR_UNKNOWN_SYMBOL');
  });

  test('GET /health', async () => {
    const r = await f.http.get(`${ex}/health`);
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.service, 'execution-engine');
    assert.equal(r.body.ordersInFlight, 0);
    assert.ok(r.body.liveOrders > 0);
  });

  test('a duplicate clientOrderId is 409 (per account)', async () => {
    const body = order('SYM8', 'buy', 'limit', 1, 50, { clientOrderId: 'cid-1', account: 'acct-a' });
    const first = await submit(body);
    assert.equal(first.status, 201);
    assert.equal(first.body.clientOrderId, 'cid-1');
    const dup = await submit({ ...body, quantity: 2 });
    assert.equal(dup.status, 409);
    const e = codedError(dup);
    assert.equal(e.code, 'TRD_ERR_DUPLICATE_CLIENT_ORDER_ID');
    assert.equal(e.field, 'clientOrderId');
    assert.equal(dup.body.orderId, first.body.id);
    assert.equal((await submit({ ...body, account: 'acct-b' })).status, 201, 'another account may reuse it');
  });

  test('risk rejections are 422 with the reason: quantity, then price band once a reference exists', async () => {
    const big = await submit(order('SYM9', 'buy', 'limit', 20_000, 100));
    assert.equal(big.status, 422);
    assert.equal(codedError(big).code, 'TRD_ERR_RISK_REJECTED');
    assert.equal(big.body.error.reason, 'MAX_QTY_EXCEEDED');
    assert.equal((await submit(order('SYM9', 'sell', 'limit', 1, 200))).status, 201, 'no reference: no band');
    await submit(order('SYM9', 'buy', 'limit', 1, 100));
    assert.equal((await submit(order('SYM9', 'sell', 'limit', 1, 100))).body.status, 'filled');
    const far = await submit(order('SYM9', 'buy', 'limit', 1, 140));
    assert.equal(far.status, 422);
    assert.equal(far.body.error.reason, 'PRICE_OUTSIDE_BAND');
    assert.equal((await submit(order('SYM9', 'buy', 'limit', 1, 120))).status, 201, 'inside +-25%');
  });

  test('the per-account rate limit answers 429 with Retry-After', async () => {
    const rm = f.url('risk-manager');
    assert.equal((await f.http.put(`${rm}/limits`, { maxOrdersPerSecond: 1 })).status, 200);
    try {
      const body = order('SYM10', 'buy', 'limit', 1, 10, { account: 'rate-acct' });
      assert.equal((await submit(body)).status, 201);
      const limited = await submit(body);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      assert.equal(codedError(limited).code, 'TRD_ERR_RATE_LIMITED');
      assert.equal(limited.body.error.reason, 'RATE_LIMIT_EXCEEDED');
    } finally {
      assert.equal((await f.http.put(`${rm}/limits`, { maxOrdersPerSecond: 10_000 })).status, 200);
    }
    const stats = await f.http.get(`${ex}/stats`);
    assert.ok(stats.body.rejectedByReason.RATE_LIMIT_EXCEEDED >= 1);
  });
});
