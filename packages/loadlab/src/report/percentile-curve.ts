/**
 * Points of the HTML report's latency-by-percentile curve (HdrHistogram plotter / wrk2 style,
 * x = 1 / (1 - p) on a log axis), one series for all requests and one per request name when
 * there are several. A series whose entries carry their encoded HdrHistograms (every report
 * this tickstorm writes, and `tickstorm merge`'s, whose histograms are the exact merged ones)
 * is the full percentile distribution (stats/percentile-distribution.ts: 5 ticks per
 * half-distance out to the largest value, plus the summaries' named percentiles), values
 * bounded by the exact min and max, µs kept. The 100% point (the max) sits at x = the
 * request count (where the last request's percentile rank puts it), or the last tick's x if
 * further. Runs of equal values keep their two ends (the line is the same), so a series holds
 * about 5 points per doubling of the count (under 300 even for 2^53 requests). Without
 * histograms (a result built by hand, or a histogram that does not decode) a series is the
 * 12 percentiles its summary holds.
 */
import type { EncodedLatency, EntryStats, ScenarioResult } from '../model/result.ts';
import { addEncoded, createLatencyHistogram, type Histogram } from '../stats/histogram.ts';
import { percentileDistribution, percentileTickLevels } from '../stats/percentile-distribution.ts';

export interface CurvePoint {
  /** 1 / (1 - p): 10 at 90%, 100 at 99%, … */
  x: number;
  /** e.g. "99.9%", "99.990234375%", "100%" */
  percentile: string;
  ms: number;
  /** The series: "All requests" or "<type> <name>". */
  name: string;
  /** One of the summaries' percentiles (min, p50 … p99.999): drawn as a dot. */
  named: boolean;
}

/** The HdrHistogram percentiles a summary may hold, as (percentile, key). */
const NAMED: readonly [number, string][] = [
  [0, 'min'],
  [50, 'p50'],
  [66, 'p66'],
  [75, 'p75'],
  [80, 'p80'],
  [90, 'p90'],
  [95, 'p95'],
  [98, 'p98'],
  [99, 'p99'],
  [99.9, 'p99_9'],
  [99.99, 'p99_99'],
  [99.999, 'p99_999'],
];
const NAMED_LEVELS = new Set(NAMED.map(([p]) => p));

const xOf = (p: number) => 1 / (1 - p / 100);
const label = (p: number) => `${Number(p.toPrecision(12))}%`;

/** All the scenario's series, histogram-based where the entries carry histograms. */
export function percentileCurvePoints(s: ScenarioResult): CurvePoint[] {
  const total = s.entries.every((e) => e.histogram !== undefined)
    ? fromHistograms(
        'All requests',
        s.entries.map((e) => e.histogram as EncodedLatency),
      )
    : null;
  const series = [
    total ?? fromSummary('All requests', s.latency_ms, s.requests),
    ...(s.entries.length > 1 ? s.entries.map(entrySeries) : []),
  ];
  return series.flat();
}

function entrySeries(e: EntryStats): CurvePoint[] {
  const name = `${e.type} ${e.name}`.trim();
  return (
    (e.histogram === undefined ? null : fromHistograms(name, [e.histogram])) ??
    fromSummary(name, e.latency_ms, e.requests)
  );
}

/** The 12 summary percentiles (a report without histograms). */
function fromSummary(name: string, latency: object, requests: number): CurvePoint[] {
  if (requests === 0) return [];
  const lat = latency as Record<string, number | undefined>;
  return NAMED.filter(([, k]) => typeof lat[k] === 'number').map(([p, k]) => ({
    x: xOf(p),
    percentile: `${p}%`,
    ms: lat[k] as number,
    name,
    named: true,
  }));
}

/** The percentile distribution of the added histograms; null when one does not decode. */
function fromHistograms(name: string, encoded: readonly EncodedLatency[]): CurvePoint[] | null {
  const h = createLatencyHistogram();
  try {
    for (const e of encoded) addEncoded(h, e.hdr);
    return distributionPoints(name, h, encoded);
  } catch {
    return null;
  } finally {
    h.destroy();
  }
}

function distributionPoints(name: string, h: Histogram, encoded: readonly EncodedLatency[]): CurvePoint[] {
  const n = h.totalCount;
  if (n === 0) return [];
  const mins = encoded.flatMap((e) => (e.count > 0 && e.minUs !== null ? [e.minUs] : []));
  const minUs = mins.length > 0 ? Math.min(...mins) : 0;
  const maxUs = Math.max(...encoded.map((e) => e.maxUs));
  const ticks = percentileTickLevels(h);
  const lastX = xOf(ticks.filter((p) => p < 100).at(-1) ?? 0);
  const maxX = Math.max(n, lastX);
  // named percentiles finer than the count resolves would sit right of the max
  const extra = [...NAMED_LEVELS].filter((p) => xOf(p) <= maxX * (1 + 1e-9));
  const all = percentileDistribution(h, extra).map(({ percentile: p, us }) => ({
    x: p === 100 ? maxX : xOf(p),
    percentile: label(p),
    ms: Math.round(Math.min(maxUs, Math.max(minUs, p === 100 ? maxUs : us))) / 1000,
    name,
    named: NAMED_LEVELS.has(p),
  }));
  return all.filter((pt, i) => {
    const prev = all[i - 1];
    const next = all[i + 1];
    if (prev === undefined || next === undefined) return true;
    // the same point again next (the max at the last tick's x): the later one stays
    if (!pt.named && next.ms === pt.ms && Math.abs(next.x - pt.x) <= 1e-6 * pt.x) return false;
    return pt.named || prev.ms !== pt.ms || next.ms !== pt.ms;
  });
}

/** The x axis' upper end: the decade holding the last point, at least 99% (x = 100). */
export function curveXMax(points: readonly CurvePoint[]): number {
  const top = Math.max(100, ...points.map((p) => p.x));
  return 10 ** Math.ceil(Math.log10(top) - 1e-6);
}
