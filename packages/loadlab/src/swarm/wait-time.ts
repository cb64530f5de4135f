/**
 * Locust's wait_time helpers. A WaitTime is called after each task with the user and answers
 * the seconds to wait before the next task:
 *
 *   between(1, 3)            uniform in [1, 3] (the user's seeded random stream)
 *   constant(2)              always 2
 *   constantPacing(1)        each task STARTS 1 s after the previous one started (wait = 1 - task time,
 *                            never below 0; a late wake-up is made up next time): one task per
 *                            second whatever the task takes
 *   constantThroughput(10)   constantPacing(1 / 10): at most 10 tasks per second per user
 *
 * The snake_case names (`constant_pacing`, `constant_throughput`) are exported too, so a
 * Locust user's habits carry over.
 */

/** What a wait-time function may read of its user. */
export interface Pacing {
  /** The user's seeded uniform [0, 1) stream. */
  readonly random: () => number;
  /** When the task that just ended started (seconds, monotonic clock). */
  readonly taskStartedSec: number;
}

export type WaitTime = (user: Pacing) => number;

export function nowSec(): number {
  return performance.now() / 1000;
}

function seconds(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} needs a finite number of seconds >= 0, got ${String(v)}`);
  }
  return v;
}

export function between(minSec: number, maxSec: number): WaitTime {
  const lo = seconds('between', minSec);
  const hi = seconds('between', maxSec);
  if (hi < lo) throw new RangeError(`between(${lo}, ${hi}): the maximum is below the minimum`);
  const span = hi - lo;
  return (u) => lo + span * u.random();
}

export function constant(sec: number): WaitTime {
  const s = seconds('constant', sec);
  return () => s;
}

/**
 * Locust's formula: the time since the previous call, minus the wait that call asked for, is
 * what the task (and a late wake-up) took; the next wait is the rest of the period. A timer
 * that fires late is made up for at the next wait, so the average rate is exact.
 */
export function constantPacing(sec: number): WaitTime {
  const s = seconds('constant_pacing', sec);
  const last = new WeakMap<Pacing, { at: number; wait: number }>();
  return (u) => {
    const now = nowSec();
    const prev = last.get(u);
    const ran = prev === undefined ? now - u.taskStartedSec : now - prev.at - prev.wait;
    const wait = Math.max(0, s - ran);
    if (prev === undefined) last.set(u, { at: now, wait });
    else {
      prev.at = now;
      prev.wait = wait;
    }
    return wait;
  };
}

export function constantThroughput(tasksPerSec: number): WaitTime {
  if (typeof tasksPerSec !== 'number' || !Number.isFinite(tasksPerSec) || tasksPerSec <= 0) {
    throw new RangeError(`constant_throughput needs a finite rate > 0 tasks/s, got ${String(tasksPerSec)}`);
  }
  return constantPacing(1 / tasksPerSec);
}

export { constantPacing as constant_pacing, constantThroughput as constant_throughput };
