/**
 * The percentiles of one second's recorder, as TimeSlice carries them (ms): p50/p95/p99 and
 * max, Locust's other columns in `more`, each bounded by the second's exact min and max.
 */
import type { ExtraPercentiles } from '../model/result.ts';
import { clampPercentiles, type Histogram } from './histogram.ts';
import type { LatencyRecorder } from './recorder.ts';

export const usToMs = (us: number): number => Math.round(us) / 1000;

export interface SecondPercentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  more?: ExtraPercentiles;
}

/** `h` is scratch (reset here). An empty recorder gives zeros and no `more`. */
export function secondPercentiles(rec: LatencyRecorder, h: Histogram): SecondPercentiles {
  const max = usToMs(rec.maxUs);
  if (rec.count === 0) return { p50: 0, p95: 0, p99: 0, max };
  h.reset();
  rec.addTo(h);
  // a bucket's highest equivalent value, then bounded by the second's exact min and max below
  const pct = (p: number) => usToMs(h.getValueAtPercentile(p));
  const s: SecondPercentiles = { p50: pct(50), p95: pct(95), p99: pct(99), max };
  const more: ExtraPercentiles = {
    p66: pct(66),
    p75: pct(75),
    p80: pct(80),
    p90: pct(90),
    p98: pct(98),
    p99_9: pct(99.9),
    p99_99: pct(99.99),
  };
  const min = usToMs(rec.minUs);
  clampPercentiles(s, min, max);
  s.more = clampPercentiles(more, min, max);
  return s;
}

/** The cumulative median (bounded by the exact min and max), mean and min of `t` (non-empty), ms. */
export function totalFigures(t: LatencyRecorder, h: Histogram): { p50: number; mean: number; min: number } {
  h.reset();
  t.addTo(h);
  return {
    p50: Math.min(usToMs(t.maxUs), Math.max(usToMs(t.minUs), usToMs(h.getValueAtPercentile(50)))),
    mean: Math.round(t.sumUs / t.count) / 1000,
    min: usToMs(t.minUs),
  };
}
