/**
 * Order prices off the tick grid over HTTP: by default they are rounded on the passive side
 * (buy limits down, sell limits up, buy stops up, sell stops down) and the answer shows
 * both `price` (used) and `priceAsked` (sent); in `reject` mode (serve --strict-prices)
 * they are refused as PRT_ERR_PRICE_OFF_TICK. A client that sends `100 + uniform(-10, 10)`
 * with all its decimals sees under 1% errors at 100 and at 1,000 orders/s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runRawPriceOrders } from '../bench/raw-price-orders.ts';
import { codedError, type Fixture, order, startFixture } from './support/trading-fixture.ts';

describe('order prices off the tick grid: round (default)', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    f = await startFixture();
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  const cases: [string, 'buy' | 'sell', 'limit' | 'stop', number, number][] = [
    ['buy limit rounds down', 'buy', 'limit', 97.12345678, 97.12],
    ['sell limit rounds up', 'sell', 'limit', 197.12345678, 197.13],
    ['buy stop rounds up (fires no earlier)', 'buy', 'stop', 150.001, 150.01],
    ['sell stop rounds down (fires no earlier)', 'sell', 'stop', 50.019, 50.01],
  ];
  for (const [name, side, type, asked, used] of cases) {
    test(name, async () => {
      const r = await f.http.post(`${ex}/orders`, order('MSFT', side, type, 1, asked));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.price, used);
      assert.equal(r.body.priceAsked, asked);
      const again = await f.http.get(`${ex}/orders/${r.body.id}`);
      assert.deepEqual([again.body.price, again.body.priceAsked], [used, asked]);
    });
  }

  test('an on-grid price answers no priceAsked', async () => {
    const r = await f.http.post(`${ex}/orders`, order('MSFT', 'buy', 'limit', 1, 90.5));
    assert.equal(r.status, 201);
    assert.equal(r.body.price, 90.5);
    assert.equal('priceAsked' in r.body, false);
  });

  test('a buy limit below one tick still answers out of range', async () => {
    const r = await f.http.post(`${ex}/orders`, order('MSFT', 'buy', 'limit', 1, 0.004));
    assert.equal(r.status, 400);
    assert.equal(codedError(r).code, 'PRT_ERR_OUT_OF_RANGE');
  });

  for (const rate of [100, 1_000]) {
    test(`raw-decimal order client at ${rate} orders/s: under 1% errors`, async () => {
      const run = await runRawPriceOrders(ex, rate, 2);
      assert.ok(run.errorRate < 0.01, JSON.stringify(run));
      assert.ok(run.rounded > run.sent * 0.5, `most prices were rounded: ${JSON.stringify(run)}`);
    });
  }
});

describe('order prices off the tick grid: reject (--strict-prices)', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ offTickPrices: 'reject' });
  });
  after(() => f.close());

  test('refused with PRT_ERR_PRICE_OFF_TICK naming price', async () => {
    const r = await f.http.post(
      `${f.url('execution-engine')}/orders`,
      order('MSFT', 'buy', 'limit', 1, 97.123),
    );
    assert.equal(r.status, 400);
    const e = codedError(r);
    assert.deepEqual([e.code, e.field], ['PRT_ERR_PRICE_OFF_TICK', 'price']);
  });
});
