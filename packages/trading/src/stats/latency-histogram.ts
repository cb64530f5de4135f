/**
 * Microsecond latency histogram (HdrHistogram, 3 significant digits, 1 us .. 1 h) with a
 * JSON summary in milliseconds. Recording allocates nothing. Server-side latencies; the load
 * lab's client-side LatencyRecorder (packages/loadlab/src/stats/recorder.ts) is another thing.
 */
import type { LatencySummary } from '@tickstorm/protocol';
import * as hdr from 'hdr-histogram-js';

export type { LatencySummary };

/**
 * Prometheus bucket bounds in seconds, 1 us .. 10 s (1-2.5-5 per decade): upper bounds of
 * the `_bucket{le}` series of every latency histogram (`+Inf` is the count).
 */
export const PROM_BUCKETS_SECONDS: readonly number[] = [
  1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1, 2.5, 5, 10,
];
const PROM_BOUNDS_US = PROM_BUCKETS_SECONDS.map((s) => Math.round(s * 1e6));

export class LatencyHistogram {
  readonly histogram: hdr.Histogram;
  /**
   * Prometheus view: per-bucket counts (not cumulative; the last slot is above 10 s), the
   * count and the sum in seconds. Monotonic: reset() does not clear them.
   */
  readonly promBuckets = new Float64Array(PROM_BOUNDS_US.length + 1);
  promCount = 0;
  promSumSeconds = 0;

  constructor() {
    this.histogram = hdr.build({
      bitBucketSize: 64,
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
      autoResize: false,
    });
  }

  /** Records one latency in microseconds (values < 1 count as 1). */
  recordUs(us: number): void {
    let i = 0;
    while (i < PROM_BOUNDS_US.length && us > PROM_BOUNDS_US[i]) i++;
    this.promBuckets[i]++;
    this.promCount++;
    this.promSumSeconds += us > 0 ? us / 1e6 : 0;
    this.histogram.recordValue(us < 1 ? 1 : us > 3_600_000_000 ? 3_600_000_000 : Math.round(us));
  }

  recordMs(ms: number): void {
    this.recordUs(ms * 1000);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Percentile in milliseconds (p in 0..100). */
  percentileMs(p: number): number {
    return this.histogram.totalCount === 0 ? 0 : this.histogram.getValueAtPercentile(p) / 1000;
  }

  summaryMs(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
    const r = (v: number) => Math.round(v) / 1000;
    return {
      count: h.totalCount,
      mean: r(h.mean),
      p50: r(h.getValueAtPercentile(50)),
      p95: r(h.getValueAtPercentile(95)),
      p99: r(h.getValueAtPercentile(99)),
      max: r(h.maxValue),
    };
  }

  reset(): void {
    this.histogram.reset();
  }
}
