/**
 * Per-symbol market state in typed arrays indexed by instrument (book): last price (ticks
 * and decimal), best bid/ask where known, cumulative volume, VWAP (sum price x volume /
 * sum volume, summed in ticks and answered as a decimal rounded to 4 digits finer than the
 * tick, as an order's avgPrice, so 0.1 and 0.2 average to 0.15, not 0.15000000000000002), tick count, last tick timestamp, and 1-second and
 * 1-minute OHLCV bars (./bar-series.ts). `apply` allocates nothing (it reads the validated
 * tick's fields: doubles passed as arguments would be boxed); readers allocate.
 *
 * Bid/ask are the latest values carried by any tick of the symbol (a tick without them
 * leaves them as they were).
 */
import {
  type Instrument,
  type InstrumentTable,
  sumWithoutNoise,
  ticksToDecimal,
  type ValidTick,
} from '@tickstorm/protocol';
import type { MarketUpdate } from '../bus/topics.ts';
import { BarSeries, type BarView } from './bar-series.ts';

export type BarInterval = '1s' | '1m';
export const BAR_INTERVALS: readonly BarInterval[] = ['1s', '1m'];
/** Bars kept per symbol and interval when not configured: one hour of 1 s bars, one day of 1 m bars. */
export const DEFAULT_BAR_CAPACITY: Readonly<Record<BarInterval, number>> = { '1s': 3600, '1m': 1440 };

export interface MarketStateOptions {
  /** 1-second bars kept per symbol (default 3,600 = one hour). */
  bars1sCapacity?: number;
  /** 1-minute bars kept per symbol (default 1,440 = one day). */
  bars1mCapacity?: number;
}

/** A symbol's state as decimals (HTTP `GET /symbols/:symbol`). */
export interface SymbolSnapshot {
  symbol: string;
  last: number | null;
  lastTicks: number | null;
  bid: number | null;
  ask: number | null;
  volume: number;
  vwap: number | null;
  ticks: number;
  /** Timestamp of the last tick applied (epoch seconds), null before the first. */
  lastTimestamp: number | null;
}

export class MarketState {
  readonly size: number;
  /** Last price in ticks (0 = no tick yet) and as a decimal. */
  readonly lastTicks: Float64Array;
  readonly lastPrice: Float64Array;
  /** Best bid / ask in ticks, 0 = unknown. */
  readonly bidTicks: Float64Array;
  readonly askTicks: Float64Array;
  readonly volume: Float64Array;
  /** Sum of price x volume, price in ticks (exact while the volumes are whole). */
  readonly notional: Float64Array;
  readonly tickCount: Float64Array;
  readonly lastTimestamp: Float64Array;
  /**
   * The lowest and highest price (ticks, 0 = none) since the symbol's last frame ended
   * (endFrame), and the tick count at which each was reached: the update carries them.
   */
  readonly frameLow: Float64Array;
  readonly frameHigh: Float64Array;
  private readonly frameLowAt: Float64Array;
  private readonly frameHighAt: Float64Array;
  readonly bars1s: BarSeries;
  readonly bars1m: BarSeries;
  /** Tick -> decimal factor per book: stepUnits and 10^decimals. */
  private readonly stepUnits: Float64Array;
  private readonly scale: Float64Array;
  /** VWAP rounding: units of 10^-(decimals + 4) per tick, and that power of ten. */
  private readonly vwapUnits: Float64Array;
  private readonly vwapScale: Float64Array;

  constructor(
    readonly instruments: InstrumentTable,
    opts: MarketStateOptions = {},
  ) {
    const n = instruments.size;
    this.size = n;
    this.lastTicks = new Float64Array(n);
    this.lastPrice = new Float64Array(n);
    this.bidTicks = new Float64Array(n);
    this.askTicks = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.notional = new Float64Array(n);
    this.tickCount = new Float64Array(n);
    this.lastTimestamp = new Float64Array(n);
    this.frameLow = new Float64Array(n);
    this.frameHigh = new Float64Array(n);
    this.frameLowAt = new Float64Array(n);
    this.frameHighAt = new Float64Array(n);
    this.bars1s = new BarSeries(n, 1, opts.bars1sCapacity ?? DEFAULT_BAR_CAPACITY['1s']);
    this.bars1m = new BarSeries(n, 60, opts.bars1mCapacity ?? DEFAULT_BAR_CAPACITY['1m']);
    this.stepUnits = new Float64Array(n);
    this.scale = new Float64Array(n);
    this.vwapUnits = new Float64Array(n);
    this.vwapScale = new Float64Array(n);
    for (const inst of instruments.list) {
      this.stepUnits[inst.index] = inst.price.stepUnits;
      this.scale[inst.index] = 10 ** inst.price.decimals;
      this.vwapUnits[inst.index] = inst.price.stepUnits * 10_000;
      this.vwapScale[inst.index] = 10 ** (inst.price.decimals + 4);
    }
  }

