/**
 * The `/stats/requests` document the web UI polls (Locust's field names where Locust has
 * them), built from a SwarmView:
 *
 *   { state, user_count, target_user_count, spawn_rate, host, users_by_class,
 *     total_rps, total_fail_per_sec, fail_ratio,            // current: mean of the last 10 s
 *     current_rps, current_fail_per_sec,                    // the same (Locust's names for them)
 *     current_response_time_percentiles: { p50, p95,       // the last 10 closed seconds' (ms), also under
 *       'response_time_percentile_0.5', 'response_time_percentile_0.95' },  // Locust's keys
 *     stats: [StatsRow..., Aggregated StatsRow],            // Locust's table order
 *     errors: [{ method, name, error, occurrences }],
 *     history: [{ time, rps, fail_per_sec, p50, p95, user_count }],   // last HISTORY_POINTS s, each its own second's
 *     exception_count, stats_started_at, started_at, messages,
 *     // --master only (Locust's web UI shows its Workers tab then):
 *     is_distributed, worker_count, workers: [{ id, host, state, user_count, cpu_usage,
 *     memory_usage, reason? }], master_cpu_usage, master_memory_usage }
 *
 * Per-row current_rps / current_fail_per_sec: count growth over the last 10 s of polls
 * (current-rates.ts), 0 while no test runs; per-row total_rps / total_fail_per_sec: over the
 * whole statistics period (Locust's).
 */
import type { EntryStats, ScenarioResult, TimeSlice } from '../../model/result.ts';
import { aggregatedEntry, sortedEntries } from '../../report/locust-csv.ts';
import type { SwarmState, SwarmView } from '../swarm-controller.ts';
import type { WorkerStatus, WorkersReport } from '../worker-status.ts';
import { type CurrentRate, CurrentRates, currentRateKey } from './current-rates.ts';

/** Seconds of history sent for the charts. */
export const HISTORY_POINTS = 600;
/** Seconds the "current" totals average over (Locust's window). */
const CURRENT_WINDOW = 10;

export interface StatsRow {
  method: string;
  name: string;
  num_requests: number;
  num_failures: number;
  median_response_time: number;
  avg_response_time: number;
  min_response_time: number;
  max_response_time: number;
  'response_time_percentile_0.95': number;
  'response_time_percentile_0.99': number;
  avg_content_length: number;
  current_rps: number;
  current_fail_per_sec: number;
  /** Over the whole statistics period (Locust's row fields). */
  total_rps: number;
  total_fail_per_sec: number;
}

export interface HistoryPoint {
  /** Epoch seconds at the start of the second. */
  time: number;
  rps: number;
  fail_per_sec: number;
  p50: number;
  p95: number;
  user_count: number;
}

export interface StatsDocument {
  state: SwarmState;
  user_count: number;
  target_user_count: number;
  spawn_rate: number;
  host: string;
  users_by_class: Record<string, number>;
  /** The classes of the current (or next) test, every class in the file, and --class-picker. */
  user_classes: string[];
  available_classes: string[];
  class_picker: boolean;
  total_rps: number;
  total_fail_per_sec: number;
  /** Locust's names for the current rates (the same values as total_rps / total_fail_per_sec). */
  current_rps: number;
  current_fail_per_sec: number;
  fail_ratio: number;
  current_response_time_percentiles: {
    p50: number;
    p95: number;
    'response_time_percentile_0.5': number;
    'response_time_percentile_0.95': number;
  };
  stats: StatsRow[];
  errors: { method: string; name: string; error: string; occurrences: number }[];
  history: HistoryPoint[];
  exception_count: number;
  started_at: number | null;
  stats_started_at: number | null;
  messages: string[];
  /** --master: the workers (Locust's fields; missing ones stay listed), and the master's CPU. */
  is_distributed?: true;
  /** Workers connected now (Locust's: missing ones are not counted). */
  worker_count?: number;
  workers?: WorkerStatus[];
  master_cpu_usage?: number;
  master_memory_usage?: number;
}

const r2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : 0);

