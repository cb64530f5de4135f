/**
 * The generator-side adapter of a user script: a ScriptFactory (generator/script.ts) that
 * imports the script (after registering the built-in modules), and runs its exported
 * function (default, or the scenario's `exec`) once per iteration inside the runtime's
 * iteration store. An exception ends the iteration as an error (counted, first messages
 * kept); it does not stop the run (k6's behaviour).
 */
import { pathToFileURL } from 'node:url';
import { iterations, type ScriptFactory } from '../generator/script.ts';
import type { LatencyRecorder } from '../stats/recorder.ts';
import { closeHttp } from './http.ts';
import { dataCopy, installEnv } from './lifecycle.ts';
import { registerScriptModules } from './register.ts';
import {
  type IterationStore,
  type LiveScenario,
  liveScenario,
  runtime,
  type ScenarioEnd,
  type TlsSettings,
  trendsToCounters,
} from './runtime.ts';
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
  installEnv(env);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

const warned = new Set<string>();
/**
 * A synchronous iteration returned while its requests or sleeps were still out: a k6 script
 * ported without `await` (it loops as fast as the CPU allows). Said once per scenario.
 */
function notAwaited(scenario: string): void {
  if (warned.has(scenario)) return;
  warned.add(scenario);
  process.stderr.write(
    `tickstorm run: warning: scenario ${scenario}: an iteration returned before its http.*(), sleep() or ws.connect() finished; here they return promises: write \`export default async function\` and \`await\` each (these iterations were not paced by them)\n`,
  );
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

const factory: ScriptFactory<ScriptParams> = async (ctx) => {
  const p = ctx.params;
  const rt = runtime();
  rt.tls = p.tls;
  const mod = await importScript(p.file, p.env);
  const fn = mod[p.exec];
  if (typeof fn !== 'function') throw new Error(`${p.file}: export '${p.exec}' is not a function`);
  for (const hook of rt.onEvents) hook(ctx.events, p.scenario);
  const counters = new Map<string, number>();
  const trends = new Map<string, LatencyRecorder>();
  const ictx: IterationContext[] = [];
  const stores: IterationStore[] = [];
  const data: unknown[] = [];
  const end: ScenarioEnd = { stopped: false, timers: new Set() };
  for (let v = 0; v < ctx.maxVUs; v++) {
    ictx.push({ vu: v + 1, iteration: 0, scenario: p.scenario, thread: ctx.worker.index });
    stores.push({
      events: ctx.events,
      counters,
      trends,
      intendedUs: 0,
      first: true,
      scenario: p.scenario,
      end,
      pending: 0,
    });
    if (p.withSetup === true) data.push(dataCopy(p.dataJson));
  }
  const call =
    p.withSetup === true
      ? (s: IterationStore, c: IterationContext): void | Promise<void> => {
          const r = rt.als.run(s, () => (fn as DataFn)(data[c.vu - 1], c)) as void | Promise<void>;
          if (s.pending > 0 && !(r instanceof Promise)) notAwaited(p.scenario);
          return r;
        }
      : (s: IterationStore, c: IterationContext): void | Promise<void> => {
          const r = rt.als.run(s, () => (fn as Fn)(c)) as void | Promise<void>;
          if (s.pending > 0 && !(r instanceof Promise)) notAwaited(p.scenario);
          return r;
        };
  const inner = iterations<null, ScriptParams>({
    iteration(it) {
      const s = stores[it.vu];
      s.intendedUs = it.intendedUs;
      s.first = true;
      const c = ictx[it.vu];
      c.iteration = it.n;
      const live = liveScenario(p.scenario);
      if (live === null && rt.sink === null) return call(s, c);
      return counted(live, p.scenario, () => call(s, c));
    },
    // the scenario is over (its iterations done, or gracefulStop ran out): abandon what is
    // left of its iterations (their sleeps, requests and sockets; not the other scenarios')
    teardown: async () => {
      end.stopped = true;
      for (const t of end.timers) clearTimeout(t);
      end.timers.clear();
      await closeWs(p.scenario);
      await closeHttp(p.scenario);
    },
    counters: () => {
      const out: Record<string, number> = Object.fromEntries(counters);
      trendsToCounters(trends, out);
      return out;
    },
  });
  const script = await inner(ctx);
  // the checks and custom metrics, followed live by a Prometheus exporter (RunOptions.sliceDetail)
  script.liveCounters = script.counters;
  return script;
};

export default factory;
