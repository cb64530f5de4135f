/**
 * The script runtime's per-thread state, shared by the built-in modules a script imports
 * (`tickstorm`, `tickstorm/http`, `tickstorm/metrics`) and the factory that runs it.
 *
 * Each iteration runs inside an AsyncLocalStorage store: the scenario's RequestEvents (so
 * requests land in the right scenario's statistics), the scenario's counters (checks, Counter,
 * Rate), and the iteration's intended start. The first request of an iteration is timed from
 * that intended start (open model: coordinated-omission correct, as wrk2 and k6's
 * arrival-rate executors do); later requests in the same iteration from their own send.
 *
 * The state hangs on globalThis under a symbol, so a module loaded twice under two URLs
 * still shares it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientCert } from '../clients/client-cert.ts';
import type { CookieJar } from '../clients/cookie-jar.ts';
import { checkId } from '../stats/check-id.ts';
import type { RequestEvents } from '../stats/events.ts';
import type { GaugeState } from '../stats/gauge-counters.ts';
import { hdrValueAt, LatencyRecorder } from '../stats/recorder.ts';
import { trendSlot } from '../stats/signed-trend.ts';
import { nowUs } from '../util/clock.ts';
import type { ResponseCallback } from './http-expected.ts';

export type MetricKind = 'counter' | 'rate' | 'trend' | 'gauge';

export interface IterationStore {
  events: RequestEvents;
  counters: Map<string, number>;
  /** Custom Trends' samples (µs). */
  trends: Map<string, LatencyRecorder>;
  /** Intended start of the iteration (lab clock µs); consumed by its first request. */
  intendedUs: number;
  first: boolean;
  scenario: string;
  /**
   * Calls of the built-in async functions (http.*, sleep, ws.connect) started on this VU and
   * not settled yet: a synchronous iteration that ends with some is a k6 script not awaiting.
   */
  pending: number;
  /** Called when `pending` falls to 0 (an async iteration waiting for the calls it left out). */
  onIdle?: () => void;
  /** k6's group path of the running code ('' at the top, '::checkout' inside group('checkout')). */
  group: string;
  /** http.setResponseCallback()'s rule for this VU's later requests (undefined: 200-399). */
  responseCallback?: ResponseCallback | null;
  /**
   * The VU's end (one per store): `stopped` once its scenario ended (gracefulStop ran out, or
   * the run ended) or, in ramping-vus, its gracefulRampDown ran out (the store is then replaced
   * for the VU's later iterations). An iteration still running is abandoned: its pending sleeps
   * are cleared and any further call of the built-in modules never settles (nothing counted
   * after the end).
   */
  end: ScenarioEnd;
  /** k6's __VU and exec.vu.idInTest (1-based, unique across the test); 0 in setup() and teardown(). */
  vu: number;
  /** exec.vu.idInInstance: unique in this process (all its generator threads); 0 in setup() and teardown(). */
  vuInInstance: number;
  /** k6's __ITER: iterations this VU started before this one. */
  iter: number;
  /** The iteration's number among its scenario's iterations started in this generator thread (0-based). */
  iterInThread: number;
  /** The scenario the iteration runs in; null in setup(), teardown() and handleSummary(). */
  exec: ScenarioExec | null;
  /** Gauges' state in the iteration's scenario (this thread). */
  gauges: Map<string, GaugeState>;
  /** The VU's cookie jar (k6's: made at its first request, emptied at each iteration's start). */
  cookies?: CookieJar;
}

/** What k6/execution tells of a scenario (one object per scenario and thread). */
export interface ScenarioExec {
  name: string;
  executor: string;
  /** The scenario's start (epoch ms). */
  startTime(): number;
  /** 0 to 1: the time elapsed of a timed executor, the iterations started of an iteration-based one. */
  progress(): number;
  /** __ENV inside the scenario: the global __ENV with the scenario's own `env` over it (null: none). */
  env: Record<string, string> | null;
  /**
   * This thread's place among the scenario's generator threads: in the whole test (`index` of
   * `count`: its execution segment, run --master's workers too) and in this process (`thread`
   * of `threads`). The thread's n-th iteration is the scenario's `n * count + index`, as the
   * executors hand out iterations (shared-iterations' and the arrival-rate schedules' g =
   * index, index + count, ...).
   */
  stride: { index: number; count: number; thread: number; threads: number };
}

export type { GaugeState } from '../stats/gauge-counters.ts';

export interface ScenarioEnd {
  stopped: boolean;
  /** The VUs' pending sleep() timers. */
  timers: Set<NodeJS.Timeout>;
  /**
   * A VU's own end (k6's gracefulRampDown running out: ./vu-end.ts): its requests in flight
   * (each one's abort) and its open WebSockets, cut when it stops. The scenario's end closes
   * its connections and sockets whole instead.
   */
  requests?: Set<AbortController>;
  sockets?: Set<{ terminate(): void }>;
}

