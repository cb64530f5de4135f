/**
 * k6's test lifecycle around the scenarios: `setup()` once before them, `teardown(data)` once
 * after, both in the thread that coordinates the run (not in the generator threads); then
 * `handleSummary(data)` (handle-summary.ts) is called the same way.
 *
 *   const s = await callLifecycle('setup', mod.setup, [], 60_000);
 *   if (!s.ok) ...                              // threw, timed out: exit 107
 *   const data = dataText(s.value);             // JSON text (undefined: setup returned nothing)
 *
 * Each call runs inside an iteration store of its own (scenario '(setup)', '(teardown)' or
 * '(handleSummary)', a name no scenario can have), so http.*(), check(), sleep() and group() work in it.
 * As in k6, setup()'s and teardown()'s samples are tagged `group: '::setup'` / `'::teardown'`
 * (their checks are in the group `setup` / `teardown` of the summary's tree) and count in the
 * run's metrics and thresholds, in no scenario's (k6 gives them no `scenario` tag), never as
 * iterations: `part` is their raw material (k6-metrics.ts MetricPart, less the scenario).
 * It ends when the calls it started settle, awaited or not. When the time runs out its pending sleeps are cleared and its
 * connections cut (a synchronous endless loop cannot be interrupted).
 */
import { RequestEvents } from '../stats/events.ts';
import { gaugesToCounters } from '../stats/gauge-counters.ts';
import type { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { closeHttp } from './http.ts';
import { type IterationStore, runtime, type ScenarioEnd, settled, trendsToCounters } from './runtime.ts';
import { scriptStack } from './script-error.ts';
import { abortReason } from './test-abort.ts';
import { closeWs } from './ws.ts';

export type LifecycleName = 'setup' | 'teardown' | 'handleSummary';

/** What a lifecycle call recorded: its requests and its counters (checks, Trends, custom metrics). */
export interface LifecyclePart {
  stats: RequestStats;
  counters: Record<string, number>;
}

export type LifecycleResult =
  | { ok: true; value: unknown; requests: number; failures: number; ms: number; part: LifecyclePart }
  | {
      ok: false;
      problem: string;
      requests: number;
      failures: number;
      part: LifecyclePart;
      aborted?: string;
      /** `signal` ended it (Ctrl-C): cut as a timeout cuts it. */
      interrupted?: true;
    };

/** `signal` (Ctrl-C) ends it early, as its timeout does: its sleeps and connections are cut. */
export async function callLifecycle(
  name: LifecycleName,
  fn: unknown,
  args: unknown[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<LifecycleResult> {
  const scenario = `(${name})`;
  const events = new RequestEvents();
  const tally = { requests: 0, failures: 0 };
  events.on((ev) => {
    tally.requests++;
    if (!ev.ok) tally.failures++;
  });
  const stats = new RequestStats();
  const unsubscribe = stats.attach(events);
  const end: ScenarioEnd = { stopped: false, timers: new Set() };
  const store: IterationStore = {
    events,
    counters: new Map<string, number>(),
    trends: new Map<string, LatencyRecorder>(),
    intendedUs: 0,
    first: false,
    scenario,
    // k6's runPart: the group tag of setup() and teardown() (handleSummary's samples count nowhere)
    group: name === 'handleSummary' ? '' : `::${name}`,
    pending: 0,
    end,
    vu: 0,
    vuInInstance: 0,
    iter: 0,
    iterInThread: 0,
    exec: null,
    gauges: new Map(),
  };
  const part: LifecyclePart = { stats, counters: {} };
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const run = Promise.resolve().then(() =>
      runtime().als.run(store, () => (fn as (...a: unknown[]) => unknown)(...args)),
    );
    const timeout = new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), timeoutMs);
    });
    // as an iteration (and k6, on an empty event loop), it ends when the calls it left out
    // settle: a teardown()'s cleanup request not awaited is sent, not cut
    const done = run.then(async (value) => {
      await settled(store);
      return { value };
    });
    const interrupted = new Promise<'interrupted'>((res) => {
      if (signal?.aborted) res('interrupted');
      else signal?.addEventListener('abort', () => res('interrupted'), { once: true });
    });
    const r = await Promise.race([done, timeout, interrupted]);
    if (r === 'interrupted')
      return { ok: false, problem: `${name}() was interrupted`, interrupted: true, ...tally, part };
    if (r === 'timeout')
      return {
        ok: false,
        problem: `${name}() did not finish within ${name}Timeout (${timeoutMs / 1000}s)`,
        ...tally,
        part,
      };
    return { ok: true, value: r.value, ms: Date.now() - started, ...tally, part };
  } catch (e) {
    const aborted = abortReason(e);
    if (aborted !== undefined)
      return {
        ok: false,
        problem: `${name}() called exec.test.abort(): ${aborted}`,
        aborted,
        ...tally,
        part,
      };
    // the script's frames, not the lab's around them
    const msg = e instanceof Error ? scriptStack(e) : String(e);
    return { ok: false, problem: `${name}() threw: ${msg}`, ...tally, part };
  } finally {
    clearTimeout(timer);
    end.stopped = true;
    for (const t of end.timers) clearTimeout(t);
    end.timers.clear();
    await closeWs(scenario);
    await closeHttp(scenario);
    unsubscribe();
    // read when it ended (a request cut by the timeout included), as a scenario's counters()
    Object.assign(part.counters, Object.fromEntries(store.counters));
    trendsToCounters(store.trends, part.counters);
    gaugesToCounters(store.gauges, 0, part.counters);
  }
}

