/**
 * The risk manager (docs/spec.md, "risk-manager, port 5003") over real sockets, in a whole
 * TradingSystem on ports 0: POST /check verdicts (and that a check places nothing),
 * GET/PUT /limits (partial update; every problem of an invalid one reported), and
 * GET /positions after fills on the execution engine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_RISK_LIMITS } from '../src/risk/risk-limits.ts';
import { codedError, type Fixture, order, startFixture } from './support/trading-fixture.ts';

describe('risk-manager over HTTP', () => {
  let f: Fixture;
  let rm: string;
  let ex: string;
  before(async () => {
    // Off-tick prices refused (the `reject` mode): /check decodes as POST /orders does.
    f = await startFixture({ offTickPrices: 'reject' });
    rm = f.url('risk-manager');
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  test('POST /check: allowed and denied verdicts, and no order is placed', async () => {
    const before = (await f.http.get(`${ex}/stats`)).body;
    const allowed = await f.http.post(`${rm}/check`, order('GOOGL', 'buy', 'limit', 10, 100));
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.body, {
      allowed: true,
      code: 'OK',
      message: 'passed all pre-trade risk checks',
    });
    const denied = await f.http.post(`${rm}/check`, order('GOOGL', 'buy', 'limit', 10_001, 1));
    assert.equal(denied.status, 200);
    assert.equal(denied.body.allowed, false);
    assert.equal(denied.body.code, 'MAX_QTY_EXCEEDED');
    const notional = await f.http.post(`${rm}/check`, order('GOOGL', 'sell', 'limit', 10_000, 101));
    assert.equal(notional.body.code, 'NOTIONAL_EXCEEDS_MAX_PER_ORDER');
    const bad = await f.http.post(`${rm}/check`, order('GOOGL', 'buy', 'limit', 1, 100.001));
    assert.equal(bad.status, 400, 'the same decoding as POST /orders');
    assert.equal(codedError(bad).code, 'PRT_ERR_PRICE_OFF_TICK');
    const after = (await f.http.get(`${ex}/stats`)).body;
    assert.equal(after.ordersReceived, before.ordersReceived);
    assert.equal(after.liveOrders, before.liveOrders);
    const book = await f.http.get(`${ex}/book/GOOGL`);
    assert.deepEqual([book.body.bids, book.body.asks], [[], []]);
  });

  test('a check or a refused order registers no account (10,000 checks filled the registry)', async () => {
    // Registered by a mere check, invented accounts filled the registry (10,000 accounts): every
    // order of a new account was then refused UNKNOWN_ACCOUNT until a restart, which forgot them.
    const accounts = async () => (await f.http.get(`${rm}/health`)).body.accounts as number;
    const before = await accounts();
    const rejected = await f.http.post(`${ex}/orders`, {
      ...order('GOOGL', 'buy', 'limit', 10_001, 100),
      account: 'refused-only',
    });
    assert.equal(rejected.body.error?.reason, 'MAX_QTY_EXCEEDED', JSON.stringify(rejected.body));
    for (let i = 0; i < 200; i++) {
      const r = await f.http.post(`${rm}/check`, {
        ...order('GOOGL', 'buy', 'limit', 1, 100),
        account: `ghost-${i}`,
      });
      assert.equal(r.body.code, 'OK', `check ${i}: ${JSON.stringify(r.body)}`);
    }
    assert.equal(await accounts(), before);
    const listed = (await f.http.get(`${rm}/positions`)).body.accounts.map(
      (a: { account: string }) => a.account,
    );
    assert.deepEqual(
      listed.filter((a: string) => a.startsWith('ghost-') || a === 'refused-only'),
      [],
    );
    // an accepted order still registers its account
    const placed = await f.http.post(`${ex}/orders`, {
      ...order('GOOGL', 'buy', 'limit', 1, 90),
      account: 'first-order',
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal(await accounts(), before + 1);
    assert.equal((await f.http.delete(`${ex}/orders/${placed.body.id}`)).status, 200);
  });

  test('POST /check does not use up the rate limit', async () => {
    assert.equal((await f.http.put(`${rm}/limits`, { maxOrdersPerSecond: 1 })).status, 200);
    try {
      const body = order('GOOGL', 'buy', 'limit', 1, 50, { account: 'checker' });
      for (let i = 0; i < 3; i++) {
        assert.equal((await f.http.post(`${rm}/check`, body)).body.allowed, true, `check ${i}`);
      }
      assert.equal((await f.http.post(`${ex}/orders`, body)).status, 201);
      assert.equal((await f.http.post(`${rm}/check`, body)).body.code, 'RATE_LIMIT_EXCEEDED');
    } finally {
      await f.http.put(`${rm}/limits`, { maxOrdersPerSecond: DEFAULT_RISK_LIMITS.maxOrdersPerSecond });
    }
  });

  test('GET /limits answers the defaults; PUT /limits applies a partial update', async () => {
    const got = await f.http.get(`${rm}/limits`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, { ...DEFAULT_RISK_LIMITS });
    const put = await f.http.put(`${rm}/limits`, {
      maxOrderQty: 50,
      perSymbol: { TSLA: { maxOrderQty: 5 } },
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.maxOrderQty, 50);
    assert.equal(put.body.maxNotional, DEFAULT_RISK_LIMITS.maxNotional, 'other fields kept');
    assert.deepEqual(put.body.perSymbol, { TSLA: { maxOrderQty: 5 } });
    assert.deepEqual((await f.http.get(`${rm}/limits`)).body, put.body);
    const tsla = await f.http.post(`${ex}/orders`, order('TSLA', 'buy', 'limit', 6, 100));
    assert.equal(tsla.status, 422);
    assert.equal(tsla.body.error.reason, 'MAX_QTY_EXCEEDED');
    const msft = await f.http.post(`${rm}/check`, order('MSFT', 'buy', 'limit', 51, 100));
    assert.equal(msft.body.code, 'MAX_QTY_EXCEEDED');
    assert.equal(
      (await f.http.post(`${rm}/check`, order('MSFT', 'buy', 'limit', 50, 100))).body.allowed,
      true,
    );
    const reset = await f.http.put(`${rm}/limits`, { maxOrderQty: 10_000, perSymbol: { TSLA: null } });
    assert.deepEqual(reset.body, { ...DEFAULT_RISK_LIMITS });
  });

  test('an invalid PUT /limits is 400 TRD_ERR_INVALID_LIMITS naming every problem, and changes nothing', async () => {
    const r = await f.http.put(`${rm}/limits`, {
      maxOrderQty: -1,
      priceBandPct: 'wide',
      bogus: 1,
      perSymbol: { NOPE: { maxOrderQty: 1 } },
    });
    assert.equal(r.status, 400);
    const e = codedError(r);
    assert.equal(e.code, 'TRD_ERR_INVALID_LIMITS');
    for (const part of ['maxOrderQty', 'priceBandPct', 'bogus', 'perSymbol.NOPE']) {
      assert.ok(e.message.includes(part), `"${part}" in: ${e.message}`);
    }
    assert.deepEqual((await f.http.get(`${rm}/limits`)).body, { ...DEFAULT_RISK_LIMITS });
    const arr = await f.http.send('PUT', `${rm}/limits`, '[1]', { 'content-type': 'application/json' });
    assert.equal(arr.status, 400);
    assert.equal(codedError(arr).code, 'TRD_ERR_INVALID_LIMITS');
    // A symbol's limit given twice: JSON.parse keeps 1000, a reader in front may have seen 10.
    const twice = '{"perSymbol":{"AAPL":{"maxOrderQty":10,"maxOrderQty":1000}}}';
    const dup = await f.http.send('PUT', `${rm}/limits`, twice, { 'content-type': 'application/json' });
    assert.deepEqual(
      [dup.status, codedError(dup).code, codedError(dup).field],
      [400, 'PRT_ERR_INVALID_FIELD', 'perSymbol.AAPL.maxOrderQty'],
    );
    assert.deepEqual((await f.http.get(`${rm}/limits`)).body, { ...DEFAULT_RISK_LIMITS });
  });

  test('an invalid PUT /limits with one field at fault names it in "field" (by path), several do not', async () => {
    const cases: [unknown, string | undefined][] = [
      [{ maxOrderQty: -1 }, 'maxOrderQty'],
      [{ maxOrderQty: 5, maxNotional: '1e6' }, 'maxNotional'],
      [{ maxorderqty: 5 }, 'maxorderqty'],
      [{ perSymbol: { AAPL: { maxOrderQty: 0 } } }, 'perSymbol.AAPL.maxOrderQty'],
      [{ perSymbol: { NOPE: null } }, 'perSymbol.NOPE'],
      [{ perSymbol: [] }, 'perSymbol'],
      [{ maxOrderQty: -1, maxNotional: -1 }, undefined],
      [[1], undefined],
    ];
    for (const [body, field] of cases) {
      const r = await f.http.send('PUT', `${rm}/limits`, JSON.stringify(body), {
        'content-type': 'application/json',
      });
      assert.deepEqual(
        [r.status, codedError(r).code, codedError(r).field],
        [400, 'TRD_ERR_INVALID_LIMITS', field],
        JSON.stringify(body),
      );
    }
    assert.deepEqual((await f.http.get(`${rm}/limits`)).body, { ...DEFAULT_RISK_LIMITS });
  });

  test('GET /positions after fills: both sides, per account, with the reference price', async () => {
    const sell = order('AMZN', 'sell', 'limit', 30, 100, { account: 'seller' });
    assert.equal((await f.http.post(`${ex}/orders`, sell)).status, 201);
    const buy = order('AMZN', 'buy', 'limit', 10, 100, { account: 'buyer' });
    assert.equal((await f.http.post(`${ex}/orders`, buy)).body.status, 'filled');
    const all = await f.http.get(`${rm}/positions`);
    assert.equal(all.status, 200);
    assert.equal(typeof all.body.timestamp, 'number');
    const byAccount = new Map<string, { positions: Record<string, unknown>[] }>(
      all.body.accounts.map((a: { account: string }) => [a.account, a]),
    );
    const amzn = (acct: string) => byAccount.get(acct)?.positions.find((p) => p.symbol === 'AMZN');
    assert.deepEqual(
      { ...amzn('buyer'), exposure: undefined },
      {
        account: 'buyer',
        symbol: 'AMZN',
        position: 10,
        openBuy: 0,
        openSell: 0,
        referencePrice: 100,
        exposure: undefined,
      },
    );
    assert.equal(amzn('seller')?.position, -10);
    assert.equal(amzn('seller')?.openSell, 20);
    const one = await f.http.get(`${rm}/positions?account=buyer`);
    assert.deepEqual(
      one.body.accounts.map((a: { account: string }) => a.account),
      ['buyer'],
    );
    assert.ok(one.body.accounts[0].grossExposure > 0);
    // A misspelt filter is named, not answered with every account.
    const typo = await f.http.get(`${rm}/positions?acount=buyer`);
    assert.deepEqual(
      [typo.status, typo.body.error?.code, typo.body.error?.field],
      [400, 'TRD_ERR_INVALID_QUERY', 'acount'],
    );
  });

  test('GET /health', async () => {
    const r = await f.http.get(`${rm}/health`);
    assert.equal(r.status, 200);
    assert.equal(r.body.service, 'risk-manager');
    assert.ok(r.body.accounts >= 3);
  });
});
