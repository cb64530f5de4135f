import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { AccountRegistry, DEFAULT_ACCOUNT } from '../src/risk/account-registry.ts';
import { RISK_CODE_NAMES, RiskCode, riskCodeMessage, riskCodeName } from '../src/risk/risk-codes.ts';
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
  SELL,
  STOP,
} from './support/risk-fixture.ts';

describe('risk codes', () => {
  it('has a stable name and a message for every code, 0 = OK', () => {
    assert.equal(RiskCode.OK, 0);
    for (const [name, code] of Object.entries(RiskCode)) {
      assert.equal(riskCodeName(code), name);
      assert.ok(riskCodeMessage(code).length > 0);
    }
    assert.equal(RISK_CODE_NAMES.length, Object.keys(RiskCode).length);
    assert.equal(riskCodeName(99), 'UNKNOWN_RISK_CODE_99');
  });
});

describe('RiskEngine.check: every code at its boundary', () => {
  it('MAX_QTY_EXCEEDED: exactly maxOrderQty passes, one lot over fails', () => {
    const e = engine({ maxOrderQty: 100 });
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 100, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 101, A0, 0), RiskCode.MAX_QTY_EXCEEDED);
    // Garbage fails closed.
    for (const q of [0, -5, Number.NaN]) {
      assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, q, A0, 0), RiskCode.MAX_QTY_EXCEEDED);
    }
    assert.equal(e.check(AAPL, BUY, LIMIT, Number.NaN, 1, A0, 0), RiskCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER);
  });

  it('MAX_QTY_EXCEEDED converts decimals to lots (lot 0.001)', () => {
    const t = new InstrumentTable([{ symbol: 'BTC', tickSize: 0.5, lotSize: 0.001 }]);
    const e = new RiskEngine(t, { ...DEFAULT_RISK_LIMITS, maxOrderQty: 2.5 });
    assert.equal(e.check(0, SELL, LIMIT, 100, 2500, A0, 0), RiskCode.OK);
    assert.equal(e.check(0, SELL, LIMIT, 100, 2501, A0, 0), RiskCode.MAX_QTY_EXCEEDED);
  });

  it('NOTIONAL_EXCEEDS_MAX_PER_ORDER: limit price, stop trigger, market at the reference', () => {
    const e = engine({ maxNotional: 10_000 });
    // 100.00 x 100 = 10,000 exactly; 100.01 x 100 = 10,001.
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 100, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_001, 100, A0, 0), RiskCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER);
    assert.equal(e.check(AAPL, SELL, STOP, 10_000, 100, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, SELL, STOP, 10_001, 100, A0, 0), RiskCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER);
    // Market with no reference yet: no price to value it at, passes.
    assert.equal(e.check(AAPL, BUY, MARKET, 0, 100, A0, 0), RiskCode.OK);
    e.setReferencePrice(AAPL, 10_000);
    assert.equal(e.check(AAPL, BUY, MARKET, 0, 100, A0, 0), RiskCode.OK);
    e.setReferencePrice(AAPL, 10_001);
    assert.equal(e.check(AAPL, BUY, MARKET, 0, 100, A0, 0), RiskCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER);
  });

  it('PRICE_OUTSIDE_BAND: +-pct around the reference, inclusive; passes with no reference', () => {
    const e = engine({ priceBandPct: 10 });
    assert.equal(e.check(AAPL, BUY, LIMIT, 1, 1, A0, 0), RiskCode.OK, 'no reference: band passes');
    e.setReferencePrice(AAPL, 10_000);
    for (const p of [9_000, 11_000]) assert.equal(e.check(AAPL, BUY, LIMIT, p, 1, A0, 0), RiskCode.OK);
    for (const p of [8_999, 11_001]) {
      assert.equal(e.check(AAPL, SELL, LIMIT, p, 1, A0, 0), RiskCode.PRICE_OUTSIDE_BAND);
      assert.equal(e.check(AAPL, BUY, STOP, p, 1, A0, 0), RiskCode.PRICE_OUTSIDE_BAND);
    }
    assert.equal(e.check(AAPL, BUY, MARKET, 0, 1, A0, 0), RiskCode.OK, 'market has no price to band');
    // A trade moves the reference (and the band) too.
    e.onTrade(AAPL, 1, 2, 12_000, 1, BUY, A0, A0);
    assert.equal(e.referencePrice(AAPL), 12_000);
    assert.equal(e.check(AAPL, BUY, LIMIT, 13_200, 1, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 13_201, 1, A0, 0), RiskCode.PRICE_OUTSIDE_BAND);
  });

  it('POSITION_LIMIT_EXCEEDED: |position + open same side + qty| <= maxPosition, both sides', () => {
    const e = engine({ maxPosition: 1_000, maxOrderQty: 5_000 });
    accept(e, AAPL, BUY, A0, 400);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 600, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 601, A0, 0), RiskCode.POSITION_LIMIT_EXCEEDED);
    // Fill 300 of the open buy: position +300, open buy 100 -> still 400 on the buy side.
    e.onTrade(AAPL, 99, 1, 10_000, 300, SELL, A0, 7);
    assert.equal(e.positionLots(A0, AAPL), 300);
    assert.equal(e.openLots(A0, AAPL, BUY), 100);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 600, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, BUY, LIMIT, 10_000, 601, A0, 0), RiskCode.POSITION_LIMIT_EXCEEDED);
    // Sell side: 300 - 0 - 1300 = -1000 passes, -1001 fails; open sells count.
    assert.equal(e.check(AAPL, SELL, LIMIT, 10_000, 1_300, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, SELL, LIMIT, 10_000, 1_301, A0, 0), RiskCode.POSITION_LIMIT_EXCEEDED);
    accept(e, AAPL, SELL, A0, 300, true);
    assert.equal(e.check(AAPL, SELL, MARKET, 0, 1_000, A0, 0), RiskCode.OK);
    assert.equal(e.check(AAPL, SELL, MARKET, 0, 1_001, A0, 0), RiskCode.POSITION_LIMIT_EXCEEDED);
  });

  it('GROSS_EXPOSURE_EXCEEDED: sum of (|pos| + open) x reference, revalued when prices move', () => {
    const e = engine({ maxGrossExposure: 100_000, maxOrderQty: 10_000 });
    e.setReferencePrice(AAPL, 10_000); // 100.00
    e.setReferencePrice(MSFT, 5_000); // 50.00
    accept(e, AAPL, BUY, A0, 500); // 50,000
    assert.equal(e.grossExposure(A0), 50_000);
    assert.equal(e.check(MSFT, SELL, LIMIT, 5_000, 1_000, A0, 0), RiskCode.OK); // +50,000 = 100,000
    assert.equal(e.check(MSFT, SELL, LIMIT, 5_000, 1_001, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    e.setReferencePrice(AAPL, 12_000); // AAPL now 60,000
    assert.equal(e.check(MSFT, BUY, LIMIT, 5_000, 800, A0, 0), RiskCode.OK);
    assert.equal(e.check(MSFT, BUY, LIMIT, 5_000, 801, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    // A short position counts by its absolute size.
    e.onTrade(MSFT, 7, 8, 5_000, 200, SELL, 5, A0); // A0 sells 200 to account 5
    assert.equal(e.positionLots(A0, MSFT), -200);
    assert.equal(e.grossExposure(A0), 70_000);
    assert.equal(e.check(MSFT, BUY, LIMIT, 5_000, 600, A0, 0), RiskCode.OK);
    assert.equal(e.check(MSFT, BUY, LIMIT, 5_000, 601, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    // Without a reference, the new order is valued at its own price.
    const f = engine({ maxGrossExposure: 1_000 });
    assert.equal(f.check(AAPL, BUY, LIMIT, 1_000, 100, A0, 0), RiskCode.OK); // 10.00 x 100
    assert.equal(f.check(AAPL, BUY, LIMIT, 1_001, 100, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
  });

  it('GROSS_EXPOSURE_EXCEEDED without a reference: open orders add up, split or across symbols', () => {
    // 4 x 5 @ 100.00 = 2,000 against a limit of 1,000: each order alone fits, together not.
    const e = engine({ maxGrossExposure: 1_000 });
    const place = (book: number) => {
      const code = e.checkNow(book, BUY, LIMIT, 10_000, 5, A0);
      if (code === RiskCode.OK) accept(e, book, BUY, A0, 5);
      return code;
    };
    assert.equal(place(AAPL), RiskCode.OK);
    assert.equal(e.grossExposure(A0), 500, 'the open order is valued at its own price');
    assert.equal(place(AAPL), RiskCode.OK);
    assert.equal(place(AAPL), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    assert.equal(place(MSFT), RiskCode.GROSS_EXPOSURE_EXCEEDED, 'another symbol counts what AAPL holds');
    assert.equal(e.positions()[0].positions[0].exposure, 1_000);
    // A lower-priced order does not lower the cell's valuation.
    assert.equal(e.check(AAPL, BUY, LIMIT, 1, 1, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    // A reference replaces the valuation.
    e.setReferencePrice(AAPL, 5_000);
    assert.equal(e.grossExposure(A0), 500);
    assert.equal(place(MSFT), RiskCode.OK);
    // A rebuilt state (restart: quantities without the checks that priced them) is valued at
    // the next order's price, its own quantity and the cell's together.
    const r = engine({ maxGrossExposure: 1_000 });
    accept(r, AAPL, BUY, A0, 10);
    assert.equal(r.check(AAPL, BUY, LIMIT, 10_000, 1, A0, 0), RiskCode.GROSS_EXPOSURE_EXCEEDED);
    assert.equal(r.check(AAPL, BUY, LIMIT, 9_000, 1, A0, 0), RiskCode.OK); // 11 x 90.00 = 990
    // POST /check (peek) keeps no valuation.
    const p = engine({ maxGrossExposure: 1_000 });
    assert.equal(p.peek(AAPL, BUY, LIMIT, 20_000, 1, A0), RiskCode.OK);
    accept(p, AAPL, BUY, A0, 5);
    assert.equal(p.grossExposure(A0), 0);
  });

  it('RATE_LIMIT_EXCEEDED: token bucket refills from the injected clock, denials cost nothing', () => {
    let now = 1_000;
    const e = engine({ maxOrdersPerSecond: 10, maxOrderQty: 100 }, () => now);
    for (let i = 0; i < 10; i++) assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.OK);
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.RATE_LIMIT_EXCEEDED);
    now += 99; // 0.99 token
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.RATE_LIMIT_EXCEEDED);
    now += 1; // 1 token
    assert.equal(
      e.checkNow(AAPL, BUY, LIMIT, 10_000, 101, A0),
      RiskCode.MAX_QTY_EXCEEDED,
      'denied: no token',
    );
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.OK);
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.RATE_LIMIT_EXCEEDED);
    now += 60_000; // long idle: the bucket holds at most the burst
    for (let i = 0; i < 10; i++) assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.OK);
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, A0), RiskCode.RATE_LIMIT_EXCEEDED);
    // Buckets are per account.
    const other = e.accounts.intern('acct-2');
    assert.equal(e.checkNow(AAPL, BUY, LIMIT, 10_000, 1, other), RiskCode.OK);
    // Lowering the rate clamps the tokens to the new burst.
    assert.equal(e.tokensLeft(other), 9);
    e.updateLimits({ maxOrdersPerSecond: 2 });
    assert.equal(e.tokensLeft(other), 2);
  });

  it('UNKNOWN_SYMBOL / UNKNOWN_ACCOUNT for bad indices, before any other check', () => {
    const e = engine();
    for (const b of [instruments.size, -1, 1.5, Number.NaN]) {
      assert.equal(e.check(b, BUY, LIMIT, 10_000, 1, A0, 0), RiskCode.UNKNOWN_SYMBOL);
    }
    for (const a of [1, -1, 0.5])
      assert.equal(e.check(AAPL, BUY, LIMIT, 1, 1e9, a, 0), RiskCode.UNKNOWN_ACCOUNT);
    const full = new AccountRegistry(1, 1);
    assert.equal(full.intern('x'), -1, 'registry full');
    assert.equal(full.indexOf(DEFAULT_ACCOUNT), 0);
  });
});
