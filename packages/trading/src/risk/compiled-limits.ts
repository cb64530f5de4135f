/**
 * RiskLimits (human decimals) compiled into per-instrument typed arrays in the units the
 * check works in, so that RiskEngine.check does only loads, multiplies and compares:
 *
 *   maxQtyLots[s]      lots               maxOrderQty / lotSize, rounded down
 *   maxNotional[s]     ticks x lots       maxNotional / (tickSize x lotSize), rounded down
 *   bandPct[s]         percent            the band is re-derived in ticks when the reference moves
 *   maxPosLots[s]      lots               maxPosition / lotSize, rounded down
 *
 * Gross exposure adds up different instruments, whose tick x lot is worth different
 * amounts, so it is kept in one "exposure unit" of 10^-D of the currency, where D is the
 * largest (price decimals + quantity decimals) over the instruments (2 for the default
 * 0.01 tick / 1 lot instruments): one tick x lot of instrument s is worth unitMul[s]
 * units, an integer. Everything stays an exact integer in a double while it is below
 * 2^53 (9e15 units: 9e13 of currency at D = 2); beyond that it is approximate.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import { type RiskLimits, symbolLimits } from './risk-limits.ts';

/** `x` rounded down, except that a value within 1e-9 (relative) of an integer is that integer. */
export function snapFloor(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Math.floor(x);
}

/** `x` rounded up, except that a value within 1e-9 (relative) of an integer is that integer. */
export function snapCeil(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Math.ceil(x);
}

export class CompiledLimits {
  readonly maxQtyLots: Float64Array;
  readonly maxNotional: Float64Array;
  readonly bandPct: Float64Array;
  readonly maxPosLots: Float64Array;
  /** Exposure units per tick x lot, per instrument (instrument-only, never changes). */
  readonly unitMul: Float64Array;
  /** D: one exposure unit is 10^-D of the currency. */
  readonly unitDecimals: number;
  /** maxGrossExposure in exposure units. */
  maxGrossUnits = 0;
  /** Token bucket refill per millisecond, and its size. */
  ratePerMs = 0;
  burst = 0;

  constructor(instruments: InstrumentTable) {
    const n = instruments.size;
    this.maxQtyLots = new Float64Array(n);
    this.maxNotional = new Float64Array(n);
    this.bandPct = new Float64Array(n);
    this.maxPosLots = new Float64Array(n);
    this.unitMul = new Float64Array(n);
    let d = 0;
    for (const inst of instruments.list) d = Math.max(d, inst.price.decimals + inst.qty.decimals);
    this.unitDecimals = d;
    for (const inst of instruments.list) {
      const shift = 10 ** (d - inst.price.decimals - inst.qty.decimals);
      this.unitMul[inst.index] = inst.price.stepUnits * inst.qty.stepUnits * shift;
    }
  }

  /** Re-derives every array and scalar from `limits` (validated beforehand). */
  compile(instruments: InstrumentTable, limits: Readonly<RiskLimits>): void {
    const scale = 10 ** this.unitDecimals;
    for (const inst of instruments.list) {
      const i = inst.index;
      const l = symbolLimits(limits, inst.symbol);
      const lotScale = 10 ** inst.qty.decimals;
      this.maxQtyLots[i] = Math.floor(snapFloor(l.maxOrderQty * lotScale) / inst.qty.stepUnits);
      this.maxPosLots[i] = Math.floor(snapFloor(l.maxPosition * lotScale) / inst.qty.stepUnits);
      this.maxNotional[i] = Math.floor(snapFloor(l.maxNotional * scale) / this.unitMul[i]);
      this.bandPct[i] = l.priceBandPct;
    }
    this.maxGrossUnits = snapFloor(limits.maxGrossExposure * scale);
    this.ratePerMs = limits.maxOrdersPerSecond / 1000;
    this.burst = limits.maxOrdersPerSecond;
  }

  /** Exposure units -> currency. */
  unitsToMoney(units: number): number {
    return units / 10 ** this.unitDecimals;
  }
}

/**
 * Writes the band of instrument `i` for reference `refTicks` into lo/hi (inclusive, ticks).
 * No reference (<= 0) gives [0, +inf]: the band check passes until a price is known.
 */
export function setBand(lo: Float64Array, hi: Float64Array, i: number, refTicks: number, pct: number): void {
  if (!(refTicks > 0)) {
    lo[i] = 0;
    hi[i] = Number.POSITIVE_INFINITY;
    return;
  }
  lo[i] = snapCeil((refTicks * (100 - pct)) / 100);
  hi[i] = snapFloor((refTicks * (100 + pct)) / 100);
}