function statsRow(e: EntryStats, current?: CurrentRate): StatsRow {
  const lat = e.latency_ms;
  const none = e.requests === 0;
  return {
    method: e.type,
    name: e.name,
    num_requests: e.requests,
    num_failures: e.failures,
    median_response_time: none ? 0 : r2(lat.p50),
    avg_response_time: none ? 0 : r2(lat.mean),
    min_response_time: none ? 0 : r2(lat.min),
    max_response_time: none ? 0 : r2(lat.max),
    'response_time_percentile_0.95': none ? 0 : r2(lat.p95),
    'response_time_percentile_0.99': none ? 0 : r2(lat.p99),
    avg_content_length: r2(e.avgContentLength),
    current_rps: r2(current?.rps ?? e.rps),
    current_fail_per_sec: r2(current?.fps ?? e.failuresPerSec),
    total_rps: r2(e.rps),
    total_fail_per_sec: r2(e.failuresPerSec),
  };
}

/** Table rows, Aggregated last; current rates over the last polls while a test runs, else 0. */
function rows(res: ScenarioResult, live: boolean, rates: CurrentRates, nowMs: number): StatsRow[] {
  const all = res.entries.length > 0 ? [...sortedEntries(res), aggregatedEntry(res)] : [aggregatedEntry(res)];
  const current = rates.update(all, nowMs);
  const idle: CurrentRate = { rps: 0, fps: 0 };
  return all.map((e) => statsRow(e, live ? current.get(currentRateKey(e)) : idle));
}

function historyPoint(s: TimeSlice): HistoryPoint {
  return {
    time: s.t,
    rps: s.requests,
    fail_per_sec: s.failures,
    p50: r2(s.p50),
    p95: r2(s.p95),
    user_count: s.active,
  };
}

/** A running worker shows 'spawning' while the swarm ramps, as Locust's do. */
function workerRows(w: WorkersReport, state: SwarmState): WorkerStatus[] {
  return w.workers.map((x) =>
    x.state === 'running' && state === 'spawning' ? { ...x, state: 'spawning' } : x,
  );
}

export function statsDocument(
  v: SwarmView,
  rates = new CurrentRates(),
  nowMs = Date.now(),
  workers?: WorkersReport,
): StatsDocument {
  const res = v.result;
  const series = res.timeseries;
  const recent = series.slice(-CURRENT_WINDOW);
  const live = v.state === 'spawning' || v.state === 'running';
  let req = 0;
  let fail = 0;
  for (const s of recent) {
    req += s.requests;
    fail += s.failures;
  }
  const last = series.at(-1);
  const rps = live && recent.length > 0 ? r2(req / recent.length) : 0;
  const fps = live && recent.length > 0 ? r2(fail / recent.length) : 0;
  // Locust's current percentiles: the responses of the last 10 closed seconds (TimeSlice.current)
  const p50 = r2(last?.current?.p50 ?? last?.p50 ?? 0);
  const p95 = r2(last?.current?.p95 ?? last?.p95 ?? 0);
  return {
    state: v.state,
    user_count: v.users,
    target_user_count: v.targetUsers,
    spawn_rate: v.spawnRate,
    host: v.host,
    users_by_class: v.usersByClass,
    user_classes: v.classNames,
    available_classes: v.availableClasses,
    class_picker: v.classPicker,
    total_rps: rps,
    total_fail_per_sec: fps,
    current_rps: rps,
    current_fail_per_sec: fps,
    fail_ratio: res.requests > 0 ? res.failures / res.requests : 0,
    current_response_time_percentiles: {
      p50,
      p95,
      'response_time_percentile_0.5': p50,
      'response_time_percentile_0.95': p95,
    },
    stats: rows(res, live, rates, nowMs),
    errors: res.failureRows.map((f) => ({ ...f })),
    history: series.slice(-HISTORY_POINTS).map(historyPoint),
    exception_count: v.exceptions.reduce((n, e) => n + e.count, 0),
    started_at: v.startedAt,
    stats_started_at: v.statsStartedAt,
    messages: v.errors,
    ...(workers === undefined
      ? {}
      : {
          is_distributed: true,
          worker_count: workers.workers.filter((w) => w.state !== 'missing').length,
          workers: workerRows(workers, v.state),
          master_cpu_usage: workers.masterCpu,
          master_memory_usage: workers.masterMemory,
        }),
  };
}
