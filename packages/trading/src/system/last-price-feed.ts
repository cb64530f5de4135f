/**
 * Conflates market data's last prices per symbol before they reach the matching engines
 * (stop triggers, through the input log) and the risk bands: however many updates a
 * symbol gets within one event-loop turn, the engine sees its latest price once.
 */
export class LastPriceFeed {
  private readonly latest: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly queue: Int32Array;
  private queued = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private stopped = false;

  constructor(
    symbols: number,
    private readonly apply: (book: number, priceTicks: number) => void,
  ) {
    this.latest = new Float64Array(symbols);
    this.dirty = new Uint8Array(symbols);
    this.queue = new Int32Array(symbols);
  }

  push(book: number, priceTicks: number): void {
    if (this.stopped || !(priceTicks > 0)) return;
    this.latest[book] = priceTicks;
    if (this.dirty[book] === 0) {
      this.dirty[book] = 1;
      this.queue[this.queued++] = book;
    }
    this.scheduled ??= setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = null;
    const n = this.queued;
    this.queued = 0;
    for (let i = 0; i < n; i++) {
      const book = this.queue[i];
      this.dirty[book] = 0;
      this.apply(book, this.latest[book]);
    }
  };

  /** Applies what is pending and stops taking updates. */
  stop(): void {
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.drain();
    this.stopped = true;
  }
}
