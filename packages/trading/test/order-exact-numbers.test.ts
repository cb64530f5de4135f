/**
 * An order's price or quantity that JSON.parse would read as another number is refused, 400
 * PRT_ERR_INVALID_FIELD naming the field, in both off-tick modes, on POST /orders and POST
 * /check. Before, `"price": 100.000000000000000001` was read as 100 and placed at 100, even
 * with --strict-prices (which refuses off-grid prices: this one is off the grid), and in the
 * default mode a sell meant "no lower than 100.000000000000000001" was placed at 100.00 (the
 * passive side is up) with no `priceAsked`. `100.1`, trailing zeros and exponents still work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OffTickPrices } from '@tickstorm/protocol';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

const json = { 'content-type': 'application/json' };
const body = (quantity: string, price: string, type = 'limit', side = 'sell') =>
  `{"symbol":"AAPL","side":"${side}","type":"${type}","quantity":${quantity},"price":${price},"account":"exact"}`;

for (const mode of ['reject', 'round'] as OffTickPrices[]) {
  describe(`a price or quantity beyond a double's digits (${mode})`, () => {
    let f: Fixture;
    before(async () => {
      f = await startFixture({
        offTickPrices: mode,
        inputLog: false,
        services: ['execution-engine', 'risk-manager'],
      });
    });
    after(() => f.close());

    const open = async () =>
      (await f.http.get(`${f.url('execution-engine')}/orders?account=exact`)).body.count as number;

    test('400 PRT_ERR_INVALID_FIELD naming the field, nothing placed', async () => {
      for (const [text, field, read] of [
        [body('1', '100.000000000000000001'), 'price', '100'],
        [body('1', '1.0000000000000003'), 'price', '1.0000000000000002'],
        [body('1', '99.000000000000000001', 'stop', 'buy'), 'price', '99'],
        [body('1.0000000000000000001', '100'), 'quantity', '1'],
        [body('9007199254740993', '100'), 'quantity', '9007199254740992'],
      ] as const) {
        for (const path of ['/orders', '/check']) {
          const service = path === '/orders' ? 'execution-engine' : 'risk-manager';
          const r = await f.http.send('POST', `${f.url(service)}${path}`, text, json);
          assert.equal(r.status, 400, `${path} ${text}: ${JSON.stringify(r.body)}`);
          const e = codedError(r);
          assert.deepEqual([e.code, e.field], ['PRT_ERR_INVALID_FIELD', field], text);
          assert.match(
            e.message,
            new RegExp(
              `^${field} \\S+ has more digits than a double holds and would be read as ${read}: send at most 15 significant digits$`,
            ),
          );
        }
      }
      assert.equal(await open(), 0);
    });

    test("exact literals are served: 100.1, trailing zeros, an exponent, a double's %.17g", async () => {
      for (const price of ['100.1', '100.10000000000000000000', '1.001e2', '100.09999999999999']) {
        const r = await f.http.send('POST', `${f.url('execution-engine')}/orders`, body('1', price), json);
        assert.equal(r.status, 201, `${price}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.price, 100.1);
        assert.equal(r.body.priceAsked, undefined);
      }
      assert.equal(await open(), 4);
    });
  });
}
