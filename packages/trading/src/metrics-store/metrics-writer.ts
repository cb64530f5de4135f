/**
 * How the system writes its own metrics into the store continuously, off the hot path.
 *
 * `record(name, value, labels?)` is O(1) and allocates nothing: it stores into a preallocated
 * struct-of-arrays ring (Float64Array time/value, string and labels reference slots) and
 * never awaits or blocks. A flush starts every `flushIntervalMs`, or as soon as `flushRows`
 * records are pending (scheduled with setImmediate, not run inside the caller). One flush is
 * in flight at a time; it encodes the pending rows synchronously (the ring slots are free
 * again at once; at most `maxBatchRows` per flush) and awaits the INSERT, which runs on a
 * DuckDB thread. The ring is the
 * bound: when it is full, `record` returns false and counts the record as dropped.
 *
 * Statistics (`stats()`, JSON-friendly): rows written, dropped, failed; rows/s and flushes/s
 * over the last `rateWindowSec` seconds; flush (batch insert) latency in microseconds as an
 * HdrHistogram (p50/p95/p99/max). A failed flush loses its rows (counted in `failedRows`,
 * message in `lastError`): the writer never retries into an unbounded backlog.
 *
 * On PostgreSQL (pg-store.ts) a flush whose server is unreachable does not fail: the store
 * keeps the rows and retries with backoff, the flush stays in flight, and meanwhile the ring
 * fills and then drops (counted). `close()` waits at most `closeTimeoutMs` for the flushes,
 * then closes the store, which drops and counts what it could not write.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { LatencyHistogram } from '../stats/latency-histogram.ts';
import { DEFAULT_METRICS_PATH } from './duckdb-store.ts';
import { isStorableName, MAX_ABS_MS, type MetricColumns } from './metric-encoder.ts';
import type { MetricLabels } from './metric-record.ts';
import type { MetricsStore } from './metrics-store.ts';
import { type MetricsStoreOptions, openMetricsStore } from './open-store.ts';
import { RateWindow } from './rate-window.ts';

export interface MetricsWriterOptions {
  /** Ring capacity: the most records pending (default 65,536). */
  capacity?: number;
  /** Flush at least this often (default 1,000 ms). */
  flushIntervalMs?: number;
  /** Flush as soon as this many records are pending (default 8,192). */
  flushRows?: number;
  /** Most records one flush takes (default 16,384): bounds the event-loop time spent encoding (~0.2 us a row). */
  maxBatchRows?: number;
  /** Window of the rates in `stats()` (default 10 s). */
  rateWindowSec?: number;
  /** Epoch-ms clock (default Date.now). */
  clock?: () => number;
  /** How long `close()` waits for pending flushes before closing the store anyway (default 10,000 ms). */
  closeTimeoutMs?: number;
}

export interface LatencySummaryUs {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface MetricsWriterStats {
  pending: number;
  capacity: number;
  recorded: number;
  dropped: number;
  /** Records refused by `record` (name with NUL/0x1f, time not epoch ms, value not a number). */
  invalid: number;
  rowsWritten: number;
  failedRows: number;
  flushes: number;
  failedFlushes: number;
  rowsPerSec: number;
  flushesPerSec: number;
  rateWindowSec: number;
  batchLatencyUs: LatencySummaryUs;
  lastError: string | null;
  closed: boolean;
}

export class MetricsWriter {
  private readonly cap: number;
  private readonly time: Float64Array;
  private readonly value: Float64Array;
  private readonly name: string[];
  private readonly labels: (MetricLabels | undefined)[];
  private readonly cols: MetricColumns;
  private head = 0; // next row to flush
  private size = 0;
  private readonly flushRows: number;
  private readonly maxBatchRows: number;
  private readonly clock: () => number;
  private readonly closeTimeoutMs: number;
  private readonly timer: NodeJS.Timeout;
  private immediate: NodeJS.Immediate | null = null;
  private inFlight: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly histogram: Histogram;
  /** Flush latency for Prometheus (seconds buckets); the HdrHistogram above feeds stats(). */
  readonly flushLatency = new LatencyHistogram();
  private readonly rate: RateWindow;
  private readonly counts = {
    recorded: 0,
    dropped: 0,
    invalid: 0,
    written: 0,
    failed: 0,
    flushes: 0,
    failedFlushes: 0,
  };
  private lastName = '';
  private lastError: string | null = null;
  private readonly kick = (): void => {
    this.immediate = null;
    this.flushSoon();
  };

  constructor(
    private readonly store: MetricsStore,
    opts: MetricsWriterOptions = {},
  ) {
    this.closeTimeoutMs = Math.max(0, opts.closeTimeoutMs ?? 10_000);
    this.cap = Math.max(1, Math.floor(opts.capacity ?? 65_536));
    this.flushRows = Math.max(1, Math.min(this.cap, Math.floor(opts.flushRows ?? 8_192)));
    this.maxBatchRows = Math.max(this.flushRows, Math.floor(opts.maxBatchRows ?? 16_384));
    this.clock = opts.clock ?? Date.now;
    this.time = new Float64Array(this.cap);
    this.value = new Float64Array(this.cap);
    this.name = new Array<string>(this.cap).fill('');
    this.labels = new Array<MetricLabels | undefined>(this.cap).fill(undefined);
    this.cols = { time: this.time, value: this.value, name: this.name, labels: this.labels };
    this.histogram = build({
      numberOfSignificantValueDigits: 3,
      highestTrackableValue: 60_000_000,
      autoResize: true,
    });
    this.rate = new RateWindow(opts.rateWindowSec ?? 10);
    this.timer = setInterval(this.kick, Math.max(1, opts.flushIntervalMs ?? 1_000));
    this.timer.unref();
  }

