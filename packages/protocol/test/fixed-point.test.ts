/**
 * Fixed-point conversions at the edge: decimals <-> integer ticks / lots. Checked against
 * an independent BigInt oracle (built on toExponential digits, not on the String() parse
 * the grid uses): a value is accepted exactly when its shortest decimal is a whole number
 * of steps within range, and then converts back to the very same number. Nothing ever
 * rounds silently.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ProtocolErrorCode as C,
  DEFAULT_SYMBOLS,
  DecimalGrid,
  InstrumentTable,
  ProtocolError,
  sumWithoutNoise,
} from '@tickstorm/protocol';
import fc from 'fast-check';

const GRIDS = [0.01, 0.05, 0.25, 0.0001, 0.001, 0.5, 1e-8, 1e-12, 1, 5, 25];

/** The documented contract: decimal grids keep at most 15 significant digits, integer grids 2^53 - 1. */
function maxUnitsOf(g: DecimalGrid): bigint {
  return g.decimals === 0 ? BigInt(Number.MAX_SAFE_INTEGER) : 999_999_999_999_999n;
}

/** Independent oracle: the steps for `x` on grid `g`, or the error code that must be thrown. */
function oracle(g: DecimalGrid, x: number): number | string {
  const [mantissa, exp] = x.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const pow = Number(exp) - (digits.length - 1) + g.decimals;
  let units: bigint;
  if (pow >= 0) {
    units = BigInt(digits) * 10n ** BigInt(pow);
  } else {
    const div = 10n ** BigInt(-pow);
    if (BigInt(digits) % div !== 0n) return C.PRICE_OFF_TICK;
    units = BigInt(digits) / div;
  }
  if (units > maxUnitsOf(g)) return C.OUT_OF_RANGE;
  if (units % BigInt(g.stepUnits) !== 0n) return C.PRICE_OFF_TICK;
  return Number(units / BigInt(g.stepUnits));
}

function stepsOrCode(g: DecimalGrid, x: number, field = 'price'): number | string {
  try {
    return g.toSteps(x, field);
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `not a ProtocolError: ${err}`);
    assert.equal(err.field, field, 'the error names the field');
    return err.code;
  }
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `not a ProtocolError: ${err}`);
    return err.code;
  }
  assert.fail('expected a ProtocolError');
}

describe('DecimalGrid: fixed edge cases', () => {
  const cents = new DecimalGrid(0.01);

  it('converts decimals that are not exact in binary exactly', () => {
    assert.equal(cents.toSteps(100.1, 'price'), 10_010);
    assert.equal(cents.fromSteps(10_010), 100.1);
    assert.equal(cents.toSteps(0.3, 'price'), 30);
    assert.equal(cents.toSteps(19.99, 'price'), 1_999);
    assert.equal(cents.toSteps(0.07, 'price'), 7);
    assert.equal(cents.fromSteps(7), 0.07);
    assert.equal(cents.toSteps(1e-2, 'price'), 1);
  });

  it('refuses off-grid values instead of rounding them', () => {
    assert.equal(stepsOrCode(cents, 0.1 + 0.2), C.PRICE_OFF_TICK); // 0.30000000000000004
    assert.equal(stepsOrCode(cents, 1e-7), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(cents, 100.001), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(cents, 5e-324), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(new DecimalGrid(0.05), 100.02), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(new DecimalGrid(0.05), 100.05), 2_001);
    assert.equal(stepsOrCode(new DecimalGrid(0.25), 100.1), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(new DecimalGrid(0.25), 100.75), 403);
    assert.equal(stepsOrCode(new DecimalGrid(0.0001), 1.23456), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(new DecimalGrid(0.0001), 1.2345), 12_345);
    assert.equal(stepsOrCode(new DecimalGrid(1e-7), 1e-7), 1);
  });

  it('integer ticks: a step of 5', () => {
    const five = new DecimalGrid(5);
    assert.equal(five.decimals, 0);
    assert.equal(five.toSteps(10, 'price'), 2);
    assert.equal(five.fromSteps(2), 10);
    assert.equal(stepsOrCode(five, 7), C.PRICE_OFF_TICK);
    assert.equal(stepsOrCode(five, 2.5), C.PRICE_OFF_TICK);
    assert.equal(five.fromSteps(five.maxSteps), 9_007_199_254_740_990);
    assert.equal(five.toSteps(9_007_199_254_740_990, 'p'), five.maxSteps);
  });

  it('the off-grid code is the one the grid was built with (lots: QTY_OFF_LOT)', () => {
    const lots = new DecimalGrid(1, C.QTY_OFF_LOT);
    assert.equal(stepsOrCode(lots, 1.5, 'quantity'), C.QTY_OFF_LOT);
  });

  it('refuses zero, negatives, NaN, infinities and non-numbers with their own codes', () => {
    for (const x of [0, -0, -1, -0.01, -1e21]) assert.equal(stepsOrCode(cents, x), C.NOT_POSITIVE, String(x));
    for (const x of [Number.NaN, Infinity, -Infinity]) assert.equal(stepsOrCode(cents, x), C.NOT_FINITE);
    for (const x of ['100', '', '1e2', null, undefined, {}, [1], true, 100n]) {
      assert.equal(stepsOrCode(cents, x as unknown as number), C.NOT_FINITE, `${typeof x} ${String(x)}`);
    }
  });

  it('refuses values beyond the exact range (15 significant digits on decimal grids, 2^53 - 1 on integer ones)', () => {
    assert.equal(cents.fromSteps(cents.maxSteps), 9_999_999_999_999.99);
    assert.equal(cents.toSteps(9_999_999_999_999.99, 'price'), cents.maxSteps);
    for (const x of [10_000_000_000_000, 1e21, 1e300, Number.MAX_VALUE]) {
      assert.equal(stepsOrCode(cents, x), C.OUT_OF_RANGE, String(x));
    }
    const lots = new DecimalGrid(1, C.QTY_OFF_LOT);
    assert.equal(lots.toSteps(Number.MAX_SAFE_INTEGER, 'quantity'), Number.MAX_SAFE_INTEGER);
    for (const x of [2 ** 53, 2 ** 53 + 2, 1e16, 1e21]) {
      assert.equal(stepsOrCode(lots, x, 'quantity'), C.OUT_OF_RANGE, String(x));
    }
    const milli = new DecimalGrid(0.001, C.QTY_OFF_LOT);
    assert.equal(milli.toSteps(999_999_999_999.999, 'quantity'), 999_999_999_999_999);
    assert.equal(stepsOrCode(milli, 1e12, 'quantity'), C.OUT_OF_RANGE);
  });

  it('refuses steps that are not positive decimals with at most 12 decimals, or too large', () => {
    for (const step of [0, -0.01, Number.NaN, Infinity, 1e-13, 0.1 + 0.2, 1e16, 1.5e21, '0.01', null]) {
      assert.equal(
        codeOf(() => new DecimalGrid(step as number)),
        C.INVALID_INSTRUMENT,
        String(step),
      );
    }
    assert.equal(new DecimalGrid(1e-12).maxSteps, 999_999_999_999_999);
    assert.equal(new DecimalGrid(1e15).maxSteps, 9);
  });
});

