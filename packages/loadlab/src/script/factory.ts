/**
 * The generator-side adapter of a user script: a ScriptFactory (generator/script.ts) that
 * imports the script (after registering the built-in modules), and runs its exported
 * function (default, or the scenario's `exec`) once per iteration inside the runtime's
 * iteration store. An exception ends the iteration as an error (counted, first messages
 * kept); it does not stop the run (k6's behaviour). exec.test.abort() halts the scenario at
 * once (no iteration starts after it; those in flight, the aborting one included, are
 * interrupted), in this thread as it is called and in the others as its message reaches them.
 *
 * Each VU's store carries k6's ids: __VU / exec.vu.idInTest is `vus.base` (the VUs of the
 * scenarios before this one) + the VU's global unit + 1, where thread `worker.index` of
 * `worker.count` (its place in the whole test: execution-segment.ts) holds the units
 * index, index + count, ...; exec.vu.idInInstance numbers the same way within this process's
 * part (`vus.segment`).
 */
import { dirname } from 'node:path';
import { vuShare } from '../generator/closed-loop.ts';
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import { iterations, type ScriptContext, type ScriptFactory } from '../generator/script.ts';
import { gaugesToCounters } from '../stats/gauge-counters.ts';
import type { LatencyRecorder } from '../stats/recorder.ts';
import { nowUs } from '../util/clock.ts';
import { importFile } from '../util/import-file.mjs';
import type { ExecutionShortcuts } from './execution-shortcuts.ts';
import { installGlobals } from './globals.ts';
import { closeHttp } from './http.ts';
import { dataCopy } from './lifecycle.ts';
import { parseScriptOptions } from './options.ts';
import { registerScriptModules } from './register.ts';
import {
  addTrend,
  type GaugeState,
  type IterationStore,
  type LiveScenario,
  liveScenario,
  never,
  runtime,
  type ScenarioExec,
  settled,
  type TlsSettings,
  trendsToCounters,
} from './runtime.ts';
import { iterationErrorText } from './script-error.ts';
import { declareSubmetrics } from './submetrics.ts';
import { abortReason, listenForAbort, postScriptError } from './test-abort.ts';
import { stopVuEnd, vuEnd } from './vu-end.ts';
import { VusSeries } from './vus-series.ts';
import { closeWs } from './ws.ts';

export interface ScriptParams {
  /** Absolute path of the script. */
  file: string;
  /** Export to run (default 'default'). */
  exec: string;
  scenario: string;
  tls: TlsSettings;
  /** The -e/--env KEY=VALUE flags: k6's __ENV is the thread's environment with these over it. */
  env?: Record<string, string>;
  /**
   * True when the script exports setup(): its function is called as k6's, `fn(data, ctx)`,
   * with `data` a JSON copy of setup()'s return value (`dataJson`; undefined when it returned
   * nothing), one copy per VU. Otherwise `fn(ctx)`.
   */
  withSetup?: boolean;
  dataJson?: string;
  /** The thresholds' submetric keys (./submetrics.ts), recorded as their samples happen. */
  submetrics?: string[];
  /** The scenario's tags (options.tags and its own), matched by the submetrics. */
  tags?: Record<string, string>;
  /** The scenario's own `env` (k6's scenarios.NAME.env): __ENV in its iterations, over the global. */
  scenarioEnv?: Record<string, string>;
  /**
   * Where this scenario's VU ids start: `base` VUs of the scenarios before it in the whole test,
   * `baseInInstance` in this process's `segment` (its part of the test).
   */
  vus?: { base: number; baseInInstance: number; segment: ExecutionSegment };
  /** The run's BroadcastChannel for exec.test.abort() (test-abort.ts). */
  abortChannel?: string;
  /** The command line's --vus/--duration/--iterations/--stage: exec.test.options as the run resolved them. */
  execution?: ExecutionShortcuts;
}

/** Context handed to the script's function (`export default async function (ctx)`). */
export interface IterationContext {
  /** VU number (1-based, as k6's __VU) within this generator thread's share. */
  vu: number;
  /** Iterations this VU has started before this one (k6's __ITER). */
  iteration: number;
  scenario: string;
  /** The generator thread's index. */
  thread: number;
}

type Fn = (ctx: IterationContext) => unknown;
type DataFn = (data: unknown, ctx: IterationContext) => unknown;

/** Imports the script with the built-in modules registered and __ENV set (process env + `env`). */
export async function importScript(
  file: string,
  env?: Record<string, string>,
): Promise<Record<string, unknown>> {
  registerScriptModules(file);
  installGlobals(env, dirname(file));
  return (await importFile(file)) as Record<string, unknown>;
}

/**
 * A synchronous iteration returned while its requests or sleeps were still out: a k6 script
 * ported without `await`. Unpaced, its iterations would follow each other as fast as the CPU
 * allows (a flood at the target), so this is a script error that stops the run (107), and this
 * thread's later iterations return at once without calling the script.
 */
