/**
 * The master/worker link of `tickstorm swarm --master` / `--worker`: newline-framed JSON
 * over TCP (line-channel.ts), Locust's default port, the heartbeat timings, and every
 * message. Statistics travel encoded (stats/latency-codec.ts) so the master's merge is exact.
 *
 *   worker → master: hello, heartbeat (every second: users, state, CPU %, RSS), slice (each closed second), snapshot
 *                    (cumulative, every report interval), stopped (final snapshot), notice (a user's StopUser,
 *                    StopTest or runner.quit()), error, bye;
 *                    run workers: prepared (it can run the test) or error with an exit code
 *                    (it cannot: 104, 107), then part (every 2 s: the part so far, cumulative, the
 *                    same shape as the report, its script section included, but for the per-second
 *                    series: the seconds closed since the previous part) and report (the whole run,
 *                    histograms encoded)
 *   master → worker: welcome | reject, start, ops (spawn/retire, batched), reset, stop, quit,
 *                    heartbeat (every second), dropped (it was silent too long: the test goes on without it); run workers: test (right after welcome: what
 *                    to run), go (with this worker's execution segment: part i of N)
 */
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import type { EncodedLatency, RunReport } from '../model/result.ts';
import type { ExecutionShortcuts } from '../script/execution-shortcuts.ts';
import type { EncodedStats } from '../stats/latency-codec.ts';
import type { UserNotice } from './user-control.ts';
import type { HostInit, WorkerHealth } from './user-host.ts';
import type { ExceptionRow } from './user-runner.ts';
import type { WorkerRunState } from './worker-status.ts';

/** Locust's master port. */
export const DEFAULT_MASTER_PORT = 5557;
/** Both sides send a heartbeat this often. */
export const HEARTBEAT_MS = 1000;
/** Workers send their cumulative statistics this often (and every closed second raw). */
export const REPORT_INTERVAL_MS = 1000;
/** A worker not heard from for this long is missing (reported within 3 s of its last beat). */
export const WORKER_MISSING_MS = 2500;
/** How often the master checks for missing workers. */
export const MISSING_CHECK_MS = 250;
/** A worker that has not heard from its master for this long gives up (exit 1). */
export const MASTER_GONE_MS = 10_000;
/**
 * A worker retries connecting to its master for this long before giving up (exit 1): 5 min,
 * as Locust's workers (60 tries of 5 s), so a worker may start well before its master (a
 * master pod still pulling its image).
 */
export const CONNECT_WAIT_MS = 300_000;
/** A run worker sends its part so far this often (the master keeps the latest, for a worker it loses). */
export const PART_SNAPSHOT_MS = 2000;
/** The master waits this long for a worker's final statistics after 'stop'. */
export const STOP_WAIT_MS = 30_000;

/** What a worker runs for its master: swarm users, or a `tickstorm run` (scenarios or a script). */
export type WorkerMode = 'swarm' | 'run';

export interface WireSnapshot {
  stats: EncodedStats;
  exceptions: ExceptionRow[];
  users: number;
  usersByClass: number[];
  /** In 'stopped': the worker's generator health over the test. */
  health?: WorkerHealth;
}

export interface WireSlice {
  k: number;
  requests: number;
  failures: number;
  active: number;
  latency: EncodedLatency;
  /** With --csv-full-history: each (type, name)'s figures of the second, latencies encoded. */
  names?: WireNameSlice[];
}

export interface WireNameSlice {
  type: string;
  name: string;
  requests: number;
  failures: number;
  bytes: number;
  latency: EncodedLatency;
}

/**
 * A `run --master`'s test, which every worker runs its segment of: the built-in scenarios
 * with the parameters and target the master's plan resolved, or a script (its text, so a
 * worker without the file can run it; a worker with its own copy must hold the same bytes).
 */
export type RunTest =
  | {
      kind: 'scenarios';
      /** Scenario id -> every parameter (key -> value), as the master's plan resolved them. */
      scenarios: { id: string; params: Record<string, unknown> }[];
      /** The master's target flags (no dashes) -> value. */
      targets: Record<string, string | undefined>;
      insecure: boolean;
    }
  | {
      kind: 'script';
      /** The script as the master named it, and its file name. */
      file: string;
      name: string;
      source: string;
      sha256: string;
      insecure: boolean;
      /**
       * The master ran the script's setup() (when it exports one) and runs its teardown():
       * the workers call neither, and pass this data (JSON text) to every iteration.
       */
      lifecycle?: { withSetup: boolean; dataJson?: string };
      /** The master's --vus/--duration/--iterations/--stage: every worker runs the script with them. */
      execution?: ExecutionShortcuts;
    };

/** [spawn, class, userId, host] or [retire, class]. */
export type WireOp = ['s', number, number, string] | ['r', number];

export type ToMaster =
  | { t: 'hello'; id: string; version: string; mode: WorkerMode; classes: string[] }
  | {
      t: 'heartbeat';
      users: number;
      /** Optional (older workers omit them): its state, CPU (% of one core since the last beat), RSS bytes. */
      state?: WorkerRunState;
      cpu?: number;
      rss?: number;
    }
  | { t: 'slice'; slice: WireSlice }
  | { t: 'snapshot'; snapshot: WireSnapshot }
  | { t: 'stopped'; snapshot: WireSnapshot }
  /** A user stopped itself, or asked to stop the whole test (StopTest, runner.quit()). */
  | { t: 'notice'; notice: UserNotice }
  | { t: 'error'; message: string; code?: number }
  | { t: 'bye'; reason: string }
  | { t: 'prepared' }
  | { t: 'report'; report: RunReport }
  /**
   * run workers, every PART_SNAPSHOT_MS while the part runs: the part so far (cumulative; each
   * scenario's `timeseries` only the seconds closed since the previous part), `at` epoch ms.
   */
  | { t: 'part'; report: RunReport; at: number };

export type ToWorker =
  | { t: 'welcome'; index: number }
  | { t: 'reject'; message: string }
  | { t: 'start'; init: HostInit; classNames: string[] }
  | { t: 'ops'; ops: WireOp[] }
  | { t: 'reset' }
  | { t: 'stop' }
  | { t: 'quit' }
  | { t: 'heartbeat' }
  /**
   * The master gave up on this worker (no heartbeat in time) and goes on without it; a run
   * worker's link stays open: the report it then sends counts if the master has not merged yet.
   */
  | { t: 'dropped'; reason: string }
  | { t: 'test'; test: RunTest }
  | { t: 'go'; segment: ExecutionSegment };