  /** Opens the store at `target` (a DuckDB path, default `data/metrics.duckdb`, or a postgres:// URL) and a writer on it; `close()` closes both. */
  static async open(
    target: string = DEFAULT_METRICS_PATH,
    opts: MetricsWriterOptions & { store?: MetricsStoreOptions } = {},
  ): Promise<MetricsWriter> {
    return new MetricsWriter(await openMetricsStore(target, opts.store), opts);
  }

  /** Records one metric now. O(1), never blocks; false (and counted) when the ring is full, closed, or the record invalid. */
  record(name: string, value: number, labels?: MetricLabels): boolean {
    return this.recordAt(this.clock(), name, value, labels);
  }

  /** Records one metric at `timeMs` (epoch ms). */
  recordAt(timeMs: number, name: string, value: number, labels?: MetricLabels): boolean {
    if (this.size === this.cap || this.closing !== null) {
      this.counts.dropped++;
      return false;
    }
    if (name !== this.lastName) {
      if (!isStorableName(name)) return this.invalid(`invalid metric name ${JSON.stringify(name)}`);
      this.lastName = name;
    }
    if (!(timeMs > -MAX_ABS_MS && timeMs < MAX_ABS_MS) || typeof value !== 'number') {
      return this.invalid(`invalid metric ${name}: time ${timeMs}, value ${value}`);
    }
    let i = this.head + this.size;
    if (i >= this.cap) i -= this.cap;
    this.time[i] = timeMs;
    this.value[i] = value;
    this.name[i] = name;
    this.labels[i] = labels;
    this.size++;
    this.counts.recorded++;
    if (this.size >= this.flushRows && this.immediate === null && this.inFlight === null) {
      this.immediate = setImmediate(this.kick);
    }
    return true;
  }

  private invalid(message: string): false {
    this.counts.invalid++;
    this.lastError = message;
    return false;
  }

  /** Starts a flush if none is in flight and rows are pending. */
  private flushSoon(): void {
    if (this.inFlight === null && this.size > 0) this.inFlight = this.flushOnce();
  }

  private async flushOnce(): Promise<void> {
    const rows = Math.min(this.size, this.maxBatchRows);
    const start = this.head;
    const first = Math.min(rows, this.cap - start);
    const t0 = performance.now();
    // Both parts are encoded synchronously by the store (so the slots are free at once) and
    // merged into one INSERT.
    const parts = [this.store.insertColumns(this.cols, start, first)];
    if (first < rows) parts.push(this.store.insertColumns(this.cols, 0, rows - first));
    this.release(start, rows);
    const settled = await Promise.allSettled(parts);
    let ok = 0;
    for (const r of settled) {
      if (r.status === 'fulfilled') ok += r.value;
      else this.lastError = r.reason instanceof Error ? r.reason.message : String(r.reason);
    }
    if (ok > 0) {
      this.histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      this.flushLatency.recordMs(performance.now() - t0);
      this.counts.written += ok;
      this.counts.flushes++;
      this.rate.add(this.clock(), ok);
    }
    if (ok < rows) {
      this.counts.failed += rows - ok;
      this.counts.failedFlushes++;
    }
    this.inFlight = null;
    if (this.size >= this.flushRows && this.closing === null) this.flushSoon();
  }

  /** Frees `rows` slots from `start` (dropping references so labels can be collected). */
  private release(start: number, rows: number): void {
    for (let k = 0, i = start; k < rows; k++, i = i + 1 === this.cap ? 0 : i + 1) this.labels[i] = undefined;
    this.head = (start + rows) % this.cap;
    this.size -= rows;
  }

  /** Writes everything recorded so far; resolves when it is committed. */
  async flush(): Promise<void> {
    while (this.inFlight !== null || this.size > 0) {
      this.flushSoon();
      if (this.inFlight !== null) await this.inFlight;
    }
  }

  stats(): MetricsWriterStats {
    const rate = this.rate.rates(this.clock());
    const h = this.histogram;
    const c = this.counts;
    return {
      pending: this.size,
      capacity: this.cap,
      recorded: c.recorded,
      dropped: c.dropped,
      invalid: c.invalid,
      rowsWritten: c.written,
      failedRows: c.failed,
      flushes: c.flushes,
      failedFlushes: c.failedFlushes,
      rowsPerSec: rate.rowsPerSec,
      flushesPerSec: rate.eventsPerSec,
      rateWindowSec: this.rate.windowSec,
      batchLatencyUs: {
        count: h.totalCount,
        // A percentile is its bucket's highest equivalent value: clamp so p99 <= max.
        p50: Math.min(h.getValueAtPercentile(50), h.maxValue),
        p95: Math.min(h.getValueAtPercentile(95), h.maxValue),
        p99: Math.min(h.getValueAtPercentile(99), h.maxValue),
        max: h.maxValue,
        mean: h.totalCount === 0 ? 0 : h.mean,
      },
      lastError: this.lastError,
      closed: this.closing !== null,
    };
  }

  /** Stops the timer, flushes everything pending and closes the store. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      if (this.immediate !== null) clearImmediate(this.immediate);
      this.immediate = null;
      const flushed = this.flush();
      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      try {
        await Promise.race([
          flushed,
          new Promise((r) => {
            timer = setTimeout(() => r((timedOut = true)), this.closeTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        // The store refuses new rows from here; flushes still waiting settle (written, or failed and
        // counted). Past the writer's own wait the store waits no more (it waited 10 s again, so a
        // stop with PostgreSQL down took 20 s, not the 10 s said).
        await this.store.close(timedOut ? 0 : undefined);
        await flushed;
      }
    })();
    return this.closing;
  }
}
