/**
 * Self-monitoring: is the GENERATOR the bottleneck? Each generator thread watches its own
 * event-loop delay (perf_hooks.monitorEventLoopDelay) and utilisation (ELU); the process's
 * CPU (process.cpuUsage: every thread of the process) is measured by the thread that owns
 * the run. `assessHealth` turns them, plus the executor's facts, into GeneratorHealth with
 * a warning per problem:
 *
 * - event-loop delay p99 > 10 ms (timers and I/O callbacks ran late);
 * - open model: iterations started late (start lag p99 > 10 ms), dropped iterations, or an
 *   achieved rate below 99% of the schedule;
 * - closed model: CPU above 90% of the cores the generator used, or a thread busy > 90% of
 *   the time (the target may have been faster than the generator could drive it).
 *
 * In the open model CPU alone is not saturation (spinning for timing precision is CPU by
 * design); it is reported, and named in the warning when the schedule slipped.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { GeneratorHealth } from '../model/result.ts';

export interface ThreadHealth {
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Event-loop utilisation 0..1 over the run. */
  elu: number;
}

/** Time this thread slept on purpose inside loop turns (ms): read coalescing's naps. */
let sleptMs = 0;

/**
 * A timed sleep of the thread inside a loop turn (`Atomics.wait`). ELU counts it as busy (only
 * the wait in epoll is idle); ThreadMonitor takes it out again, so a napping generator is not
 * reported as saturated.
 */
export function noteSleepMs(ms: number): void {
  sleptMs += ms;
}

/** Sampling interval of the delay monitor; Node 20 reports whole intervals, so it is subtracted. */
const RESOLUTION_MS = 10;

export class ThreadMonitor {
  private readonly h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private elu0 = performance.eventLoopUtilization();
  private slept0 = sleptMs;

  start(): this {
    this.h.reset();
    this.h.enable();
    this.elu0 = performance.eventLoopUtilization();
    this.slept0 = sleptMs;
    return this;
  }

  stop(): ThreadHealth {
    this.h.disable();
    const u = performance.eventLoopUtilization(this.elu0);
    const total = u.idle + u.active;
    // naps (noteSleepMs) are not work
    const elu = total > 0 ? Math.max(0, u.active - (sleptMs - this.slept0)) / total : 0;
    const ms = (ns: number) => Math.max(0, Math.round(ns / 1e3 - RESOLUTION_MS * 1e3) / 1e3);
    const n = this.h.count > 0;
    return {
      lagP50Ms: n ? ms(this.h.percentile(50)) : 0,
      lagP99Ms: n ? ms(this.h.percentile(99)) : 0,
      lagMaxMs: n ? ms(this.h.max) : 0,
      elu: Math.round(elu * 1000) / 1000,
    };
  }
}

/** CPU of this process (all threads) over an interval. */
export class ProcessCpu {
  private c0 = process.cpuUsage();
  private t0 = performance.now();

  start(): this {
    this.c0 = process.cpuUsage();
    this.t0 = performance.now();
    return this;
  }

  /** CPU seconds (and their user/kernel split), wall seconds, and CPU as % of one core. */
  stop(): { cpuSec: number; userSec: number; systemSec: number; wallSec: number; percent: number } {
    const c = process.cpuUsage(this.c0);
    const cpuSec = (c.user + c.system) / 1e6;
    const wallSec = (performance.now() - this.t0) / 1000;
    return {
      cpuSec,
      userSec: c.user / 1e6,
      systemSec: c.system / 1e6,
      wallSec,
      percent: wallSec > 0 ? Math.round((cpuSec / wallSec) * 1000) / 10 : 0,
    };
  }
}

export interface HealthInput {
  model: 'open' | 'closed';
  cpuPercent: number;
  threads: ThreadHealth[];
  workers: number;
  dropped: number;
  maxVUs: number;
  /** Open model: iterations the schedule held and iterations started. */
  planned: number;
  started: number;
  startLagP99Ms: number;
  cores?: number;
  /**
   * Seconds the CPU figure covers. Under MIN_CPU_WALL_S it is mostly the one-time work of the
   * first requests (seen: 115% of "one core" over a 16 ms script run of two requests), so it
   * is not judged.
   */
  wallSec?: number;
}

const MIN_CPU_WALL_S = 2;

const LAG_MS = 10;
const START_LAG_MS = 10;

export function assessHealth(i: HealthInput): GeneratorHealth {
  const w: string[] = [];
  const cores = Math.min(i.cores ?? availableParallelism(), Math.max(1, i.workers));
  const cpuHigh = i.cpuPercent > 90 * cores && (i.wallSec ?? MIN_CPU_WALL_S) >= MIN_CPU_WALL_S;
  const cpu = `generator CPU ${i.cpuPercent}% of one core (${cores} core${cores > 1 ? 's' : ''} used)`;
  const lag = Math.max(0, ...i.threads.map((t) => t.lagP99Ms));
  const elu = Math.max(0, ...i.threads.map((t) => t.elu));
  if (lag > LAG_MS)
    w.push(`event-loop delay p99 ${lag} ms (> ${LAG_MS} ms): the generator's timers and I/O ran late`);
  if (i.model === 'open') {
    if (i.startLagP99Ms > START_LAG_MS) {
      w.push(
        `iterations started late: p99 ${i.startLagP99Ms} ms after their intended time${cpuHigh ? ` (${cpu})` : ''}`,
      );
    }
    if (i.dropped > 0) {
      w.push(
        `${i.dropped} iterations dropped: no free VU with maxVUs=${i.maxVUs} in use (the target answered slower than rate x maxVUs allows, or the generator fell behind); raise maxVUs`,
      );
    }
    const achieved = i.planned > 0 ? i.started / i.planned : 1;
    if (achieved < 0.99) {
      w.push(
        `achieved ${(achieved * 100).toFixed(1)}% of the scheduled iterations (${i.started} of ${i.planned})`,
      );
    }
  } else {
    if (cpuHigh) w.push(`${cpu}: the generator may have limited the request rate; add --workers or cores`);
    else if (elu > 0.9)
      w.push(
        `a generator thread was busy ${(elu * 100).toFixed(0)}% of the time: it may have limited the request rate`,
      );
  }
  return {
    cpuPercent: i.cpuPercent,
    eventLoopLagMs: {
      p50: Math.max(0, ...i.threads.map((t) => t.lagP50Ms)),
      p99: lag,
      max: Math.max(0, ...i.threads.map((t) => t.lagMaxMs)),
    },
    droppedIterations: i.dropped,
    workers: i.workers,
    saturated: w.length > 0,
    warnings: w,
  };
}
