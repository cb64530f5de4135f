/**
 * What scenarios share around the generator core: running a worker-importable
 * script with the run context (threads, live slices, abort, per-request rows), the target
 * checks, the sending window rates are computed over, and small JSON calls to the target's
 * monitoring endpoints (the lab reaches the system only over the wire).
 */
import { redactParams } from '@tickstorm/protocol';
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import type { ExecutorOptions } from '../generator/executor-options.ts';
import { normalizeExecutor } from '../generator/executor-options.ts';
import { chooseWorkers, type RunOutcome, runScenario, segmentLoad } from '../generator/run-scenario.ts';
import { loadScript, type ScriptFactory } from '../generator/script.ts';
import type { ScenarioResult, TargetCheck } from '../model/result.ts';
import { nowUs, usToEpochMs } from '../util/clock.ts';
import type { ScenarioRunContext } from './scenario.ts';

export interface ScriptRunOptions {
  ctx: ScenarioRunContext<unknown>;
  name: string;
  executor: ExecutorOptions;
  /** The script module (default export = factory), importable by worker threads. */
  module: URL;
  params: Record<string, unknown>;
  /** Most threads the script can use (e.g. its connections, this segment's share); default unbounded. */
  maxWorkers?: number;
  /** Threads when ctx.workers is 'auto' (default: the core's choice from the rate). */
  autoWorkers?: number;
}

/**
 * Runs the script. Per-request rows (`ctx.rows`) need the request events in this thread, so
 * a run that writes them uses one generator thread (a warning says so when more were asked).
 */
export async function runScript(o: ScriptRunOptions): Promise<RunOutcome> {
  const ex = normalizeExecutor(o.executor);
  const asked = o.ctx.workers === 'auto' && o.autoWorkers !== undefined ? o.autoWorkers : o.ctx.workers;
  let workers = Math.max(
    1,
    Math.min(chooseWorkers(segmentLoad(ex, o.ctx.segment), asked), o.maxWorkers ?? Number.POSITIVE_INFINITY),
  );
  const notes: string[] = [];
  const rows = o.ctx.rows;
  if (rows !== undefined && workers > 1) {
    notes.push(
      `--results-csv (or --out) records every request in one place, so this scenario sent its load from 1 CPU core instead of ${workers}; if it fell short of the rate asked, run it without that flag`,
    );
    workers = 1;
  }
  let script: ScriptFactory | { module: string } = { module: o.module.href };
  if (rows !== undefined) {
    const inner = await loadScript<Record<string, unknown>>({ module: o.module.href });
    script = (sctx) => {
      sctx.events.on((ev) => {
        const endMs = usToEpochMs(ev.timeUs === 0 ? nowUs() : ev.timeUs);
        const latencyMs = ev.latencyUs / 1000;
        rows.write((endMs - latencyMs) / 1000, latencyMs, ev.ok, `${ev.type} ${ev.name}`, ev.status);
      });
      return inner(sctx);
    };
  }
  const out = await runScenario({
    name: o.name,
    executor: o.executor,
    script,
    params: o.params,
    workers,
    onSlice: o.ctx.onSlice,
    sliceDetail: o.ctx.sliceDetail,
    signal: o.ctx.signal,
    segment: o.ctx.segment,
  });
  out.result.generator.warnings.push(...notes);
  return out;
}

/** Seconds the planned load was actually spread over: the plan, or longer if the run ran late. */
export function windowSec(result: ScenarioResult, plannedMs: number): number {
  return Math.max(plannedMs / 1000, result.durationSec);
}

/** Sets the scenario's params (defaults filled), targets and figures on the result. */
export function finishResult(
  result: ScenarioResult,
  params: Record<string, unknown>,
  targets: TargetCheck[],
  extra: Record<string, unknown>,
): ScenarioResult {
  const seg = result.params.executionSegment;
  result.params = {
    ...redactParams(params),
    workers: result.generator.workers,
    ...(seg === undefined ? {} : { executionSegment: seg }),
  };
  result.targets = targets;
  Object.assign(result.extra, extra);
  return result;
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** A latency target "< limit ms"; fails (n/a) when nothing was measured. */
export function latencyTarget(name: string, ms: number, limitMs: number, samples: number): TargetCheck {
  const ok = samples > 0 && Number.isFinite(ms);
  return {
    name,
    target: `< ${limitMs} ms`,
    actual: ok ? `${round(ms, 3)} ms` : 'n/a (nothing measured)',
    value: ok ? round(ms, 3) : Number.NaN,
    unit: 'ms',
    pass: ok && ms < limitMs,
  };
}

/** A floor target ">= floor unit". */
export function atLeast(
  name: string,
  value: number,
  floor: number,
  unit: string,
  target?: string,
): TargetCheck {
  return {
    name,
    target: target ?? `>= ${fmt(floor)} ${unit}`,
    actual: Number.isFinite(value) ? `${fmt(value)} ${unit}` : 'n/a',
    value: Number.isFinite(value) ? round(value) : Number.NaN,
    unit,
    pass: Number.isFinite(value) && value >= floor,
  };
}

/** ", this segment's 1/2 of 1,000" for a part's share of a whole; '' for the whole test. */
export function partOf(total: number, seg: ExecutionSegment | undefined): string {
  return seg === undefined || seg.count === 1 ? '' : `, this segment's 1/${seg.count} of ${fmt(total)}`;
}

/** 100000 -> "100,000"; 12.345 -> "12.35". */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const r = Math.abs(x) >= 100 ? Math.round(x) : round(x);
  return r.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** GET `url` as JSON; undefined when it fails (a foreign target may lack the endpoint). */
export async function getJson(url: string, timeoutMs = 5000): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!r.ok) {
      await r.body?.cancel();
      return undefined;
    }
    const body = (await r.json()) as unknown;
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** POST with no body; true on a 2xx. */
export async function postEmpty(url: string, timeoutMs = 5000): Promise<boolean> {
  try {
    const r = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

/** Strips a trailing slash so paths can be appended. */
export function base(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
