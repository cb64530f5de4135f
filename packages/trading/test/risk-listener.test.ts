import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelReason } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { AccountRegistry } from '../src/risk/account-registry.ts';
import { RiskCode } from '../src/risk/risk-codes.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';
import { DEFAULT_RISK_LIMITS } from '../src/risk/risk-limits.ts';

import {
  A0,
  AAPL,
  accept,
  BUY,
  engine,
  instruments,
  LIMIT,
  MARKET,
  MSFT,
  nextOrderId,
  SELL,
  STOP,
} from './support/risk-fixture.ts';

describe('RiskEngine as EngineListener', () => {
  it('tracks open quantity through accept, trades, cancel, stop trigger and reject', () => {
    const e = engine();
    const a1 = e.accounts.intern('alice');
    const a2 = e.accounts.intern('bob');
    const stopId = accept(e, AAPL, SELL, a1, 30, true); // pending stop
    assert.equal(e.openLots(a1, AAPL, SELL), 30);
    e.onOrderStatus(stopId, AAPL, SELL, a1, OrderStatus.PENDING, OrderStatus.NEW, 0, 0, 30, 0); // trigger
    assert.equal(e.openLots(a1, AAPL, SELL), 30, 'trigger changes nothing');
    const maker = accept(e, AAPL, BUY, a2, 100);
    e.onOrderStatus(nextOrderId(), AAPL, BUY, a2, OrderStatus.NONE, OrderStatus.REJECTED, 0, 0, 50, 0);
    assert.equal(e.openLots(a2, AAPL, BUY), 100, 'a reject adds nothing');
    // The stop (taker, sell) hits bob's bid for 30 at 101.00.
    e.onTrade(AAPL, maker, stopId, 10_100, 30, SELL, a2, a1);
    e.onOrderStatus(stopId, AAPL, SELL, a1, OrderStatus.NEW, OrderStatus.FILLED, 0, 30, 0, 303_000);
    e.onOrderStatus(maker, AAPL, BUY, a2, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, 0, 30, 70, 303_000);
    assert.equal(e.positionLots(a1, AAPL), -30);
    assert.equal(e.positionLots(a2, AAPL), 30);
    assert.equal(e.openLots(a1, AAPL, SELL), 0);
    assert.equal(e.openLots(a2, AAPL, BUY), 70);
    assert.equal(e.referencePrice(AAPL), 10_100);
    e.onOrderStatus(
      maker,
      AAPL,
      BUY,
      a2,
      OrderStatus.PARTIALLY_FILLED,
      OrderStatus.CANCELLED,
      CancelReason.USER,
      30,
      70,
      0,
    );
    assert.equal(e.openLots(a2, AAPL, BUY), 0);
    assert.equal(e.grossExposure(a2), 3_030); // 30 x 101.00
  });

  it('a market order: accepted, partly filled, the remainder cancelled (IOC)', () => {
    const e = engine();
    const id = accept(e, MSFT, BUY, A0, 50);
    e.onTrade(MSFT, 1234, id, 4_000, 20, BUY, 3, A0);
    e.onOrderStatus(
      id,
      MSFT,
      BUY,
      A0,
      OrderStatus.PARTIALLY_FILLED,
      OrderStatus.CANCELLED,
      CancelReason.NO_LIQUIDITY,
      20,
      30,
      80_000,
    );
    assert.equal(e.positionLots(A0, MSFT), 20);
    assert.equal(e.openLots(A0, MSFT, BUY), 0);
    assert.equal(e.positionLots(3, MSFT), -20, 'maker is the opposite side');
  });

  it('a self-trade nets to zero and the snapshot is JSON-friendly decimals', () => {
    const e = engine();
    const b = accept(e, AAPL, BUY, A0, 10);
    const s = accept(e, AAPL, SELL, A0, 15);
    e.onTrade(AAPL, b, s, 9_950, 10, SELL, A0, A0);
    assert.equal(e.positionLots(A0, AAPL), 0);
    const alice = e.accounts.intern('alice');
    accept(e, MSFT, SELL, alice, 7);
    e.onTrade(MSFT, 1, 2, 25_025, 3, BUY, alice, 9);
    assert.deepEqual(JSON.parse(JSON.stringify(e.positions())), [
      {
        account: 'default',
        grossExposure: 497.5,
        positions: [
          {
            account: 'default',
            symbol: 'AAPL',
            position: 0,
            openBuy: 0,
            openSell: 5,
            referencePrice: 99.5,
            exposure: 497.5,
          },
        ],
      },
      {
        account: 'alice',
        grossExposure: 1751.75,
        positions: [
          {
            account: 'alice',
            symbol: 'MSFT',
            position: -3,
            openBuy: 0,
            openSell: 4,
            referencePrice: 250.25,
            exposure: 1751.75,
          },
        ],
      },
    ]);
    assert.deepEqual(
      e.positions('alice').map((x) => x.account),
      ['alice'],
    );
  });

  it('grows per-account state with the registry and keeps what it had', () => {
    const reg = new AccountRegistry(2);
    const e = new RiskEngine(instruments, DEFAULT_RISK_LIMITS, () => 0, reg);
    const first = reg.intern('a');
    accept(e, AAPL, BUY, first, 42);
    const ids = Array.from({ length: 100 }, (_, i) => reg.intern(`acct-${i}`));
    assert.ok(reg.capacity >= 102 && e.st.capacity === reg.capacity);
    assert.equal(e.openLots(first, AAPL, BUY), 42);
    const last = ids[ids.length - 1];
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 1, last, 0), RiskCode.OK);
    assert.equal(reg.nameOf(last), 'acct-99');
  });

  it('applies per-symbol overrides and recompiles on setLimits', () => {
    const e = engine();
    e.setLimits({ ...DEFAULT_RISK_LIMITS, maxOrderQty: 100, perSymbol: { AAPL: { maxOrderQty: 5 } } });
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 5, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 6, A0, 0), RiskCode.MAX_QTY_EXCEEDED);
    assert.equal(e.check(MSFT, BUY, LIMIT, 10_000, 100, A0, 0), RiskCode.OK);
    assert.throws(() => e.updateLimits({ maxOrderQty: 0, priceBandPct: -1 }), /maxOrderQty.*priceBandPct/);
    assert.equal(e.getLimits().maxOrderQty, 100, 'a refused update changes nothing');
  });

  it('the defaults let the order-stress scenario through (1..100 lots, 90..110, 1,000 in one burst)', () => {
    const e = engine({}, () => 0);
    const syms = ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'].map((s) => instruments.get(s).index);
    let seed = 7;
    const rnd = (n: number) => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) % n;
    for (const s of syms) e.setReferencePrice(s, rnd(2) === 0 ? 9_000 : 11_000);
    for (let i = 0; i < 1_000; i++) {
      const type = i % 10 < 6 ? LIMIT : i % 10 < 9 ? MARKET : STOP;
      const code = e.check(syms[i % 5], rnd(2), type, 9_000 + rnd(2_001), 1 + rnd(100), A0, 0);
      assert.equal(code, RiskCode.OK);
    }
  });
});
