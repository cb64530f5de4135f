/**
 * What an executor drives. A script is a factory, called once per thread before the run,
 * that returns a VuScript: `start(vu, intendedUs)` begins one iteration on VU slot `vu`
 * (open model: an in-flight slot; closed model: a looping VU), and the script calls
 * `ctx.done(vu)` exactly once when that iteration is over. Callbacks, not promises: a
 * client can finish an iteration from its socket callback without allocating. Scripts emit
 * RequestEvents with latency measured from `intendedUs` (the absolute schedule in the open
 * model; the actual start in the closed model).
 *
 * For workers the factory must be importable: pass `{ module: new URL('./x.ts', import.meta.url) }`
 * whose export (default: `default`) is the factory. `iterations({...})` adapts an async
 * `iteration(it)` function to the callback protocol.
 */
import { LabError, LabErrorCode } from '../errors.ts';
import type { RequestEvents } from '../stats/events.ts';
import type { SparseCounts } from '../stats/recorder.ts';
import type { NormalizedExecutor } from './executor-options.ts';

export interface ScriptContext<P = Record<string, unknown>> {
  params: P;
  /** Emit request events here; this thread's RequestStats listens. */
  events: RequestEvents;
  model: 'open' | 'closed';
  /** VU slots this thread may use: 0 .. maxVUs - 1 (lowest slots are used first). */
  maxVUs: number;
  /** Slots the executor expects to need (open model: preAllocatedVUs' share). */
  preAllocatedVUs: number;
  /** This thread's place among the generator threads. */
  worker: { index: number; count: number };
  /** The executor (normalised, whole run; this thread runs its share). */
  executor: NormalizedExecutor;
  /** The run's start (epoch ms), set when the thread starts running (undefined before). */
  startEpochMs?: number;
  /**
   * Ends the iteration running on `vu` (exactly once per `start`). `atUs`: the lab-clock time
   * the caller already read for this moment (a client's one clock read per socket read), so a
   * closed-model VU's next iteration starts at that time without another clock read.
   */
  done(vu: number, atUs?: number): void;
  /** Reports an iteration that failed with an exception (then call `done`). */
  error(err: unknown): void;
  /**
   * Ends this thread's run now (k6's exec.test.abort()): no iteration starts any more, and
   * those in flight, the caller's included, are interrupted: the script is closed at once and
   * must leave them unended (`done` for them counts for nothing). `reason` goes to the outcome.
   */
  halt?(reason?: string): void;
}

export interface VuScript {
  /** Begins one iteration on VU slot `vu`, intended at `intendedUs` (lab clock, util/clock.ts). */
  start(vu: number, intendedUs: number): void;
  /** End of the run: close connections. Iterations still in flight are abandoned (interrupted). */
  close?(): Promise<void> | void;
  /**
   * Abandons the iteration running on VU slot `vu` (k6's hard stop of a ramped-down VU, when its
   * gracefulRampDown runs out): what it has out is cut, and `ctx.done` is never called for it.
   * The executor frees the slot; a later `start(vu)` is a new iteration. Without it a ramped-down
   * VU's iteration runs to its end.
   */
  interrupt?(vu: number): void;
  /** Counters summed over threads into ScenarioResult.extra (e.g. { ticksSent }). */
  counters?(): Record<string, number>;
  /**
   * Counters a live consumer follows (a script's checks and custom metrics), cumulative: read
   * as each second closes when the run records slice detail (what moved goes with the second).
   */
  liveCounters?(): Record<string, number>;
  /**
   * The counters so far as `counters` has them, but for the Trends: each one's recorder counts
   * apart (a run --worker's part so far reads them every 2 s; written into counters, one key per
   * bucket, a Trend's thousands of buckets cost far more to build and read back).
   */
  metricsSoFar?(): { counters: Record<string, number>; trends: [string, SparseCounts][] };
  /** Open model: called each time an iteration is dropped (no free VU), as it happens. */
  dropped?(): void;
  /**
   * The executor's VUs (ExecutorBase.vus), at the run's start, then once a second while it
   * goes: sample n in epoch second `epochSec` = the run's start second + n. Null once after
   * its end (`epochSec`: the second after the one it ended in), before `counters` is read.
   */
  vus?(v: { active: number; allocated: number } | null, epochSec: number): void;
}

export type ScriptFactory<P = Record<string, unknown>> = (
  ctx: ScriptContext<P>,
) => VuScript | Promise<VuScript>;

/** A factory that worker threads can import. */
export interface ScriptModuleRef {
  module: string | URL;
  /** Export name of the factory (default 'default'). */
  export?: string;
}

export function isModuleRef(s: unknown): s is ScriptModuleRef {
  return typeof s === 'object' && s !== null && 'module' in s;
}

/** Loads a factory from a module reference. */
export async function loadScript<P>(ref: ScriptModuleRef): Promise<ScriptFactory<P>> {
  const href = ref.module instanceof URL ? ref.module.href : ref.module;
  const mod = (await import(href)) as Record<string, unknown>;
  const f = mod[ref.export ?? 'default'];
  if (typeof f !== 'function')
    throw new LabError(
      LabErrorCode.SCRIPT_LOAD,
      `${href}: export '${ref.export ?? 'default'}' is not a script factory`,
    );
  return f as ScriptFactory<P>;
}

/** One running iteration, handed to `iterations()`'s function (one object per VU, reused). */
export interface Iteration<S, P = Record<string, unknown>> {
  vu: number;
  /** Intended start on the lab clock (µs): measure latency from here. */
  intendedUs: number;
  /** Iterations this VU has started (0-based). */
  n: number;
  state: S;
  ctx: ScriptContext<P>;
}

export interface IterationsDef<S, P> {
  /** Once per thread: connect clients, prebuild requests. */
  setup?(ctx: ScriptContext<P>): S | Promise<S>;
  iteration(it: Iteration<S, P>): void | Promise<void>;
  teardown?(state: S): void | Promise<void>;
  /** VuScript.interrupt: the iteration's promise must then never settle. */
  interrupt?(vu: number): void;
  counters?(state: S): Record<string, number>;
}

/** Adapts an async iteration function to the VuScript protocol (one promise per iteration). */
export function iterations<S, P = Record<string, unknown>>(def: IterationsDef<S, P>): ScriptFactory<P> {
  return async (ctx) => {
    const state = (def.setup ? await def.setup(ctx) : undefined) as S;
    const its: Iteration<S, P>[] = [];
    const ends: (() => void)[] = [];
    const fails: ((e: unknown) => void)[] = [];
    for (let v = 0; v < ctx.maxVUs; v++) {
      its.push({ vu: v, intendedUs: 0, n: 0, state, ctx });
      ends.push(() => ctx.done(v));
      fails.push((e: unknown) => {
        ctx.error(e);
        ctx.done(v);
      });
    }
    return {
      start(vu, intendedUs) {
        const it = its[vu];
        it.intendedUs = intendedUs;
        let r: void | Promise<void>;
        try {
          r = def.iteration(it);
        } catch (e) {
          it.n++;
          fails[vu](e);
          return;
        }
        it.n++;
        if (r instanceof Promise) r.then(ends[vu], fails[vu]);
        else ends[vu]();
      },
      close: () => def.teardown?.(state),
      interrupt: def.interrupt,
      counters: def.counters ? () => def.counters!(state) : undefined,
    };
  };
}
