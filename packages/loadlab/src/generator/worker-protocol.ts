/** Messages between runScenario and its generator workers (structured clone). */
import type { ThreadHealth } from '../monitor/health.ts';
import type { SparseCounts } from '../stats/recorder.ts';
import type { StatsSnapshot } from '../stats/request-stats.ts';
import type { RawSlice } from '../stats/timeline.ts';
import type { ExecutorOutcome } from './executor-base.ts';
import type { ThreadProgress } from './run-thread.ts';

/**
 * 'snapshot': the thread's statistics and script metrics so far (a run --worker's periodic
 * part), answered with 'snapshot'. 'halt': the run ends now, its iterations in flight
 * interrupted (ExecutorBase.halt).
 */
export type ToWorker =
  | { type: 'start'; startEpochMs: number }
  | { type: 'stop' }
  | { type: 'halt' }
  | { type: 'snapshot' };

export type WorkerExec = Omit<ExecutorOutcome, 'startLag'> & { startLag: SparseCounts };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'slice'; slice: RawSlice }
  | { type: 'snapshot'; snapshot: StatsSnapshot; progress: ThreadProgress }
  | {
      type: 'done';
      exec: WorkerExec;
      counters: Record<string, number>;
      health: ThreadHealth;
      snapshot: StatsSnapshot;
      startEpochMs: number;
      endEpochMs: number;
    }
  | { type: 'error'; message: string };
