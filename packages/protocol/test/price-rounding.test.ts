/**
 * Rounding order prices to the tick grid: a price between two ticks goes to the lower or
 * the upper one exactly (decided on the decimal, never on a double's error), an on-grid
 * price is unchanged, and the instrument's mode picks rounding or refusal. Checked against
 * a BigInt oracle built on toExponential digits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolErrorCode as C, DecimalGrid, InstrumentTable, ProtocolError } from '@tickstorm/protocol';
import fc from 'fast-check';

const GRIDS = [0.01, 0.05, 0.25, 0.0001, 0.5, 1, 5];

/** Independent oracle: floor and ceil steps of `x` on grid `g`. */
function oracle(g: DecimalGrid, x: number): { down: bigint; up: bigint } {
  const [mantissa, exp] = x.toExponential().split('e');
  const digits = BigInt(mantissa.replace('.', ''));
  const pow = Number(exp) - (mantissa.replace('.', '').length - 1) + g.decimals;
  // x = digits * 10^(pow - decimals); in units of 10^-decimals: digits * 10^pow.
  const step = BigInt(g.stepUnits);
  if (pow >= 0) {
    const units = digits * 10n ** BigInt(pow);
    const down = units / step;
    return { down, up: units % step === 0n ? down : down + 1n };
  }
  const den = 10n ** BigInt(-pow) * step;
  const down = digits / den;
  return { down, up: digits % den === 0n ? down : down + 1n };
}

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof ProtocolError) return err.code;
    throw err;
  }
}

describe('DecimalGrid.roundToSteps', () => {
  it('rounds the examples down and up, exactly', () => {
    const cents = new DecimalGrid(0.01);
    assert.equal(cents.roundToSteps(97.12345678, 'price', false), 9712);
    assert.equal(cents.roundToSteps(97.12345678, 'price', true), 9713);
    assert.equal(cents.roundToSteps(100.1, 'price', false), 10010);
    assert.equal(cents.roundToSteps(100.1, 'price', true), 10010);
    assert.equal(cents.roundToSteps(0.1 + 0.2, 'price', true), 31); // 0.30000000000000004
    assert.equal(cents.roundToSteps(0.1 + 0.2, 'price', false), 30);
    assert.equal(cents.roundToSteps(1e-7, 'price', false), 0);
    assert.equal(cents.roundToSteps(1e-7, 'price', true), 1);
    const quarters = new DecimalGrid(0.25);
    assert.equal(quarters.roundToSteps(100.1, 'price', false), 400);
    assert.equal(quarters.roundToSteps(100.1, 'price', true), 401);
    assert.equal(new DecimalGrid(5).roundToSteps(7, 'price', true), 2);
  });

  it('answers the oracle for random prices on every grid', () => {
    for (const step of GRIDS) {
      const g = new DecimalGrid(step);
      fc.assert(
        fc.property(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), fc.boolean(), (x, up) => {
          const o = oracle(g, x);
          assert.equal(BigInt(g.roundToSteps(x, 'price', up)), up ? o.up : o.down, `${x} on ${step}`);
        }),
        { numRuns: 2_000 },
      );
    }
  });

  it('keeps the errors for values that are no price', () => {
    const cents = new DecimalGrid(0.01);
    assert.equal(
      codeOf(() => cents.roundToSteps(Number.NaN, 'price', true)),
      C.NOT_FINITE,
    );
    assert.equal(
      codeOf(() => cents.roundToSteps(-1.005, 'price', true)),
      C.NOT_POSITIVE,
    );
    assert.equal(
      codeOf(() => cents.roundToSteps(1e300, 'price', true)),
      C.OUT_OF_RANGE,
    );
  });
});

describe('InstrumentTable.orderPriceToTicks', () => {
  it('rounds by default, refuses in reject mode, per instrument or by the table default', () => {
    const t = new InstrumentTable([
      { symbol: 'R', tickSize: 0.01, lotSize: 1 },
      { symbol: 'X', tickSize: 0.01, lotSize: 1, offTickPrices: 'reject' },
    ]);
    assert.equal(t.orderPriceToTicks(t.get('R'), 99.999, false), 9999);
    assert.equal(t.orderPriceToTicks(t.get('R'), 99.999, true), 10000);
    assert.equal(
      codeOf(() => t.orderPriceToTicks(t.get('X'), 99.999, true)),
      C.PRICE_OFF_TICK,
    );
    assert.equal(t.orderPriceToTicks(t.get('X'), 99.99, true), 9999);
    const strict = new InstrumentTable([{ symbol: 'S', tickSize: 0.01, lotSize: 1 }], {
      offTickPrices: 'reject',
    });
    assert.equal(
      codeOf(() => strict.orderPriceToTicks(strict.get('S'), 1.001, true)),
      C.PRICE_OFF_TICK,
    );
  });

  it('refuses a price that rounds below one tick or outside the range', () => {
    const t = new InstrumentTable([{ symbol: 'R', tickSize: 0.01, lotSize: 1, maxPrice: 100 }]);
    assert.equal(
      codeOf(() => t.orderPriceToTicks(t.get('R'), 0.004, false)),
      C.OUT_OF_RANGE,
    );
    assert.equal(t.orderPriceToTicks(t.get('R'), 0.004, true), 1);
    assert.equal(
      codeOf(() => t.orderPriceToTicks(t.get('R'), 100.001, true)),
      C.OUT_OF_RANGE,
    );
  });

  it('refuses an unknown mode', () => {
    assert.throws(
      () =>
        new InstrumentTable([
          { symbol: 'R', tickSize: 0.01, lotSize: 1, offTickPrices: 'nearest' as 'round' },
        ]),
      /offTickPrices/,
    );
  });
});