  /** The exact decimal of `ticks` for `book`. */
  toDecimal(book: number, ticks: number): number {
    return (ticks * this.stepUnits[book]) / this.scale[book];
  }

  /**
   * The sides a tick carries replace the held ones (validation refused a tick whose own bid is
   * above its own ask). A one-sided tick that crosses the other held side makes that side
   * stale (the market moved through it): it is dropped (null) rather than held crossed.
   */
  private applyQuote(book: number, bid: number, ask: number): void {
    if (bid > 0) {
      this.bidTicks[book] = bid;
      if (ask <= 0 && this.askTicks[book] > 0 && this.askTicks[book] < bid) this.askTicks[book] = 0;
    }
    if (ask > 0) {
      this.askTicks[book] = ask;
      if (bid <= 0 && this.bidTicks[book] > ask) this.bidTicks[book] = 0;
    }
  }

  /** Applies one validated tick (protocol `validateTick` / `validateTickFields` filled it). */
  apply(t: ValidTick): void {
    const book = t.book;
    const priceTicks = t.priceTicks;
    const volume = t.volume;
    const price = (priceTicks * this.stepUnits[book]) / this.scale[book];
    this.lastTicks[book] = priceTicks;
    this.lastPrice[book] = price;
    this.applyQuote(book, t.bidTicks, t.askTicks);
    this.volume[book] += volume;
    this.notional[book] += priceTicks * volume;
    const count = ++this.tickCount[book];
    if (this.frameLow[book] === 0 || priceTicks < this.frameLow[book]) {
      this.frameLow[book] = priceTicks;
      this.frameLowAt[book] = count;
    }
    if (priceTicks > this.frameHigh[book]) {
      this.frameHigh[book] = priceTicks;
      this.frameHighAt[book] = count;
    }
    this.lastTimestamp[book] = t.timestamp;
    this.bars1s.apply(book, t);
    this.bars1m.apply(book, t);
  }

  vwap(book: number): number {
    const v = this.volume[book];
    if (!(v > 0)) return 0;
    // Integer units over an exact power of ten: the double nearest that decimal.
    return Math.round((this.notional[book] / v) * this.vwapUnits[book]) / this.vwapScale[book];
  }

  /** The frame that touched `book` is over: its next update's low and high start afresh. */
  endFrame(book: number): void {
    this.frameLow[book] = 0;
    this.frameHigh[book] = 0;
  }

  /** Symbols that have seen at least one tick. */
  activeSymbols(): number {
    let n = 0;
    for (let b = 0; b < this.size; b++) if (this.tickCount[b] > 0) n++;
    return n;
  }

  /** The bus message for `book` (one per touched symbol per frame). */
  update(book: number, nowSeconds: number): MarketUpdate {
    const inst = this.instruments.list[book];
    const bid = this.bidTicks[book];
    const ask = this.askTicks[book];
    return {
      symbol: inst.symbol,
      book,
      last: this.lastPrice[book],
      lastTicks: this.lastTicks[book],
      bid: bid > 0 ? this.toDecimal(book, bid) : null,
      ask: ask > 0 ? this.toDecimal(book, ask) : null,
      volume: sumWithoutNoise(this.volume[book]),
      vwap: this.vwap(book),
      ticks: this.tickCount[book],
      timestamp: nowSeconds,
      lowTicks: this.frameLow[book] > 0 ? this.frameLow[book] : this.lastTicks[book],
      highTicks: this.frameHigh[book] > 0 ? this.frameHigh[book] : this.lastTicks[book],
      highFirst: this.frameHighAt[book] < this.frameLowAt[book],
    };
  }

  snapshot(inst: Instrument): SymbolSnapshot {
    const b = inst.index;
    const seen = this.tickCount[b] > 0;
    const bid = this.bidTicks[b];
    const ask = this.askTicks[b];
    return {
      symbol: inst.symbol,
      last: seen ? this.lastPrice[b] : null,
      lastTicks: seen ? this.lastTicks[b] : null,
      bid: bid > 0 ? ticksToDecimal(inst, bid) : null,
      ask: ask > 0 ? ticksToDecimal(inst, ask) : null,
      volume: sumWithoutNoise(this.volume[b]),
      vwap: seen ? this.vwap(b) : null,
      ticks: this.tickCount[b],
      lastTimestamp: seen ? this.lastTimestamp[b] : null,
    };
  }

  /** The newest `limit` bars of `symbol`, oldest first, including the bar in progress. */
  bars(symbol: string, interval: BarInterval, limit: number): BarView[] {
    const inst = this.instruments.find(symbol);
    if (inst === undefined) return [];
    const series = interval === '1s' ? this.bars1s : this.bars1m;
    return series.read(inst.index, limit, (t) => ticksToDecimal(inst, t));
  }

  barCapacity(interval: BarInterval): number {
    return interval === '1s' ? this.bars1s.capacity : this.bars1m.capacity;
  }
}
