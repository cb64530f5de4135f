/**
 * Guarded SQL (./query-guard.ts) runs on libuv's threadpool: the DuckDB bindings execute and
 * fetch there, one pool thread per running query, at full speed. On a 2-core box two
 * endless queries take both cores from the event loop that serves orders. `lowerPoolPriority`
 * renices the pool's threads (Linux: a thread is a task, and setpriority on its id changes
 * that thread only), so the event loop, the GC helpers and every other process at the
 * default priority win a contended core; the pool still gets an idle one.
 *
 * The change is one way: without CAP_SYS_NICE a thread cannot get its priority back, so it is
 * done once, when a guard opens, not per query. The pool also completes the journal's
 * fdatasync; on a core left idle that is unchanged, on a saturated one its completion waits
 * for a time slice (docs/security.md).
 *
 * Which threads are the pool's is not exposed (libuv 1.46 does not name them), so they are
 * found by their work: `poolSize` concurrent pbkdf2 jobs run on the pool, and the threads
 * whose CPU time (schedstat) grew by most of a job are its threads. Anywhere /proc is
 * missing, nothing is changed.
 */
import { pbkdf2 } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness given to the pool's threads (0 default, 19 lowest). */
export const POOL_NICENESS = 10;

function cpuNs(tid: string): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    if (tid === String(process.pid)) continue;
    const ns = cpuNs(tid);
    if (Number.isFinite(ns)) out.set(tid, ns);
  }
  return out;
}

function job(iterations: number): Promise<void> {
  return new Promise((resolve) => pbkdf2('pool', 'probe', iterations, 32, 'sha256', () => resolve()));
}

/** The threadpool's thread ids (Linux), found by giving each pool thread a job; [] elsewhere. */
export async function findPoolThreads(
  poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4,
): Promise<number[]> {
  const found = new Set<string>();
  try {
    for (let round = 0; round < 3 && found.size < poolSize; round++) {
      // ~5-10 ms of CPU each: long enough to tell from a GC helper's slice.
      const iterations = 20_000;
      const t0 = process.cpuUsage();
      const before = threadCpu();
      await Promise.all(Array.from({ length: poolSize }, () => job(iterations)));
      const after = threadCpu();
      const spent = process.cpuUsage(t0);
      // The jobs' CPU over the pool size: what one job cost (with the main thread's share over-counted, so a bound below).
      const perJobNs = ((spent.user + spent.system) * 1000) / poolSize;
      for (const [tid, ns] of after) {
        const was = before.get(tid);
        if (was !== undefined && ns - was >= perJobNs * 0.5) found.add(tid);
      }
    }
  } catch {
    return [];
  }
  return [...found].map(Number);
}

/** Renices the pool's threads to `niceness`; returns the ids changed (empty where unsupported). */
export async function lowerPoolPriority(niceness = POOL_NICENESS): Promise<number[]> {
  const tids = await findPoolThreads();
  const done: number[] = [];
  for (const tid of tids) {
    try {
      setPriority(tid, niceness);
      done.push(tid);
    } catch {
      // not permitted or gone: leave it
    }
  }
  return done;
}
