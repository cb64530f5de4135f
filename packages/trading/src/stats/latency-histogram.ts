/**
 * Microsecond latency histogram (HdrHistogram, 3 significant digits, 1 us .. 1 h) with a
 * JSON summary in milliseconds. Recording allocates nothing. Server-side latencies; the load
 * lab's client-side LatencyRecorder (packages/loadlab/src/stats/recorder.ts) is another thing.
 */
import type { LatencySummary } from '@tickstorm/protocol';
import * as hdr from 'hdr-histogram-js';

export type { LatencySummary };

export class LatencyHistogram {
  readonly histogram: hdr.Histogram;

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
