/**
 * The lab clock: microseconds on this thread's `performance.now()` scale (monotonic, sub-µs
 * resolution). Each thread has its own time origin, so times cross threads as epoch
 * milliseconds (`epochMsToUs` / `usToEpochMs` convert at the boundary).
 */
import { performance } from 'node:perf_hooks';

/** Now, in µs on this thread's monotonic clock. */
export function nowUs(): number {
  return performance.now() * 1000;
}

/** Epoch milliseconds (fractional) now, from the monotonic clock. */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An epoch time (ms) on this thread's µs clock. */
export function epochMsToUs(epochMs: number): number {
  return (epochMs - performance.timeOrigin) * 1000;
}

/** A time on this thread's µs clock as epoch milliseconds. */
export function usToEpochMs(us: number): number {
  return performance.timeOrigin + us / 1000;
}