/** Counts `p` in the VU's pending calls until it settles. */
export function tracked<T>(s: IterationStore, p: Promise<T>): Promise<T> {
  s.pending++;
  return p.finally(() => {
    s.pending--;
    if (s.pending === 0 && s.onIdle !== undefined) {
      const idle = s.onIdle;
      s.onIdle = undefined;
      idle();
    }
  });
}

/**
 * Resolves once the iteration has no call of the built-in modules out. k6 ends an iteration
 * when its event loop is empty, so an async iteration that returned with requests or sleeps
 * still out (an `await` forgotten, a group() not awaited) ends when they do, paced by them,
 * instead of starting the next at once. A chain that goes on after a call settles makes its
 * next call in the microtasks that follow, so the count is looked at again one turn later.
 */
export async function settled(s: IterationStore): Promise<void> {
  while (s.pending > 0) {
    await new Promise<void>((resolve) => {
      s.onIdle = resolve;
    });
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What an abandoned iteration's calls return: a promise that never settles (and holds nothing). */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export interface TlsSettings {
  insecure: boolean;
  /** PEM text of extra CA certificates. */
  ca?: string;
  /** options.tlsAuth: client certificates, each for its domains. */
  clientCerts?: ClientCert[];
}

/** One scenario's live figures (abortOnFail's watch, one-thread runs). */
export interface LiveScenario {
  counters: Map<string, number>;
  trends: Map<string, LatencyRecorder>;
  gauges: Map<string, GaugeState>;
  /** Iterations ended so far (as the executor counts them: with or without an exception). */
  iterations: number;
}

interface Runtime {
  als: AsyncLocalStorage<IterationStore>;
  /** Custom metrics declared by the script (name -> kind), for threshold validation. */
  metrics: Map<string, MetricKind>;
  tls: TlsSettings;
  /** Live figures per scenario of the whole thread (for abortOnFail in a one-thread run). */
  live: Map<string, LiveScenario> | null;
  /** Called with each scenario's RequestEvents as its factory runs in this thread (live view, --out). */
  onEvents: ((events: RequestEvents, scenario: string) => void)[];
  /** Every sample of checks, iterations and the custom metrics, as it happens (--out json, one thread). */
  sink: SampleSink | null;
  /** k6's __ENV outside a scenario's own `env` (the process environment with -e/--env over it). */
  env: Record<string, string>;
  /** The script's directory: k6's open() takes relative paths from it. */
  scriptDir: string;
  /** exec.test.options: the script's options as resolved (undefined until the script is loaded). */
  testOptions: unknown;
  /** The BroadcastChannel exec.test.abort() posts its reason on (null: none listens). */
  abortChannel: string | null;
  /**
   * Called with the reason when exec.test.abort() is called in this thread, before it throws:
   * each scenario running here halts at once (factory.ts), before any message goes out.
   */
  onTestAbort: Set<(reason: string) => void>;
  /** Submetrics declared by the thresholds, per metric (./submetrics.ts). */
  submetrics: Map<string, Submetric[]>;
  /** Each scenario's tags (options.tags and its own), which every sample of it carries. */
  scenarioTags: Map<string, Readonly<Record<string, string>>>;
  /** k6's options.discardResponseBodies: a request's default responseType is 'none'. */
  discardBodies: boolean;
}

/** A threshold's tagged submetric: its canonical key and the tags a sample must carry. */
export interface Submetric {
  key: string;
  tags: readonly (readonly [string, string])[];
}

/** One metric sample: k6's name, kind, value (trends in ms, rates 0/1) and its tags besides `scenario`. */
export type SampleSink = (
  metric: string,
  kind: MetricKind,
  value: number,
  scenario: string,
  tags?: Record<string, string>,
) => void;

const KEY = Symbol.for('tickstorm.script.runtime');
const g = globalThis as unknown as Record<symbol, Runtime | undefined>;

export function runtime(): Runtime {
  let r = g[KEY];
  if (r === undefined) {
    r = {
      als: new AsyncLocalStorage(),
      metrics: new Map(),
      tls: { insecure: false },
      live: null,
      onEvents: [],
      sink: null,
      submetrics: new Map(),
      scenarioTags: new Map(),
      env: {},
      scriptDir: process.cwd(),
      testOptions: undefined,
      abortChannel: null,
      onTestAbort: new Set(),
      discardBodies: false,
    };
    g[KEY] = r;
  }
  return r;
}

/** The running iteration's store; throws when called outside an iteration (k6: init context). */
export function current(what: string): IterationStore {
  const s = runtime().als.getStore();
  if (s === undefined)
    throw new Error(
      `${what} can only be called inside the default function (an iteration), not at load time`,
    );
  return s;
}

/** Start of a measurement: the iteration's intended start for its first request, else now. */
export function measureFrom(s: IterationStore): number {
  if (s.first) {
    s.first = false;
    return s.intendedUs;
  }
  return nowUs();
}

/** The live figures of `scenario`, or null when nothing watches live. */
export function liveScenario(scenario: string): LiveScenario | null {
  const live = runtime().live;
  if (live === null) return null;
  let l = live.get(scenario);
  if (l === undefined) {
    l = { counters: new Map(), trends: new Map(), gauges: new Map(), iterations: 0 };
    live.set(scenario, l);
  }
  return l;
}

/** `tags`: a custom Counter's sample tags (add()'s and `group`), for --out. */
export function addCounter(s: IterationStore, key: string, n: number, tags?: Record<string, string>): void {
  s.counters.set(key, (s.counters.get(key) ?? 0) + n);
  const live = liveScenario(s.scenario);
  if (live !== null) live.counters.set(key, (live.counters.get(key) ?? 0) + n);
  const sink = runtime().sink;
  if (sink !== null && key.startsWith(COUNTER_PREFIX))
    sink(key.slice(COUNTER_PREFIX.length), 'counter', n, s.scenario, tags);
}

/** Records a Rate sample (k6's `checks` too, with its `check` tag). */
export function addRate(s: IterationStore, name: string, pass: boolean, tags?: Record<string, string>): void {
  addCounter(s, counterKey.rateTotal(name), 1);
  if (pass) addCounter(s, counterKey.ratePass(name), 1);
  runtime().sink?.(name, 'rate', pass ? 1 : 0, s.scenario, tags);
}

export function recorderIn(m: Map<string, LatencyRecorder>, name: string): LatencyRecorder {
  let r = m.get(name);
  if (r === undefined) {
    r = new LatencyRecorder();
    m.set(name, r);
  }
  return r;
}

/** Records a Trend sample (ms) in the iteration's scenario (and the live view). */
export function addTrend(s: IterationStore, name: string, ms: number, tags?: Record<string, string>): void {
  // a negative sample goes to the trend's companion, as its magnitude (stats/signed-trend.ts)
  const slot = trendSlot(name, ms);
  const us = Math.abs(ms) * 1000;
  recorderIn(s.trends, slot).record(us);
  const live = liveScenario(s.scenario);
  if (live !== null) recorderIn(live.trends, slot).record(us);
  runtime().sink?.(name, 'trend', ms, s.scenario, tags);
}

/**
 * Trends travel between threads as counters (summed exactly): one key per HdrHistogram
 * counter, `trend:<name>:<index>`, plus the exact sum. `trendsFromCounters` reads them back.
 */
export function trendsToCounters(trends: Map<string, LatencyRecorder>, out: Record<string, number>): void {
  for (const [name, r] of trends) {
    const sp = r.toSparse();
    for (let k = 0; k < sp.idx.length; k++) out[`trend:${name}:${sp.idx[k]}`] = sp.cnt[k];
    out[`trend:${name}:sum`] = sp.sumUs;
  }
}

export function trendsFromCounters(counters: Record<string, number>): Map<string, LatencyRecorder> {
  const idx = new Map<string, { i: number[]; c: number[]; sum: number }>();
  for (const [k, v] of Object.entries(counters)) {
    if (!k.startsWith('trend:')) continue;
    const cut = k.lastIndexOf(':');
    const name = k.slice(6, cut);
    let e = idx.get(name);
    if (e === undefined) {
      e = { i: [], c: [], sum: 0 };
      idx.set(name, e);
    }
    const tail = k.slice(cut + 1);
    if (tail === 'sum') e.sum += v;
    else {
      e.i.push(Number(tail));
      e.c.push(v);
    }
  }
  const out = new Map<string, LatencyRecorder>();
  for (const [name, e] of idx) {
    const r = new LatencyRecorder();
    const order = e.i.map((_, k) => k).sort((a, b) => e.i[a] - e.i[b]);
    const count = e.c.reduce((a, b) => a + b, 0);
    const lo = hdrValueAt(e.i[order[0]] ?? 0);
    const hi = hdrValueAt(e.i[order[order.length - 1]] ?? 0);
    r.addSparse({
      idx: Uint32Array.from(order.map((k) => e.i[k])),
      cnt: Float64Array.from(order.map((k) => e.c[k])),
      count,
      sumUs: e.sum,
      minUs: lo,
      maxUs: hi,
    });
    out.set(name, r);
  }
  return out;
}

const COUNTER_PREFIX = 'metric:counter:';

/** Counter keys: what the factory's counters() report and the metrics read back. */
export const counterKey = {
  counter: (name: string) => `metric:counter:${name}`,
  ratePass: (name: string) => `metric:rate:${name}:pass`,
  rateTotal: (name: string) => `metric:rate:${name}:total`,
  /** `group`: the check's group() path ('' at the top, `::outer::inner` in groups). */
  checkPass: (name: string, group = '') => `check:${checkId(group, name)}:pass`,
  checkFail: (name: string, group = '') => `check:${checkId(group, name)}:fail`,
};
