/**
 * One generator thread's run: the executor for this thread's share, the script, a
 * RequestStats subscribed to the script's events, the per-second timeline clock and the
 * thread's health monitor. Two phases so that workers can start together: `prepareThread`
 * runs the script factory (connects, prebuilds); `start(epochMs)` runs from that instant.
 */
import { type ThreadHealth, ThreadMonitor } from '../monitor/health.ts';
import { RequestEvents } from '../stats/events.ts';
import type { SparseCounts } from '../stats/recorder.ts';
import { RequestStats } from '../stats/request-stats.ts';
import type { SliceListener } from '../stats/slice-detail.ts';
import type { RawSlice } from '../stats/timeline.ts';
import { epochMsToUs, nowUs, usToEpochMs } from '../util/clock.ts';
import { ClosedLoop, vuShare } from './closed-loop.ts';
import type { ExecutorBase, ExecutorOutcome } from './executor-base.ts';
import type { NormalizedExecutor } from './executor-options.ts';
import { OpenLoop } from './open-loop.ts';
import type { ScriptContext, ScriptFactory } from './script.ts';

export interface ThreadInit<P> {
  executor: NormalizedExecutor;
  /** This thread's index and the number of generator threads. */
  index: number;
  count: number;
  params: P;
  spinUs?: number;
  /** Record each second's detail (per-name latency buckets, the script's live counters). */
  sliceDetail?: boolean;
}

export interface ThreadHooks {
  /** Worker mode: closed seconds go out raw (sparse counts) for the parent to merge. */
  onRawSlice?: (s: RawSlice) => void;
  /** Single thread: summarised seconds, live. */
  onSlice?: SliceListener;
  /**
   * The thread's statistics as they are kept, and a reader of its script counters and
   * iterations so far (both read for a run --worker's part so far).
   */
  onStats?: (stats: RequestStats, startEpochMs: number, progress: () => ThreadProgress) => void;
}

/**
 * A thread's script metrics so far: its counters (checks, custom metrics, Gauges, vus; a
 * Trend's buckets when `trends` does not hold them apart), each Trend's counts, its
 * iterations completed and dropped.
 */
export interface ThreadProgress {
  counters: Record<string, number>;
  trends: [string, SparseCounts][];
  completed: number;
  dropped: number;
}

export interface ThreadOutcome {
  exec: ExecutorOutcome;
  counters: Record<string, number>;
  health: ThreadHealth;
  stats: RequestStats;
  startEpochMs: number;
  endEpochMs: number;
}

export interface PreparedThread {
  readonly events: RequestEvents;
  readonly executor: ExecutorBase;
  start(startEpochMs: number, hooks?: ThreadHooks): Promise<ThreadOutcome>;
  /** Stops starting iterations (in-flight ones get gracefulStop). */
  stop(): void;
  /** Ends the run now, in-flight iterations interrupted (ExecutorBase.halt). */
  halt(reason?: string): void;
}

const SLICE_CLOCK_MS = 250;

export async function prepareThread<P>(
  factory: ScriptFactory<P>,
  init: ThreadInit<P>,
): Promise<PreparedThread> {
  const ex = init.executor;
  const events = new RequestEvents();
  const executor: ExecutorBase =
    ex.model === 'open'
      ? new OpenLoop(ex, {
          index: init.index,
          count: init.count,
          preAllocatedVUs: vuShare(ex.preAllocatedVUs, init.index, init.count),
          maxVUs: vuShare(ex.maxVUs, init.index, init.count),
          spinUs: init.spinUs,
        })
      : new ClosedLoop(ex, init.index, init.count);
  const ctx: ScriptContext<P> = {
    params: init.params,
    events,
    model: ex.model,
    maxVUs: executor.maxVUs,
    preAllocatedVUs:
      ex.model === 'open' ? vuShare(ex.preAllocatedVUs, init.index, init.count) : executor.maxVUs,
    worker: { index: init.index, count: init.count },
    executor: ex,
    done: executor.done,
    error: executor.error,
    halt: (reason) => executor.halt(reason),
  };
  const script = await factory(ctx);

  return {
    events,
    executor,
    stop: () => executor.stop(),
    halt: (reason) => executor.halt(reason),
    async start(startEpochMs, hooks = {}) {
      ctx.startEpochMs = startEpochMs;
      const startUs = epochMsToUs(startEpochMs);
      const stats = new RequestStats({ startUs, startEpochMs, sliceDetail: init.sliceDetail });
      const live = script.liveCounters;
      if (init.sliceDetail === true && live !== undefined) stats.liveCounters(() => live.call(script));
      const tl = stats.timeline;
      tl.active = () => executor.gauge();
      if (hooks.onRawSlice) tl.onRaw = hooks.onRawSlice;
      if (hooks.onSlice) tl.onSlice = hooks.onSlice;
      const unsubscribe = stats.attach(events);
      hooks.onStats?.(stats, startEpochMs, () => ({
        ...(script.metricsSoFar?.() ?? { counters: script.counters?.() ?? {}, trends: [] }),
        ...executor.progress(),
      }));
      const clock = setInterval(() => tl.advance(nowUs()), SLICE_CLOCK_MS);
      const monitor = new ThreadMonitor().start();
      const wait = (startUs - nowUs()) / 1000;
      if (wait > 1) await new Promise((r) => setTimeout(r, wait - 1));
      const running = executor.run(script, startUs);
      // k6's vus / vus_max: sampled at the start, then each second, sample n as second n of
      // the run (from the start every thread and worker of the scenario shares, so their
      // samples land in the same seconds); the end in the second it came in, + 1
      const vus = script.vus?.bind(script);
      const sec0 = Math.floor(startEpochMs / 1000);
      let n = 0;
      const sampleVus = () => vus?.(executor.vus(), sec0 + n++);
      sampleVus();
      const vusClock = vus === undefined ? undefined : setInterval(sampleVus, 1000);
      const exec = await running;
      clearInterval(vusClock);
      vus?.(null, sec0 + Math.floor((Date.now() - startEpochMs) / 1000) + 1);
      clearInterval(clock);
      const health = monitor.stop();
      tl.advance(exec.endUs);
      tl.finish();
      unsubscribe();
      const counters = script.counters?.() ?? {};
      return { exec, counters, health, stats, startEpochMs, endEpochMs: usToEpochMs(exec.endUs) };
    },
  };
}
