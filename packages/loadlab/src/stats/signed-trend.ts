/**
 * Trends that hold negative values, as k6's do (a clock difference between two machines, a
 * price change). An HdrHistogram holds values >= 0 only, so a trend is kept as two: its
 * samples >= 0 under its own name, and the magnitudes of its negative samples under a
 * companion name, `name + NEG_TREND`. Both travel, merge and are stored like any trend
 * (counters between threads, encoded histograms in reports, `tickstorm merge`); only the
 * readers below put them together, so every figure (thresholds, the summaries, `--json`) is
 * that of the signed samples. A metric name cannot hold '!', and a submetric's name ends in
 * '}', so no name of a script can end in the companion's suffix.
 */
import type { LatencyRecorder } from './recorder.ts';

/** Suffix of the companion trend of a trend's negative samples. */
export const NEG_TREND = '!neg';

/** Whether a trend name is a companion (of negative samples), not a metric of its own. */
export const isNegTrend = (name: string): boolean => name.endsWith(NEG_TREND);

/** The trend a sample goes to (its magnitude, `Math.abs(ms)`, is what is recorded there). */
export function trendSlot(name: string, ms: number): string {
  return ms < 0 ? name + NEG_TREND : name;
}

/** A trend's two parts: samples >= 0 (µs), and the magnitudes of the negative ones (µs). */
export interface SignedTrend {
  pos: LatencyRecorder;
  neg: LatencyRecorder;
}

type Percentiles = { getValueAtPercentile(p: number): number; destroy?(): void };

/** A trend's k6 figures, ms: avg, min, max, count, and any percentile, over its signed samples. */
export class SignedTrendStats {
  readonly count: number;
  private readonly hPos?: Percentiles;
  private readonly hNeg?: Percentiles;

  constructor(private readonly t: SignedTrend) {
    this.count = t.pos.count + t.neg.count;
    if (t.pos.count > 0) this.hPos = t.pos.toHistogram();
    if (t.neg.count > 0) this.hNeg = t.neg.toHistogram();
  }

  get avg(): number {
    return this.count === 0 ? 0 : Math.round((this.t.pos.sumUs - this.t.neg.sumUs) / this.count) / 1000;
  }

  get min(): number {
    if (this.count === 0) return 0;
    return this.t.neg.count > 0 ? -ms(this.t.neg.maxUs) : ms(this.t.pos.minUs);
  }

  get max(): number {
    if (this.count === 0) return 0;
    return this.t.pos.count > 0 ? ms(this.t.pos.maxUs) : -ms(this.t.neg.minUs);
  }

  /**
   * Percentile `pct`: the value of rank ceil(pct% of the count) in ascending order (at least
   * the first), read from the part it falls in, never beyond that part's exact extreme. The
   * k-th smallest of all, with n negative samples, is the negative of the (n - k + 1)-th
   * smallest magnitude.
   */
  percentile(pct: number): number {
    const n = this.t.neg.count;
    if (this.count === 0) return 0;
    const k = Math.min(this.count, Math.max(1, Math.ceil((pct / 100) * this.count)));
    if (k <= n) {
      const us = this.hNeg!.getValueAtPercentile(((n - k + 1) / n) * 100);
      return -Math.round(Math.min(us, this.t.neg.maxUs)) / 1000;
    }
    const p = this.t.pos.count;
    if (n === 0) return Math.round(Math.min(this.hPos!.getValueAtPercentile(pct), this.t.pos.maxUs)) / 1000;
    const us = this.hPos!.getValueAtPercentile(((k - n) / p) * 100);
    return Math.round(Math.min(us, this.t.pos.maxUs)) / 1000;
  }

  /** Frees the histograms (WebAssembly ones hold memory until then). */
  destroy(): void {
    this.hPos?.destroy?.();
    this.hNeg?.destroy?.();
  }
}

const ms = (us: number) => Math.round(us) / 1000;
