import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { httpStatusOf, TradingError, TradingErrorCode } from '../src/errors.ts';
import {
  cloneRiskLimits,
  DEFAULT_RISK_LIMITS,
  mergeRiskLimits,
  type RiskLimits,
  RiskLimitsError,
  riskLimitProblems,
  symbolLimits,
  validateRiskLimits,
} from '../src/risk/risk-limits.ts';

const instruments = new InstrumentTable();

describe('risk limits validation', () => {
  it('accepts the defaults and fills missing fields from them', () => {
    assert.deepEqual(riskLimitProblems(DEFAULT_RISK_LIMITS, instruments), []);
    assert.deepEqual(validateRiskLimits({}), { ...DEFAULT_RISK_LIMITS });
    const l = validateRiskLimits(
      { maxOrderQty: 5, perSymbol: { AAPL: { maxNotional: 10 } } },
      { instruments },
    );
    assert.equal(l.maxOrderQty, 5);
    assert.equal(l.maxNotional, DEFAULT_RISK_LIMITS.maxNotional);
    assert.deepEqual(l.perSymbol, { AAPL: { maxNotional: 10 } });
  });

  it('reports every problem at once, in the message and as a list', () => {
    const input = {
      maxOrderQty: -1,
      maxNotional: 'lots',
      priceBandPct: 0,
      maxPosition: Number.NaN,
      maxGrossExposure: null,
      maxOrdersPerSecond: 0.5,
      bogus: 1,
      perSymbol: { NOPE: { maxOrderQty: 0, maxGrossExposure: 5 }, AAPL: 7, MSFT: { priceBandPct: 2000 } },
    };
    let caught: unknown;
    try {
      validateRiskLimits(input, { instruments });
    } catch (x) {
      caught = x;
    }
    assert.ok(caught instanceof RiskLimitsError && caught instanceof TradingError);
    assert.equal(caught.code, TradingErrorCode.INVALID_LIMITS);
    assert.equal(httpStatusOf(caught.code), 400);
    const expected = [
      'maxOrderQty must be a quantity > 0, got -1',
      'maxNotional must be an amount > 0, got "lots"',
      'priceBandPct must be a percentage > 0 and <= 1000, got 0',
      'maxPosition must be a quantity > 0, got NaN', // non-finite numbers are named (JSON's 1e999 parses to Infinity), not shown as null
      'maxGrossExposure must be an amount > 0, got null',
      'maxOrdersPerSecond must be a rate >= 1 and <= 1e9, got 0.5',
      'bogus is not a risk limit',
      'perSymbol.NOPE: unknown symbol',
      'perSymbol.NOPE.maxOrderQty must be a quantity > 0, got 0',
      'perSymbol.NOPE.maxGrossExposure is not a per-symbol risk limit',
      'perSymbol.AAPL must be an object of limits or null',
      'perSymbol.MSFT.priceBandPct must be a percentage > 0 and <= 1000, got 2000',
    ];
    assert.deepEqual([...caught.problems], expected);
    for (const p of expected) assert.ok(caught.message.includes(p), `message names: ${p}`);
  });

  it('refuses non-objects, a non-object perSymbol and prototype keys', () => {
    assert.deepEqual(riskLimitProblems(null), ['limits must be a JSON object']);
    assert.deepEqual(riskLimitProblems([1]), ['limits must be a JSON object']);
    assert.deepEqual(riskLimitProblems({ perSymbol: 3 }), [
      'perSymbol must be an object of symbol -> limits',
    ]);
    const proto = JSON.parse('{"__proto__": {"maxOrderQty": 1}, "perSymbol": {"__proto__": {}}}');
    assert.deepEqual(riskLimitProblems(proto), [
      '__proto__ is not a risk limit',
      'perSymbol.__proto__: unknown symbol',
    ]);
  });

  it('names a long field or symbol cut, not echoed whole (PUT /limits answered 100 KB of it)', () => {
    const long = 'A'.repeat(100_000);
    const problems = riskLimitProblems({ [long]: 1, perSymbol: { [long]: { [long]: 1 } } }, instruments);
    const cut = `${'A'.repeat(61)}...`;
    assert.deepEqual(problems, [
      `${cut} is not a risk limit`,
      `perSymbol.${cut}: unknown symbol`,
      `perSymbol.${cut}.${cut} is not a per-symbol risk limit`,
    ]);
  });

  it('accepts the exact bounds of each field', () => {
    assert.deepEqual(riskLimitProblems({ maxOrdersPerSecond: 1, priceBandPct: 1000 }), []);
    assert.equal(riskLimitProblems({ maxOrdersPerSecond: 0.999 }).length, 1);
    assert.equal(riskLimitProblems({ priceBandPct: 1000.5 }).length, 1);
    assert.equal(riskLimitProblems({ maxNotional: Number.POSITIVE_INFINITY }).length, 1);
  });
});

describe('risk limits merge', () => {
  const base: RiskLimits = {
    ...DEFAULT_RISK_LIMITS,
    perSymbol: { AAPL: { maxOrderQty: 5, maxPosition: 50 }, MSFT: { priceBandPct: 5 } },
  };

  it('replaces top-level fields and merges perSymbol per field, null removing', () => {
    const merged = validateRiskLimits(
      { maxNotional: 123, perSymbol: { AAPL: { maxOrderQty: null, maxNotional: 9 }, MSFT: null, TSLA: {} } },
      { base, instruments },
    );
    assert.equal(merged.maxNotional, 123);
    assert.equal(merged.maxOrderQty, DEFAULT_RISK_LIMITS.maxOrderQty);
    assert.deepEqual(merged.perSymbol, { AAPL: { maxPosition: 50, maxNotional: 9 } });
    assert.deepEqual(base.perSymbol?.AAPL, { maxOrderQty: 5, maxPosition: 50 }, 'base untouched');
  });

  it('drops perSymbol when the last override goes', () => {
    const merged = mergeRiskLimits(base, { perSymbol: { AAPL: null, MSFT: { priceBandPct: null } } });
    assert.equal(merged.perSymbol, undefined);
    assert.ok(!('perSymbol' in merged));
  });

  it('clones deeply and resolves effective symbol limits', () => {
    const c = cloneRiskLimits(base);
    c.perSymbol!.AAPL.maxOrderQty = 99;
    assert.equal(base.perSymbol?.AAPL.maxOrderQty, 5);
    assert.deepEqual(symbolLimits(base, 'AAPL'), {
      maxOrderQty: 5,
      maxNotional: DEFAULT_RISK_LIMITS.maxNotional,
      priceBandPct: DEFAULT_RISK_LIMITS.priceBandPct,
      maxPosition: 50,
    });
    assert.equal(symbolLimits(base, 'GOOGL').maxPosition, DEFAULT_RISK_LIMITS.maxPosition);
  });
});