describe('DecimalGrid: properties against the BigInt oracle', () => {
  for (const step of GRIDS) {
    const g = new DecimalGrid(step);

    it(`step ${step}: toSteps(fromSteps(n)) === n, and fromSteps(n) is the exact decimal n x step`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: g.maxSteps }), (n) => {
          const x = g.fromSteps(n);
          assert.equal(x, Number(`${BigInt(n) * BigInt(g.stepUnits)}e-${g.decimals}`));
          assert.equal(g.toSteps(x, 'price'), n);
        }),
        { numRuns: 2_000, seed: 11 },
      );
    });

    it(`step ${step}: any double is accepted exactly when the oracle accepts it, and then round-trips`, () => {
      const anyDouble = fc.double({ min: Number.MIN_VALUE, max: 1e22, noNaN: true });
      // Decimals with a few digits: these land on the grid often, unlike arbitrary doubles.
      const shortDecimal = fc
        .tuple(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: -6, max: g.decimals + 3 }))
        .map(([k, d]) => Number(`${k}e${-d}`));
      fc.assert(
        fc.property(fc.oneof(anyDouble, shortDecimal), (x) => {
          const got = stepsOrCode(g, x);
          assert.equal(got, oracle(g, x), `x = ${x}`);
          if (typeof got === 'number') assert.equal(g.fromSteps(got), x, `round trip of ${x}`);
        }),
        { numRuns: 2_000, seed: 12 },
      );
    });
  }
});

