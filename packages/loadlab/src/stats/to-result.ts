/**
 * toScenarioResult: a (merged) RequestStats plus the run's facts -> the result model
 * (model/result.ts) that reports, gates and tables read. Latencies become milliseconds.
 */
import type {
  EncodedLatency,
  EntryStats,
  GeneratorHealth,
  LatencyMs,
  ResourceWatch,
  ScenarioResult,
  TargetCheck,
} from '../model/result.ts';
import { clampPercentiles, createLatencyHistogram, latencySummaryMs } from './histogram.ts';
import { encodeRecorder } from './latency-codec.ts';
import type { LatencyRecorder } from './recorder.ts';
import type { RequestStats } from './request-stats.ts';

export interface ResultInfo {
  scenario: string;
  params?: Record<string, unknown>;
  /** Run start, epoch milliseconds. */
  startedAt: number;
  /** Measured duration (seconds) the rates are computed over. */
  durationSec: number;
  generator: GeneratorHealth;
  targets?: TargetCheck[];
  extra?: Record<string, unknown>;
  resources?: ResourceWatch;
}

/**
 * Latency summary (ms) of a recorder: percentiles from the HdrHistogram, exact min/max/mean.
 * A percentile is its bucket's highest equivalent value, up to 0.1% above the largest
 * latency: it is bounded by the exact min and max, so no p99.99 reads above the max.
 */
export function recorderSummaryMs(rec: LatencyRecorder): LatencyMs {
  if (rec.count === 0) return latencySummaryMs(createLatencyHistogram());
  const s = latencySummaryMs(rec.toHistogram(), rec.maxUs);
  s.min = Math.round(rec.minUs) / 1000;
  s.max = Math.round(rec.maxUs) / 1000;
  s.mean = Math.round(rec.sumUs / rec.count) / 1000;
  return clampPercentiles(s, s.min, s.max);
}

const rate = (n: number, sec: number) => (sec > 0 ? Math.round((n / sec) * 100) / 100 : 0);

/**
 * Each (type, name) entry of `stats` as the report's rows, rates over `sec`, histograms encoded;
 * `summary` gives each row's latency figures (a part's snapshot passes a cheap one without
 * percentiles, which its reader works out from the histograms), `encode` its histogram (a
 * part's snapshot packs it: latency-codec.ts packRecorder).
 */
export function entryStats(
  stats: RequestStats,
  sec: number,
  summary: (rec: LatencyRecorder) => LatencyMs = recorderSummaryMs,
  encode: (rec: LatencyRecorder) => EncodedLatency = encodeRecorder,
): EntryStats[] {
  return stats.entries.map((e) => ({
    type: e.type,
    name: e.name,
    requests: e.requests,
    failures: e.failures,
    rps: rate(e.requests, sec),
    failuresPerSec: rate(e.failures, sec),
    latency_ms: summary(e.latency),
    avgContentLength: e.requests > 0 ? Math.round(e.bytes / e.requests) : 0,
    statusCounts: e.statusCounts(),
    bytes: e.bytes,
    histogram: encode(e.latency),
  }));
}

export function toScenarioResult(stats: RequestStats, info: ResultInfo): ScenarioResult {
  const sec = info.durationSec;
  const entries = entryStats(stats, sec);
  const requests = stats.requests;
  const result: ScenarioResult = {
    scenario: info.scenario,
    params: info.params ?? {},
    startedAt: info.startedAt,
    durationSec: sec,
    requests,
    failures: stats.failures,
    rps: rate(requests, sec),
    latency_ms: recorderSummaryMs(stats.totalLatency()),
    entries,
    timeseries: stats.timeline.slices,
    failureRows: stats.failureRowList,
    targets: info.targets ?? [],
    generator: info.generator,
    extra: info.extra ?? {},
  };
  if (info.resources !== undefined) result.resources = info.resources;
  return result;
}
