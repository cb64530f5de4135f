/**
 * OHLCV bars of one interval for every instrument: one fixed-capacity ring per instrument,
 * all rings in shared typed arrays (struct of arrays, index = book * capacity + slot).
 *
 * A bar's time is the tick timestamp floored to the interval (epoch seconds). Bars are
 * sparse: an interval without ticks has no bar. A tick older than the newest bar updates
 * the bar of its interval when that bar is still in the ring (high, low, volume, count;
 * open and close stay those of the in-order ticks); otherwise it is counted in `lateTicks`
 * and leaves the bars alone (it still counts for last price, volume and VWAP).
 * Prices are integer ticks. Applying a tick allocates nothing.
 */
import { sumWithoutNoise } from '@tickstorm/protocol';

/** The fields a bar reads from a tick (a protocol ValidTick fits; read, never passed as doubles). */
export interface BarTick {
  readonly priceTicks: number;
  readonly volume: number;
  /** Epoch seconds. */
  readonly timestamp: number;
}

export interface BarView {
  /** Bar start, epoch seconds. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Ticks in the bar. */
  ticks: number;
}

export class BarSeries {
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly ticks: Float64Array;
  /** Slot of the newest bar per instrument. */
  private readonly head: Int32Array;
  /** Bars held per instrument (<= capacity). */
  private readonly count: Int32Array;
  /** Ticks too old for any bar in the ring. */
  lateTicks = 0;

  constructor(
    readonly books: number,
    /** Interval in seconds. */
    readonly interval: number,
    readonly capacity: number,
  ) {
    if (!(interval > 0) || !Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError('bar interval must be > 0 and capacity a positive integer');
    }
    const n = books * capacity;
    this.time = new Float64Array(n);
    this.open = new Float64Array(n);
    this.high = new Float64Array(n);
    this.low = new Float64Array(n);
    this.close = new Float64Array(n);
    this.volume = new Float64Array(n);
    this.ticks = new Float64Array(n);
    this.head = new Int32Array(books);
    this.count = new Int32Array(books);
  }

  apply(book: number, t: BarTick): void {
    const priceTicks = t.priceTicks;
    const volume = t.volume;
    const cap = this.capacity;
    const base = book * cap;
    const barTime = Math.floor(t.timestamp / this.interval) * this.interval;
    const held = this.count[book];
    let slot = this.head[book];
    if (held === 0 || barTime > this.time[base + slot]) {
      slot = held === 0 ? 0 : slot + 1 === cap ? 0 : slot + 1;
      const i = base + slot;
      this.head[book] = slot;
      if (held < cap) this.count[book] = held + 1;
      this.time[i] = barTime;
      this.open[i] = priceTicks;
      this.high[i] = priceTicks;
      this.low[i] = priceTicks;
      this.close[i] = priceTicks;
      this.volume[i] = volume;
      this.ticks[i] = 1;
      return;
    }
    if (barTime === this.time[base + slot]) {
      const i = base + slot;
      if (priceTicks > this.high[i]) this.high[i] = priceTicks;
      if (priceTicks < this.low[i]) this.low[i] = priceTicks;
      this.close[i] = priceTicks;
      this.volume[i] += volume;
      this.ticks[i]++;
      return;
    }
    // Late tick: look for its bar, newest to oldest.
    for (let k = 1; k < held; k++) {
      slot = slot === 0 ? cap - 1 : slot - 1;
      const i = base + slot;
      const t = this.time[i];
      if (t === barTime) {
        if (priceTicks > this.high[i]) this.high[i] = priceTicks;
        if (priceTicks < this.low[i]) this.low[i] = priceTicks;
        this.volume[i] += volume;
        this.ticks[i]++;
        return;
      }
      if (t < barTime) break;
    }
    this.lateTicks++;
  }

  /** Bars held for `book`. */
  size(book: number): number {
    return this.count[book];
  }

  /**
   * The newest `limit` bars of `book`, oldest first (the last one is the bar in progress),
   * prices converted by `toPrice`.
   */
  read(book: number, limit: number, toPrice: (ticks: number) => number): BarView[] {
    const cap = this.capacity;
    const base = book * cap;
    const n = Math.min(limit, this.count[book]);
    const out: BarView[] = new Array(n);
    let slot = this.head[book] - (n - 1);
    if (slot < 0) slot += cap;
    for (let k = 0; k < n; k++) {
      const i = base + slot;
      out[k] = {
        time: this.time[i],
        open: toPrice(this.open[i]),
        high: toPrice(this.high[i]),
        low: toPrice(this.low[i]),
        close: toPrice(this.close[i]),
        volume: sumWithoutNoise(this.volume[i]),
        ticks: this.ticks[i],
      };
      slot = slot + 1 === cap ? 0 : slot + 1;
    }
    return out;
  }
}