function notAwaited(scenario: string, state: { notAwaiting: boolean }): void {
  if (state.notAwaiting) return;
  state.notAwaiting = true;
  const message = `scenario ${scenario}: an iteration returned before its http.*(), sleep() or ws.connect() finished. Here they return promises: write \`export default async function\` and \`await\` each (a k6 script ports by adding them); not awaited, its iterations would run back to back as fast as the CPU allows, so the run was stopped`;
  if (runtime().abortChannel !== null) postScriptError(message);
  else process.stderr.write(`tickstorm run: script error: ${message}\n`);
}

/** Runs one iteration and, when it ends (however it ends), counts it live and streams it (--out). */
async function counted(live: LiveScenario | null, scenario: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } finally {
    if (live !== null) live.iterations++;
    runtime().sink?.('iterations', 'counter', 1, scenario);
  }
}

/** k6/execution's scenario facts for this thread's share of the scenario. */
function scenarioExec(
  ctx: ScriptContext<ScriptParams>,
  env: Record<string, string> | null,
  stride: ScenarioExec['stride'],
): {
  info: ScenarioExec;
  started: { n: number };
} {
  const ex = ctx.executor;
  const started = { n: 0 };
  const its = ex.model === 'closed' ? ex.iterations : undefined;
  // an iteration-based executor's progress: this thread's share of its iterations started
  const share =
    its === undefined
      ? 0
      : its.perVu
        ? its.count * ctx.maxVUs
        : vuShare(its.count, ctx.worker.index, ctx.worker.count);
  const startTime = () => ctx.startEpochMs ?? Date.now();
  const info: ScenarioExec = {
    name: ctx.params.scenario,
    executor: ex.name,
    env,
    stride,
    startTime,
    progress: () =>
      its !== undefined
        ? share === 0
          ? 1
          : Math.min(1, started.n / share)
        : ex.totalMs <= 0
          ? 1
          : Math.min(1, Math.max(0, (Date.now() - startTime()) / ex.totalMs)),
  };
  return { info, started };
}

