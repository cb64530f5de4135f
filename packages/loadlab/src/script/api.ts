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
import { nowUs } from '../util/clock.ts';
import { notAwaitedMessage, responsePromiseCall } from './response-promise.ts';
import {
  addCounter,
  addRate,
  addTrend,
  counterKey,
  current,
  type IterationStore,
  never,
  runtime,
  tracked,
} from './runtime.ts';
import { recordTagged, submetricsOf } from './submetrics.ts';

export { default as http } from './http.ts';
export { Counter, Gauge, Rate, Trend } from './metrics.ts';
export { textSummary } from './text-summary.ts';

/**
 * Runs each named check on `value`; records k6's `checks` rate; true when all passed. A check
 * is a function of `value` (a throw fails it) or, as k6 takes it too, a value read as a boolean.
 * `tags` (k6's third argument) go on each sample, for --out and for thresholds
 * (`checks{kind:auth}`).
 */
export function check<T>(
  value: T,
  checks: Record<string, ((v: T) => unknown) | boolean>,
  tags?: Readonly<Record<string, string>>,
): boolean {
  const s = current('check()');
  if (typeof checks !== 'object' || checks === null)
    throw new TypeError('check(value, { name: fn }): the second argument must be an object of named checks');
  const call = responsePromiseCall(value);
  if (call !== undefined) throw new TypeError(notAwaitedMessage(call, 'checking it'));
  let all = true;
  for (const [name, fn] of Object.entries(checks)) {
    let pass: boolean;
    try {
      pass = Boolean(typeof fn === 'function' ? fn(value) : fn);
    } catch {
      pass = false;
    }
    const sampleTags: Record<string, string> = { ...tags, check: name };
    if (s.group !== '') sampleTags.group = s.group;
    addRate(s, 'checks', pass, sampleTags);
    addCounter(s, pass ? counterKey.checkPass(name, s.group) : counterKey.checkFail(name, s.group), 1);
    const subs = submetricsOf('checks');
    if (subs !== undefined) recordTagged(s, subs, 'rate', pass ? 1 : 0, (k) => sampleTags[k]);
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

/**
 * Runs `fn` as k6's group: what it records carries the tag `group` (`::name`, nested
 * `::outer::inner`), and its duration is a sample of `group_duration` (ms).
 */
export function group<T>(name: string, fn: () => T): T {
  const s = runtime().als.getStore();
  if (s === undefined) return fn();
  if (typeof name !== 'string' || name === '' || name.includes('::'))
    throw new TypeError(`group(): invalid name ${JSON.stringify(name)} (a non-empty string without '::')`);
  const outer = s.group;
  const path = `${outer}::${name}`;
  s.group = path;
  const t0 = nowUs();
  const end = () => {
    s.group = outer;
    if (!s.end.stopped) groupDuration(s, path, (nowUs() - t0) / 1000);
  };
  let r: T;
  try {
    r = fn();
  } catch (e) {
    end();
    throw e;
  }
  // as k6's, group() returns what fn returns: a synchronous fn's value as it is, an async
  // fn's promise (await it), the group ending when it settles
  if (r instanceof Promise) return r.finally(end) as T;
  end();
  return r;
}

function groupDuration(s: IterationStore, path: string, ms: number): void {
  addTrend(s, 'group_duration', ms, { group: path });
  const subs = submetricsOf('group_duration');
  if (subs !== undefined) recordTagged(s, subs, 'trend', ms, (k) => (k === 'group' ? path : undefined));
}

/** k6's `fail()`: throws, ending the iteration as an error. */
export function fail(message = 'fail() called'): never {
  throw new Error(message);
}

export default { check, sleep, group, fail };
