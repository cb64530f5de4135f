/**
 * The full percentile distribution of a latency histogram, as HdrHistogram's
 * `outputPercentileDistribution` reports it (the `.hgrm` rows wrk2 prints and HdrHistogram's
 * plotter draws): the library's PercentileIterator steps from 0% towards 100% in
 * `ticksPerHalfDistance` equal ticks per half of the remaining distance (0, 10, 20 … 50, 55 …
 * 75, 77.5 … with 5), until the largest recorded value is reached, then 100%. Each level's
 * value is `getValueAtPercentile` (the bucket's highest equivalent value, the same figure the
 * iterator reports and the summaries use), so extra levels (e.g. 99%, not a tick) merged in
 * keep the curve monotone. Values in µs.
 */
import { JsHistogram } from 'hdr-histogram-js';
import type { Histogram } from './histogram.ts';

export interface PercentileLevel {
  /** 0 .. 100 */
  percentile: number;
  us: number;
}

/** HdrHistogram's default and wrk2's: 5 ticks per half-distance to 100%. */
export const TICKS_PER_HALF_DISTANCE = 5;

/** The percentile levels outputPercentileDistribution reports for `h` (0 … 100; none when empty). */
export function percentileTickLevels(h: Histogram, ticksPerHalfDistance = TICKS_PER_HALF_DISTANCE): number[] {
  if (h.totalCount === 0) return [];
  if (!(h instanceof JsHistogram)) return halfDistanceLevels(h, ticksPerHalfDistance);
  const it = h.percentileIterator;
  it.reset(ticksPerHalfDistance);
  const levels: number[] = [];
  while (it.hasNext()) levels.push(it.next().percentileLevelIteratedTo);
  return levels;
}

/**
 * The same ticking rule stepped by hand (a histogram that is not the library's JS one, e.g.
 * its WebAssembly build): levels until the first one whose value is the largest bucket's, then 100%.
 */
export function halfDistanceLevels(h: Histogram, ticks: number): number[] {
  if (h.totalCount === 0) return [];
  const top = h.getValueAtPercentile(100);
  const levels: number[] = [];
  // at most ~ticks per doubling of the count: 1,000 levels is far past any real histogram
  for (let p = 0; p < 100 && levels.length < 1000; ) {
    levels.push(p);
    if (h.getValueAtPercentile(p) >= top) break;
    p += 100 / (ticks * 2 ** (Math.floor(Math.log2(100 / (100 - p))) + 1));
  }
  levels.push(100);
  return levels;
}

/**
 * The percentile distribution of `h`: the tick levels plus `extraLevels` (below 100; equal
 * levels once), ascending, each with its value in µs. Empty when `h` is.
 */
export function percentileDistribution(
  h: Histogram,
  extraLevels: readonly number[] = [],
  ticksPerHalfDistance = TICKS_PER_HALF_DISTANCE,
): PercentileLevel[] {
  const ticks = percentileTickLevels(h, ticksPerHalfDistance);
  if (ticks.length === 0) return [];
  const levels = [...new Set([...ticks, ...extraLevels.filter((p) => p >= 0 && p < 100)])].sort(
    (a, b) => a - b,
  );
  return levels.map((percentile) => ({ percentile, us: h.getValueAtPercentile(percentile) }));
}
