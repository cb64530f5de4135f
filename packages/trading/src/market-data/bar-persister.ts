/**
 * Closed 1-minute bars into the metrics store, so data collection can complete the older part
 * of a request after a restart (./bar-history.ts). One metric record per closed bar:
 *
 *   name  market_data.bar_1m    time  the bar's start    value  close
 *   labels {symbol, open, high, low, volume, ticks}     (decimals as strings)
 *
 * Why metric records and not a `market_bars` table: they go through the existing MetricsWriter
 * (a bounded ring, group-committed INSERTs on a DuckDB thread, never blocking ingest) and need
 * no second schema to create, validate and migrate; at one row per symbol per minute the JSON
 * labels cost nothing that matters, and reads are rare (see bar-history.ts: cached per symbol).
 *
 * A bar is closed once a newer bar of its symbol exists; every `intervalMs` (default 1 s) the
 * persister writes each symbol's closed bars newer than the last one it wrote. `flush(true)`
 * (at shutdown) also writes the bars in progress. A late tick that changes a bar after it was
 * written does not rewrite it (the ring, which wins over the store, has the final figures).
 * A bar counts as written only once the sink accepted it: when `recordAt` refuses (the
 * writer's ring is full) it and the symbol's newer bars are tried again on the next flush.
 * When the store fails a flush (`failures()` grows), the bars since the last point known
 * to be committed (two ticks back) are written again: a bar read back is the newest row
 * of its time (./bar-history.ts), so a bar written twice is harmless.
 */
import type { BarView } from './bar-series.ts';
import type { MarketState } from './market-state.ts';

export const BAR_METRIC_1M = 'market_data.bar_1m';

export interface BarSink {
  recordAt(timeMs: number, name: string, value: number, labels?: Readonly<Record<string, string>>): boolean;
}

export class BarPersister {
  /** Start time (epoch s) of the newest bar written, per book; -Infinity = none. */
  private readonly written: Float64Array;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Bars the sink accepted since start. */
  persisted = 0;
  /** Bars the sink refused (ring full), each retried on the next flush. */
  refused = 0;
  /** Times the bars since the last committed point were written again after a failed store flush. */
  retried = 0;
  private readonly prev: Float64Array;
  private readonly prev2: Float64Array;
  private readonly confirmed: Float64Array;
  private lastFailures = 0;

  constructor(
    private readonly state: MarketState,
    private readonly sink: BarSink,
    intervalMs = 1000,
    /** Failed store flushes so far (MetricsWriter.stats().failedFlushes); default: none. */
    private readonly failures: () => number = () => 0,
  ) {
    this.written = new Float64Array(state.size).fill(Number.NEGATIVE_INFINITY);
    this.prev = this.written.slice();
    this.prev2 = this.written.slice();
    this.confirmed = this.written.slice();
    this.lastFailures = failures();
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.tick(), intervalMs);
      this.timer.unref();
    }
  }

  /** One timer turn: rewind after a failed store flush, then write what is closed. */
  tick(): number {
    const f = this.failures();
    if (f !== this.lastFailures) {
      this.lastFailures = f;
      this.written.set(this.confirmed);
      this.prev.set(this.confirmed);
      this.prev2.set(this.confirmed);
      this.retried++;
    } else {
      this.confirmed.set(this.prev2);
      this.prev2.set(this.prev);
    }
    const n = this.flush(false);
    this.prev.set(this.written);
    return n;
  }

  /** Writes every closed bar not yet written (and, with `includeOpen`, the bars in progress). */
  flush(includeOpen: boolean): number {
    let n = 0;
    const series = this.state.bars1m;
    for (const inst of this.state.instruments.list) {
      const book = inst.index;
      const held = series.size(book);
      if (held === 0) continue;
      const last = this.written[book];
      // Read the newest bars, doubling, until the oldest read was already written (usually 2).
      let bars: BarView[] = [];
      for (let want = 2; ; want *= 2) {
        bars = this.state.bars(inst.symbol, '1m', Math.min(want, held));
        if (bars.length >= held || bars[0].time <= last) break;
      }
      const end = includeOpen ? bars.length : bars.length - 1;
      for (let i = 0; i < end; i++) {
        const b = bars[i];
        if (b.time <= last) continue;
        const accepted = this.sink.recordAt(b.time * 1000, BAR_METRIC_1M, b.close, {
          symbol: inst.symbol,
          open: String(b.open),
          high: String(b.high),
          low: String(b.low),
          volume: String(b.volume),
          ticks: String(b.ticks),
        });
        // Refused (the writer's ring is full): this bar and the newer ones wait for the next flush.
        if (!accepted) {
          this.refused++;
          break;
        }
        this.written[book] = b.time;
        n++;
      }
    }
    this.persisted += n;
    return n;
  }

  /** Stops the timer and writes what is left, bars in progress included. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.flush(true);
  }
}