/**
 * setup()'s return value as JSON text (undefined when it returned nothing), or the reason it
 * is not JSON-serialisable: a function, symbol or bigint anywhere, a cycle, or a non-finite
 * number (JSON would change these silently; k6 hands each VU a JSON copy).
 */
export function dataText(value: unknown): { text?: string; problem?: string } {
  if (value === undefined) return {};
  const bad = unserialisable(value, '', new Set());
  if (bad !== undefined) return { problem: `setup() returned data that is not JSON-serialisable: ${bad}` };
  try {
    return { text: JSON.stringify(value) };
  } catch (e) {
    return { problem: `setup() returned data that is not JSON-serialisable: ${(e as Error).message}` };
  }
}

function unserialisable(v: unknown, path: string, seen: Set<object>): string | undefined {
  const at = path === '' ? 'the value' : path;
  if (typeof v === 'function') return `${at} is a function`;
  if (typeof v === 'symbol') return `${at} is a symbol`;
  if (typeof v === 'bigint') return `${at} is a bigint`;
  if (typeof v === 'number' && !Number.isFinite(v)) return `${at} is ${v}`;
  if (typeof v !== 'object' || v === null) return undefined;
  if (seen.has(v)) return `${at} refers back to itself (a cycle)`;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return undefined; // Date and the like
  seen.add(v);
  const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x] as const) : Object.entries(v);
  for (const [k, x] of entries) {
    const p = Array.isArray(v) ? `${path}${k}` : `${path}${path === '' ? '' : '.'}${k}`;
    const bad = unserialisable(x, p, seen);
    if (bad !== undefined) return bad;
  }
  seen.delete(v);
  return undefined;
}

/** A JSON copy of setup()'s data (undefined when it returned nothing). */
export const dataCopy = (text: string | undefined): unknown =>
  text === undefined ? undefined : JSON.parse(text);

/** k6's --tag NAME=VALUE flags (repeatable): tags on every sample of the run, over options.tags. */
export function parseTagFlags(values: readonly string[], problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) problems.push(`--tag '${v}': expected NAME=VALUE`);
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** -e/--env values (KEY=VALUE, repeatable) as an object; a malformed one is a problem naming the flag. */
export function parseEnvFlags(values: readonly string[], problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/s.exec(v);
    if (m === null) problems.push(`--env '${v}': expected KEY=VALUE (a name of letters, digits and _)`);
    else out[m[1]] = m[2];
  }
  return out;
}
