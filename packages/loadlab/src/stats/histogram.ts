/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) in microseconds, 1 µs .. 1 h, 3
 * significant digits, fixed size (no auto-resize: values outside are clamped, so every
 * histogram shares one layout and merges are exact). Encoded across threads with the
 * library's compressed base64 form, which round-trips counts exactly.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencyMsFull } from '../model/result.ts';

export type Histogram = hdr.Histogram;

export const HIST_LOWEST_US = 1;
export const HIST_HIGHEST_US = 3_600_000_000;
export const HIST_DIGITS = 3;

export function createLatencyHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: HIST_LOWEST_US,
    highestTrackableValue: HIST_HIGHEST_US,
    numberOfSignificantValueDigits: HIST_DIGITS,
    bitBucketSize: 64,
    autoResize: false,
  });
}

/** Records a latency in µs (rounded, clamped to the histogram's range). */
export function recordUs(h: Histogram, us: number): void {
  let v = Math.round(us);
  if (!(v >= 0)) v = 0;
  else if (v > HIST_HIGHEST_US) v = HIST_HIGHEST_US;
  h.recordValue(v);
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes into a histogram with the lab's layout (so it can be added to any other). */
export function decodeHistogram(encoded: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  const h = createLatencyHistogram();
  h.add(decoded);
  decoded.destroy();
  return h;
}

/** Adds an encoded histogram into `into`. */
export function addEncoded(into: Histogram, encoded: string): void {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 64, false);
  into.add(decoded);
  decoded.destroy();
}

const ms = (us: number) => Math.round(us) / 1000;

/**
 * The result model's latency summary (ms) from a µs histogram; zeros when empty. A percentile
 * is its bucket's highest equivalent value, capped at `maxUs`, the largest value recorded (so
 * p99 never reads above max, as k6's and wrk's never do): the exact one when the caller kept it,
 * else the histogram's.
 */
export function latencySummaryMs(h: Histogram, maxUs: number = h.maxValue): LatencyMsFull {
  if (h.totalCount === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const pct = (p: number) => ms(Math.min(h.getValueAtPercentile(p), maxUs));
  return {
    min: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    mean: Math.round(h.mean) / 1000,
    p50: pct(50),
    p90: pct(90),
    p95: pct(95),
    p99: pct(99),
    max: ms(h.maxValue),
    p66: pct(66),
    p75: pct(75),
    p80: pct(80),
    p98: pct(98),
    p99_9: pct(99.9),
    p99_99: pct(99.99),
    p99_999: pct(99.999),
  };
}

const PERCENTILE_KEYS = [
  'p50',
  'p66',
  'p75',
  'p80',
  'p90',
  'p95',
  'p98',
  'p99',
  'p99_9',
  'p99_99',
  'p99_999',
];

/** Bounds every percentile key present in `s` by the exact min and max (ms); returns `s`. */
export function clampPercentiles<T extends object>(s: T, minMs: number, maxMs: number): T {
  const r = s as Record<string, unknown>;
  for (const k of PERCENTILE_KEYS) {
    const v = r[k];
    if (typeof v === 'number') r[k] = Math.min(maxMs, Math.max(minMs, v));
  }
  return s;
}
