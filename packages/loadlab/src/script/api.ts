/**
 * `tickstorm`: k6's `k6` module for scripts.
 *
 *   import { check, sleep, group } from 'tickstorm';
 *   check(res, { 'status is 200': (r) => r.status === 200 });   // k6's `checks` rate
 *   await sleep(0.5);                                            // seconds, as k6 (await it)
 *
 * The metrics (Counter, Gauge, Rate, Trend) and `http` are re-exported for one-line imports, and
 * `textSummary(data)` (k6's jslib k6-summary) for handleSummary().
 */
import { addCounter, addRate, counterKey, current, never, runtime, tracked } from './runtime.ts';

export { default as http } from './http.ts';
export { Counter, Gauge, Rate, Trend } from './metrics.ts';
export { textSummary } from './text-summary.ts';

/** Runs each named check on `value`; records k6's `checks` rate; true when all passed. */
export function check<T>(value: T, checks: Record<string, (v: T) => unknown>): boolean {
  const s = current('check()');
  let all = true;
  for (const [name, fn] of Object.entries(checks)) {
    let pass: boolean;
    try {
      pass = Boolean(fn(value));
    } catch {
      pass = false;
    }
    addRate(s, 'checks', pass, { check: name });
    addCounter(s, pass ? counterKey.checkPass(name) : counterKey.checkFail(name), 1);
    if (!pass) all = false;
  }
  return all;
}

/** Waits `seconds` (k6's sleep; returns a promise: `await sleep(1)`); cut off at the scenario's end. */
export function sleep(seconds: number): Promise<void> {
  const s = runtime().als.getStore();
  if (s === undefined) return new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000)));
  if (s.end.stopped) return never();
  const { timers } = s.end;
  return tracked(
    s,
    new Promise((r) => {
      const t = setTimeout(
        () => {
          timers.delete(t);
          r();
        },
        Math.max(0, seconds * 1000),
      );
      timers.add(t);
    }),
  );
}

/** Runs `fn` (k6's group; the name is informational here). */
export async function group<T>(_name: string, fn: () => T | Promise<T>): Promise<T> {
  return await fn();
}

/** k6's `fail()`: throws, ending the iteration as an error. */
export function fail(message = 'fail() called'): never {
  throw new Error(message);
}

export default { check, sleep, group, fail };
