/**
 * A run's part so far, for a `run --worker` that sends it to its master every few seconds
 * (so a worker killed mid-run still leaves its requests and script metrics up to its last
 * snapshot in the merged figures). Each runScenario of the process registers a reader of its
 * cumulative statistics while it runs (every thread's RequestStats snapshot: exact counts and
 * HdrHistograms; its script counters, which hold checks, Counters, Rates, Gauges, vus and
 * the Trends' HdrHistogram buckets; its iterations completed and dropped; and the merged
 * per-second series), and its final result once it ended. `livePartResults` turns them into
 * the report's scenario results, histograms packed (stats/packed-counts.ts), with each
 * scenario's script metrics: the cost is one packing per entry and per Trend per snapshot and a
 * copy of the counters, nothing per sample.
 */
import type { LatencyMs, ScenarioResult, ScriptMetricsSection, TimeSlice } from '../model/result.ts';
import { packRecorder } from '../stats/latency-codec.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats, type StatsSnapshot } from '../stats/request-stats.ts';
import { entryStats } from '../stats/to-result.ts';
import type { ThreadProgress } from './run-thread.ts';

/** One generator thread's part so far. */
export interface LiveThread {
  stats: StatsSnapshot;
  progress: ThreadProgress;
}

/** A running scenario's part so far: every thread's, and the seconds closed so far (merged). */
export interface LiveRead {
  threads: LiveThread[];
  series: readonly TimeSlice[];
}

/**
 * A scenario's script metrics so far (as its final report's script section holds them): its
 * counters (a Trend's buckets among them when `trends` does not hold it: a final result's), each
 * Trend's recorder apart, its iterations completed and dropped.
 */
export interface LiveMetrics {
  counters: Record<string, number>;
  trends?: Map<string, LatencyRecorder>;
  iterations: number;
  dropped: number;
}

/** A scenario of the part so far: its result, and its script metrics. */
export interface LivePart extends LiveMetrics {
  result: ScenarioResult;
  /** Still running (its result is its figures so far). */
  running: boolean;
}

interface Running {
  name: string;
  startedAt: number;
  params: Record<string, unknown>;
  read: () => Promise<LiveRead>;
}

const running = new Set<Running>();
const ended: LivePart[] = [];
let collecting = false;
let section: LiveSectionBuilder | null = null;

/** Starts keeping this process's parts (a worker's go); forgets the previous run's. */
export function collectLiveParts(on: boolean): void {
  collecting = on;
  running.clear();
  ended.length = 0;
  section = null;
}

/**
 * A scenario that started (`params`: its parameters as its result shows them): `read` gives
 * every thread's statistics and script metrics so far. The returned function unregisters it.
 */
export function registerLivePart(
  name: string,
  startedAt: number,
  params: Record<string, unknown>,
  read: () => Promise<LiveRead>,
): () => void {
  if (!collecting) return () => undefined;
  const r: Running = { name, startedAt, params, read };
  running.add(r);
  return () => running.delete(r);
}

/** A scenario that ended: its final result and script metrics stand for it in later snapshots. */
export function endLivePart(result: ScenarioResult, metrics: LiveMetrics): void {
  if (collecting) ended.push({ result, ...metrics, running: false });
}

/** Whether a live part is kept (a run --worker's part is running). */
export function liveParts(): boolean {
  return collecting;
}

/**
 * A snapshot's latency summary: the exact min, mean and max only. Its percentiles are not
 * computed (0): reading them off a histogram costs tens of ms on the generator's event loop,
 * and the master computes every percentile from the merged histograms anyway.
 */
function cheapSummary(rec: Pick<LatencyRecorder, 'count' | 'sumUs' | 'minUs' | 'maxUs'>): LatencyMs {
  const n = rec.count;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    min: n > 0 ? ms(rec.minUs) : 0,
    mean: n > 0 ? ms(rec.sumUs / n) : 0,
    p50: 0,
    p90: 0,
    p95: 0,
    p99: 0,
    max: n > 0 ? ms(rec.maxUs) : 0,
  };
}

const rate = (n: number, sec: number) => (sec > 0 ? Math.round((n / sec) * 100) / 100 : 0);

/** What cheapSummary reads, over every entry: no recorder of all built (a 188 KB array each). */
function totals(stats: RequestStats): Pick<LatencyRecorder, 'count' | 'sumUs' | 'minUs' | 'maxUs'> {
  const t = { count: 0, sumUs: 0, minUs: Number.POSITIVE_INFINITY, maxUs: 0 };
  for (const { latency: l } of stats.entries) {
    if (l.count === 0) continue;
    t.count += l.count;
    t.sumUs += l.sumUs;
    t.minUs = Math.min(t.minUs, l.minUs);
    t.maxUs = Math.max(t.maxUs, l.maxUs);
  }
  return t;
}

/** Sums the threads' counters (a Gauge's keys name their thread: no two threads' meet). */
function sumCounters(threads: readonly LiveThread[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of threads)
    for (const k in t.progress.counters) out[k] = (out[k] ?? 0) + t.progress.counters[k];
  return out;
}

/** The scenarios so far: those ended as they ended, those running from their statistics now. */
export async function livePartResults(now = Date.now()): Promise<LivePart[]> {
  const out = [...ended];
  for (const r of [...running]) {
    const { threads, series } = await r.read();
    const stats = new RequestStats({ startEpochMs: r.startedAt });
    for (const t of threads) stats.merge(t.stats);
    const sec = Math.max(0.001, Math.round(now - r.startedAt) / 1000);
    const result: ScenarioResult = {
      scenario: r.name,
      params: r.params,
      startedAt: r.startedAt,
      durationSec: sec,
      requests: stats.requests,
      failures: stats.failures,
      rps: rate(stats.requests, sec),
      latency_ms: cheapSummary(totals(stats)),
      entries: entryStats(stats, sec, cheapSummary, packRecorder),
      timeseries: [...series],
      failureRows: stats.failureRowList,
      targets: [],
      generator: {
        cpuPercent: 0,
        eventLoopLagMs: { p50: 0, p99: 0, max: 0 },
        droppedIterations: threads.reduce((a, t) => a + t.progress.dropped, 0),
        workers: threads.length,
        saturated: false,
        warnings: [],
      },
      extra: { partial: true },
    };
    const trends = new Map<string, LatencyRecorder>();
    for (const t of threads)
      for (const [name, sparse] of t.progress.trends) {
        let r = trends.get(name);
        if (r === undefined) {
          r = new LatencyRecorder();
          trends.set(name, r);
        }
        r.addSparse(sparse);
      }
    out.push({
      result,
      counters: sumCounters(threads),
      trends,
      iterations: threads.reduce((a, t) => a + t.progress.completed, 0),
      dropped: threads.reduce((a, t) => a + t.progress.dropped, 0),
      running: true,
    });
  }
  return out;
}

/** Builds a script run's section (model/result.ts's ScriptMetricsSection) from the part so far. */
export type LiveSectionBuilder = (parts: readonly LivePart[], at: number) => ScriptMetricsSection;

/** A script run's builder of its section for the part so far; the returned function removes it. */
export function liveScriptSection(build: LiveSectionBuilder): () => void {
  if (!collecting) return () => undefined;
  section = build;
  return () => {
    if (section === build) section = null;
  };
}

/** The part so far's script section (undefined: no script runs). */
export function liveSection(parts: readonly LivePart[], at: number): ScriptMetricsSection | undefined {
  return section?.(parts, at);
}