describe('InstrumentTable', () => {
  const table = new InstrumentTable([
    { symbol: 'ACME', tickSize: 0.05, lotSize: 0.001, minPrice: 1, maxPrice: 1000 },
    { symbol: 'BTC-USD', tickSize: 0.01, lotSize: 0.00001 },
  ]);
  const acme = table.get('ACME');

  it('converts prices and quantities with the instrument grids and checks the price range', () => {
    assert.equal(table.priceToTicks(acme, 1), 20);
    assert.equal(table.priceToTicks(acme, 1000), 20_000);
    assert.equal(table.ticksToPrice(acme, 2_001), 100.05);
    assert.equal(table.qtyToLots(acme, 1.5), 1_500);
    assert.equal(table.lotsToQty(acme, 1), 0.001);
    for (const p of [0.95, 1000.05]) {
      assert.equal(
        codeOf(() => table.priceToTicks(acme, p)),
        C.OUT_OF_RANGE,
      );
    }
    assert.equal(
      codeOf(() => table.priceToTicks(acme, 100.01)),
      C.PRICE_OFF_TICK,
    );
    assert.equal(
      codeOf(() => table.qtyToLots(acme, 0.0001)),
      C.QTY_OFF_LOT,
    );
    const btc = table.get('BTC-USD');
    assert.equal(btc.minPriceTicks, 1, 'default minimum: one tick');
    assert.equal(btc.maxPriceTicks, btc.price.maxSteps);
    assert.equal(table.qtyToLots(btc, 0.00001), 1);
  });

  it('names the field in errors', () => {
    try {
      table.priceToTicks(acme, 2000, 'orders[3].price');
      assert.fail('expected a ProtocolError');
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.field, 'orders[3].price');
    }
  });

  it('unknown symbols: PRT_ERR_UNKNOWN_SYMBOL, with the field', () => {
    for (const s of ['NOPE', 'acme', '', 5, null, undefined]) {
      try {
        table.get(s, 'body.symbol');
        assert.fail(`expected an error for ${String(s)}`);
      } catch (err) {
        assert.ok(err instanceof ProtocolError);
        assert.equal(err.code, C.UNKNOWN_SYMBOL);
        assert.equal(err.field, 'body.symbol');
      }
    }
    assert.equal(table.find('NOPE'), undefined);
  });

  it('an unknown symbol one case away from an instrument names it; others do not', () => {
    assert.throws(
      () => table.get('acme'),
      /^ProtocolError: unknown symbol "acme" \(symbols are case-sensitive: "ACME"\)$/,
    );
    assert.equal(
      table.unknownSymbolMessage('btc-usd'),
      'unknown symbol "btc-usd" (symbols are case-sensitive: "BTC-USD")',
    );
    assert.equal(table.unknownSymbolMessage('NOPE'), 'unknown symbol "NOPE"');
    assert.equal(table.unknownSymbolMessage(5), 'unknown symbol 5');
    const twins = new InstrumentTable([
      { symbol: 'Ab', tickSize: 0.01, lotSize: 1 },
      { symbol: 'AB', tickSize: 0.01, lotSize: 1 },
    ]);
    assert.equal(
      twins.unknownSymbolMessage('ab'),
      'unknown symbol "ab"',
      'two candidates: neither is suggested',
    );
  });

  it('reports every invalid instrument at once', () => {
    let message = '';
    try {
      new InstrumentTable([
        { symbol: 'bad symbol', tickSize: 0.01, lotSize: 1 },
        { symbol: 'ZERO', tickSize: 0, lotSize: 1 },
        { symbol: 'INV', tickSize: 0.01, lotSize: 1, minPrice: 10, maxPrice: 5 },
        { symbol: 'OK', tickSize: 0.01, lotSize: 1 },
        { symbol: 'OK', tickSize: 0.01, lotSize: 1 },
        { symbol: 'OFF', tickSize: 0.01, lotSize: 1, minPrice: 0.001 },
        { symbol: 'HUGE', tickSize: 0.01, lotSize: 1e16 },
      ]);
      assert.fail('expected a ProtocolError');
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
      assert.equal(err.code, C.INVALID_INSTRUMENT);
      message = err.message;
    }
    for (const i of [0, 1, 2, 4, 5, 6])
      assert.match(message, new RegExp(`instruments\\[${i}\\]`), `problem ${i}`);
    assert.doesNotMatch(message, /instruments\[3\]/);
    assert.match(message, /listed twice/);
    assert.match(message, /minPrice is above maxPrice/);
  });

  it('the default table lists the standard symbols with dense indices, tick 0.01 and lot 1', () => {
    const def = new InstrumentTable();
    assert.equal(def.size, DEFAULT_SYMBOLS.length);
    def.list.forEach((inst, i) => {
      assert.equal(inst.index, i);
      assert.equal(def.get(inst.symbol), inst);
      assert.equal(inst.price.step, 0.01);
      assert.equal(inst.qty.step, 1);
    });
    assert.ok(def.find('SYM49') && def.find('AAPL') && def.find('TSLA'));
  });
});

describe('sumWithoutNoise', () => {
  it('answers a sum of decimals as its decimal, whole numbers and non-finite values as they are', () => {
    assert.equal(sumWithoutNoise(0.1 + 0.2), 0.3);
    assert.equal(sumWithoutNoise(1.1 + 2.2), 3.3);
    assert.equal(sumWithoutNoise(0.492156862745098), 0.492156862745098);
    assert.equal(sumWithoutNoise(2 ** 53 - 1), 2 ** 53 - 1);
    assert.equal(sumWithoutNoise(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(sumWithoutNoise(Number.NaN)));
  });
});
