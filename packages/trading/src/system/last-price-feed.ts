/**
 * Conflates market data's last prices per symbol before they reach the matching engines
 * (stop triggers, through the input log) and the risk bands: however many updates a
 * symbol gets within one event-loop turn, the engine sees at most three prices: the turn's
 * lowest and highest (in the order they came, each only when it differs from the next one
 * applied) and then its latest. A stop therefore fires on any price the symbol traded
 * through in the turn (a sell stop at 99.5 on ticks 99 then 101), not only on the last.
 * `apply` is told which is the last: the system applies an extreme only when it fires a stop.
 */
export class LastPriceFeed {
  private readonly latest: Float64Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  /** When, in the turn's order of prices, the low and the high were reached. */
  private readonly lowAt: Float64Array;
  private readonly highAt: Float64Array;
  private readonly pushes: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly queue: Int32Array;
  private queued = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private stopped = false;

  constructor(
    symbols: number,
    /** `last`: the turn's latest price; false: one of its extremes (last-price-feed.ts). */
    private readonly apply: (book: number, priceTicks: number, last: boolean) => void,
  ) {
    this.latest = new Float64Array(symbols);
    this.low = new Float64Array(symbols);
    this.high = new Float64Array(symbols);
    this.lowAt = new Float64Array(symbols);
    this.highAt = new Float64Array(symbols);
    this.pushes = new Float64Array(symbols);
    this.dirty = new Uint8Array(symbols);
    this.queue = new Int32Array(symbols);
  }

  /**
   * One update's last price, and the lowest and highest of its ticks (absent: the last),
   * `highFirst` when the high came before the low.
   */
  push(
    book: number,
    priceTicks: number,
    lowTicks = priceTicks,
    highTicks = priceTicks,
    highFirst = false,
  ): void {
    if (this.stopped || !(priceTicks > 0)) return;
    // Both are finite and around the last, whatever arrived: each turn applies prices > 0 only.
    const lo = lowTicks > 0 && lowTicks <= priceTicks ? lowTicks : priceTicks;
    const hi = Number.isFinite(highTicks) ? Math.max(highTicks, priceTicks) : priceTicks;
    if (this.dirty[book] === 0) {
      this.dirty[book] = 1;
      this.queue[this.queued++] = book;
      this.low[book] = Number.POSITIVE_INFINITY;
      this.high[book] = 0;
    }
    // Three steps per update (its two extremes, then its last) keep the turn's order.
    const at = this.pushes[book];
    this.pushes[book] = at + 3;
    if (lo < this.low[book]) {
      this.low[book] = lo;
      this.lowAt[book] = at + (highFirst ? 2 : 1);
    }
    if (hi > this.high[book]) {
      this.high[book] = hi;
      this.highAt[book] = at + (highFirst ? 1 : 2);
    }
    this.latest[book] = priceTicks;
    this.scheduled ??= setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = null;
    const n = this.queued;
    this.queued = 0;
    for (let i = 0; i < n; i++) {
      const book = this.queue[i];
      this.dirty[book] = 0;
      this.pushes[book] = 0;
      const last = this.latest[book];
      const lowFirst = this.lowAt[book] < this.highAt[book];
      const first = lowFirst ? this.low[book] : this.high[book];
      const second = lowFirst ? this.high[book] : this.low[book];
      if (first !== second) this.apply(book, first, false);
      if (second !== last) this.apply(book, second, false);
      this.apply(book, last, true);
    }
  };

  /** Applies what is pending and stops taking updates. */
  stop(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.drain();
    this.stopped = true;
  }
}