const factory: ScriptFactory<ScriptParams> = async (ctx) => {
  const p = ctx.params;
  const rt = runtime();
  rt.tls = p.tls;
  declareSubmetrics(p.submetrics);
  if (p.tags !== undefined) rt.scenarioTags.set(p.scenario, p.tags);
  const mod = await importScript(p.file, p.env);
  const fn = mod[p.exec];
  if (typeof fn !== 'function') throw new Error(`${p.file}: export '${p.exec}' is not a function`);
  const parsedOptions = parseScriptOptions(mod.options, mod, p.execution).options;
  rt.testOptions = parsedOptions.resolved;
  rt.discardBodies = parsedOptions.discardResponseBodies;
  rt.abortChannel = p.abortChannel ?? null;
  for (const hook of rt.onEvents) hook(ctx.events, p.scenario);
  const counters = new Map<string, number>();
  const trends = new Map<string, LatencyRecorder>();
  const gauges = new Map<string, GaugeState>();
  const ictx: IterationContext[] = [];
  const stores: IterationStore[] = [];
  const data: unknown[] = [];
  const hasEnv = p.scenarioEnv !== undefined && Object.keys(p.scenarioEnv).length > 0;
  const seg = p.vus?.segment ?? { index: 0, count: 1 };
  const { index, count } = ctx.worker;
  const threads = count / seg.count;
  const thread = (index - seg.index) / seg.count;
  const { info, started } = scenarioExec(ctx, hasEnv ? { ...rt.env, ...p.scenarioEnv } : null, {
    index,
    count,
    thread,
    threads,
  });
  for (let v = 0; v < ctx.maxVUs; v++) {
    ictx.push({ vu: v + 1, iteration: 0, scenario: p.scenario, thread: ctx.worker.index });
    stores.push({
      events: ctx.events,
      counters,
      trends,
      intendedUs: 0,
      first: true,
      scenario: p.scenario,
      group: '',
      end: vuEnd(),
      pending: 0,
      vu: (p.vus?.base ?? 0) + index + count * v + 1,
      vuInInstance: (p.vus?.baseInInstance ?? 0) + thread + threads * v + 1,
      iter: 0,
      iterInThread: 0,
      exec: info,
      gauges,
    });
    if (p.withSetup === true) data.push(dataCopy(p.dataJson));
  }
  // set once an iteration was found not awaiting: this scenario runs no more of the script
  const state = { notAwaiting: false };
  const run: (s: IterationStore, c: IterationContext) => unknown =
    p.withSetup === true
      ? (s, c) => rt.als.run(s, () => (fn as DataFn)(data[c.vu - 1], c))
      : (s, c) => rt.als.run(s, () => (fn as Fn)(c));
  const call = (s: IterationStore, c: IterationContext): void | Promise<void> => {
    if (state.notAwaiting) return;
    let r: unknown;
    try {
      r = run(s, c);
    } catch (e) {
      // exec.test.abort() halted the scenario: its iteration is interrupted, it never ends
      if (abortReason(e) !== undefined) return never<void>();
      // a synchronous iteration that throws with calls still out is not awaiting them either
      if (s.pending > 0) notAwaited(p.scenario, state);
      throw e;
    }
    if (!(r instanceof Promise)) {
      if (s.pending > 0) notAwaited(p.scenario, state);
      return;
    }
    // returned or thrown, an async iteration ends when the calls it left out settle (k6 ends
    // an iteration, an exception's included, on an empty event loop): a 1-VU script that
    // throws cannot start its next iteration while its un-awaited requests are still out
    // an iteration interrupted meanwhile (its VU's gracefulRampDown ran out) never ends: its VU
    // has moved on (see `interrupt` below)
    return r.then(
      () => (s.end.stopped ? never<void>() : settled(s)),
      async (e: unknown) => {
        if (s.end.stopped || abortReason(e) !== undefined) return never<void>();
        await settled(s);
        throw e;
      },
    );
  };
  // exec.test.abort(): called here, it halts this scenario before it throws (no iteration
  // starts after it, not even in this VU); called in another thread, as its message comes
  const halt = (reason: string) => ctx.halt?.(reason);
  rt.onTestAbort.add(halt);
  const heard =
    p.abortChannel === undefined
      ? undefined
      : listenForAbort(p.abortChannel, (reason, scriptError) => {
          if (!scriptError) halt(reason);
        });
  const inner = iterations<null, ScriptParams>({
    iteration(it) {
      const s = stores[it.vu];
      s.intendedUs = it.intendedUs;
      s.first = true;
      s.group = '';
      s.cookies?.reset();
      const c = ictx[it.vu];
      c.iteration = it.n;
      s.iter = it.n;
      s.iterInThread = started.n++;
      const live = liveScenario(p.scenario);
      // k6's iteration_duration: from its start to its end (returned, or thrown; an iteration
      // abandoned at the scenario's end is not one)
      const t0 = nowUs();
      let r: void | Promise<void>;
      try {
        r = live === null && rt.sink === null ? call(s, c) : counted(live, p.scenario, () => call(s, c));
      } catch (e) {
        addTrend(s, 'iteration_duration', (nowUs() - t0) / 1000);
        throw e;
      }
      if (!(r instanceof Promise)) {
        addTrend(s, 'iteration_duration', (nowUs() - t0) / 1000);
        return r;
      }
      return r.finally(() => addTrend(s, 'iteration_duration', (nowUs() - t0) / 1000));
    },
    // the scenario is over (its iterations done, or gracefulStop ran out): abandon what is
    // left of its iterations (their sleeps, requests and sockets; not the other scenarios')
    teardown: async () => {
      rt.onTestAbort.delete(halt);
      heard?.close();
      for (const st of stores) stopVuEnd(st.end);
      await closeWs(p.scenario);
      await closeHttp(p.scenario);
    },
    // k6's gracefulRampDown ran out on a ramped-down VU: its iteration is abandoned (its sleeps,
    // requests and sockets cut, nothing more counted; it never ends) and the VU gets a fresh
    // store, so what the abandoned code still does cannot touch its next iterations
    interrupt: (vu) => {
      const old = stores[vu];
      stopVuEnd(old.end);
      stores[vu] = { ...old, end: vuEnd(), pending: 0, onIdle: undefined };
    },
    counters: () => {
      const out: Record<string, number> = Object.fromEntries(counters);
      trendsToCounters(trends, out);
      gaugesToCounters(gauges, index, out);
      return out;
    },
  });
  // exec.test.abort() ends its iteration by a throw: not an iteration error
  const error = ctx.error;
  const script = await inner(
    Object.assign(Object.create(ctx) as ScriptContext<ScriptParams>, {
      // its message and its place in the script, worked out only if it is shown
      error: (e: unknown) => {
        if (abortReason(e) === undefined) error({ toString: () => iterationErrorText(e) });
      },
    }),
  );
  // the checks and custom metrics, followed live by a Prometheus exporter (RunOptions.sliceDetail)
  script.liveCounters = script.counters;
  // a run --worker's part so far: the same, each Trend's counts apart
  script.metricsSoFar = () => {
    const out: Record<string, number> = Object.fromEntries(counters);
    gaugesToCounters(gauges, index, out);
    return { counters: out, trends: [...trends].map(([name, r]) => [name, r.toSparse()]) };
  };
  // k6's dropped_iterations, streamed as each is dropped (--out json)
  script.dropped = () => rt.sink?.('dropped_iterations', 'counter', 1, p.scenario);
  // k6's vus and vus_max, sampled each second (./vus-series.ts); --out json writes their sum (./vus-out.ts)
  const series = new VusSeries(() => {
    const live = liveScenario(p.scenario);
    return live === null ? [counters] : [counters, live.counters];
  });
  // vus_max: only the VUs beyond preAllocatedVUs (open model, added when used; kept to the end):
  // the run writes the VUs k6 initialises before the start (./vus-plan.ts)
  let added = 0;
  script.vus = (v, epochSec) => {
    if (v !== null) added = Math.max(added, v.allocated - ctx.preAllocatedVUs);
    if (v === null) series.end(epochSec);
    else series.sample(v.active, added, epochSec);
    rt.sink?.('vus', 'gauge', v?.active ?? 0, p.scenario);
    rt.sink?.('vus_max', 'gauge', added, p.scenario);
  };
  return script;
};

export default factory;
