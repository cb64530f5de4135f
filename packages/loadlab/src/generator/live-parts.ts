/**
 * A run's part so far, for a `run --worker` that sends it to its master every few seconds
 * (so a worker killed mid-run still leaves its requests up to its last snapshot in the
 * merged figures). Each runScenario of the process registers a reader of its cumulative
 * statistics while it runs (every thread's RequestStats snapshot: exact counts and
 * HdrHistograms), and its final result once it ended. `livePartResults` turns them into
 * the report's scenario results, histograms encoded: the cost is one encoding per entry per
 * snapshot (well under a millisecond for a few names), nothing per sample.
 */
import type { LatencyMs, ScenarioResult } from '../model/result.ts';
import type { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats, type StatsSnapshot } from '../stats/request-stats.ts';
import { entryStats } from '../stats/to-result.ts';

interface Running {
  name: string;
  startedAt: number;
  read: () => Promise<StatsSnapshot[]>;
}

const running = new Set<Running>();
const ended: ScenarioResult[] = [];
let collecting = false;

/** Starts keeping this process's parts (a worker's go); forgets the previous run's. */
export function collectLiveParts(on: boolean): void {
  collecting = on;
  running.clear();
  ended.length = 0;
}

/** A scenario that started: `read` gives every thread's statistics so far. The returned function unregisters it. */
export function registerLivePart(
  name: string,
  startedAt: number,
  read: () => Promise<StatsSnapshot[]>,
): () => void {
  if (!collecting) return () => undefined;
  const r: Running = { name, startedAt, read };
  running.add(r);
  return () => running.delete(r);
}

/** A scenario that ended: its final result stands for it in later snapshots. */
export function endLivePart(result: ScenarioResult): void {
  if (collecting) ended.push(result);
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
function cheapSummary(rec: LatencyRecorder): LatencyMs {
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

/** The scenarios so far: those ended as they ended, those running from their statistics now. */
export async function livePartResults(now = Date.now()): Promise<ScenarioResult[]> {
  const out = [...ended];
  for (const r of [...running]) {
    const snaps = await r.read();
    const stats = new RequestStats({ startEpochMs: r.startedAt });
    for (const s of snaps) stats.merge(s);
    const sec = Math.max(0.001, Math.round(now - r.startedAt) / 1000);
    out.push({
      scenario: r.name,
      params: {},
      startedAt: r.startedAt,
      durationSec: sec,
      requests: stats.requests,
      failures: stats.failures,
      rps: rate(stats.requests, sec),
      latency_ms: cheapSummary(stats.totalLatency()),
      entries: entryStats(stats, sec, cheapSummary),
      timeseries: [],
      failureRows: stats.failureRowList,
      targets: [],
      generator: {
        cpuPercent: 0,
        eventLoopLagMs: { p50: 0, p99: 0, max: 0 },
        droppedIterations: 0,
        workers: snaps.length,
        saturated: false,
        warnings: [],
      },
      extra: { partial: true },
    });
  }
  return out;
}
