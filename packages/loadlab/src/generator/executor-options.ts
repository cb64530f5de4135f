/**
 * Executors with k6's names, option names and shapes:
 *
 *   { executor: 'constant-arrival-rate', rate, timeUnit: '1s', duration: '30s', preAllocatedVUs, maxVUs }
 *   { executor: 'ramping-arrival-rate', startRate, timeUnit, stages: [{ target, duration }], preAllocatedVUs, maxVUs }
 *   { executor: 'constant-vus', vus, duration }
 *   { executor: 'ramping-vus', startVUs, stages, gracefulRampDown }
 *   { executor: 'shared-iterations', vus, iterations, maxDuration }   (iterations shared by the VUs)
 *   { executor: 'per-vu-iterations', vus, iterations, maxDuration }   (each VU runs `iterations`)
 *
 * plus k6's `gracefulStop` (default '30s': how long in-flight iterations may finish after the
 * end) and, for the closed model, a Locust-style `thinkTime` ('100ms' or { min, max }) that a
 * VU waits between iterations. Durations are k6 strings ('500ms', '10s', '5m', '1h').
 *
 * `validateExecutor` reports EVERY problem at once (k6 style); `normalizeExecutor` turns
 * valid options into milliseconds and rate segments, or throws ExecutorOptionsError.
 */
import { LabError, LabErrorCode } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';

export interface Stage {
  target: number;
  duration: string;
}
export type ThinkTime = string | { min: string; max: string };

interface Common {
  gracefulStop?: string;
}
export interface ConstantArrivalRate extends Common {
  executor: 'constant-arrival-rate';
  rate: number;
  timeUnit?: string;
  duration: string;
  preAllocatedVUs: number;
  maxVUs?: number;
}
export interface RampingArrivalRate extends Common {
  executor: 'ramping-arrival-rate';
  startRate?: number;
  timeUnit?: string;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs?: number;
}
export interface ConstantVus extends Common {
  executor: 'constant-vus';
  vus?: number;
  duration: string;
  thinkTime?: ThinkTime;
}
export interface RampingVus extends Common {
  executor: 'ramping-vus';
  startVUs?: number;
  stages: Stage[];
  gracefulRampDown?: string;
  thinkTime?: ThinkTime;
}
export interface SharedIterations extends Common {
  executor: 'shared-iterations';
  vus?: number;
  /** Iterations in all, shared by the VUs (default 1). */
  iterations?: number;
  /** The longest the run may take (default '10m'). */
  maxDuration?: string;
  thinkTime?: ThinkTime;
}
export interface PerVuIterations extends Common {
  executor: 'per-vu-iterations';
  vus?: number;
  /** Iterations each VU runs (default 1). */
  iterations?: number;
  maxDuration?: string;
  thinkTime?: ThinkTime;
}
export type ExecutorOptions =
  | ConstantArrivalRate
  | RampingArrivalRate
  | ConstantVus
  | RampingVus
  | SharedIterations
  | PerVuIterations;
export type ExecutorName = ExecutorOptions['executor'];

/** A piece of the arrival-rate curve: rate (iterations/s) moving linearly over `ms`. */
export interface RateSegment {
  from: number;
  to: number;
  ms: number;
}
/** A piece of the VU curve: VUs moving linearly over `ms`. */
export interface VuSegment {
  from: number;
  to: number;
  ms: number;
}

export type NormalizedExecutor =
  | {
      model: 'open';
      name: ExecutorName;
      segments: RateSegment[];
      preAllocatedVUs: number;
      maxVUs: number;
      totalMs: number;
      gracefulStopMs: number;
    }
  | {
      model: 'closed';
      name: ExecutorName;
      segments: VuSegment[];
      maxVUs: number;
      totalMs: number;
      gracefulStopMs: number;
      gracefulRampDownMs: number;
      thinkMinMs: number;
      thinkMaxMs: number;
      /** shared-iterations: iterations in all; per-vu-iterations: iterations per VU. */
      iterations?: { count: number; perVu: boolean };
    };

const KEYS: Record<ExecutorName, string[]> = {
  'constant-arrival-rate': ['rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'],
  'ramping-arrival-rate': ['startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'],
  'constant-vus': ['vus', 'duration', 'thinkTime'],
  'ramping-vus': ['startVUs', 'stages', 'gracefulRampDown', 'thinkTime'],
  'shared-iterations': ['vus', 'iterations', 'maxDuration', 'thinkTime'],
  'per-vu-iterations': ['vus', 'iterations', 'maxDuration', 'thinkTime'],
};
export const EXECUTORS = Object.keys(KEYS) as ExecutorName[];

/** Every problem with executor options (LAB_ERR_INVALID_EXECUTOR_OPTIONS, exit 104). */
export class ExecutorOptionsError extends LabError {
  declare readonly problems: string[];
  constructor(problems: string[]) {
    super(
      LabErrorCode.INVALID_EXECUTOR_OPTIONS,
      `invalid executor options:\n  - ${problems.join('\n  - ')}`,
      {
        problems,
      },
    );
    this.name = 'ExecutorOptionsError';
  }
}

type Obj = Record<string, unknown>;
const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** Every problem with `opts`, k6 style; empty when valid. */
export function validateExecutor(opts: unknown): string[] {
  const p: string[] = [];
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    return ['executor options must be an object'];
  const o = opts as Obj;
  const name = o.executor as ExecutorName;
  if (!EXECUTORS.includes(name)) {
    return [`executor must be one of ${EXECUTORS.join(', ')} (got ${show(o.executor)})`];
  }
  const allowed = new Set(['executor', 'gracefulStop', ...KEYS[name]]);
  for (const k of Object.keys(o)) if (!allowed.has(k)) p.push(`${name}: unknown option '${k}'`);
  const num = (k: string, required: boolean, min: number, integer: boolean, above = false) => {
    const v = o[k];
    if (v === undefined) {
      if (required) p.push(`${name}: ${k} is required`);
      return;
    }
    const low = above ? v === min || (v as number) < min : (v as number) < min;
    if (typeof v !== 'number' || !Number.isFinite(v) || low || (integer && !Number.isInteger(v))) {
      p.push(
        `${name}: ${k} must be ${integer ? 'an integer' : 'a number'} ${above ? '>' : '>='} ${min} (got ${show(v)})`,
      );
    }
  };
  const dur = (k: string, required: boolean, positive: boolean) => {
    const v = o[k];
    if (v === undefined) {
      if (required) p.push(`${name}: ${k} is required`);
      return;
    }
    const ms = typeof v === 'string' ? parseDuration(v) : Number.NaN;
    if (Number.isNaN(ms))
      p.push(`${name}: ${k} must be a duration like '500ms', '10s', '5m' (got ${show(v)})`);
    else if (positive && ms <= 0) p.push(`${name}: ${k} must be longer than 0 (got ${show(v)})`);
  };
  dur('gracefulStop', false, false);
  if (name === 'constant-arrival-rate' || name === 'ramping-arrival-rate') {
    if (name === 'constant-arrival-rate') {
      num('rate', true, 0, false, true);
      dur('duration', true, true);
    } else {
      num('startRate', false, 0, false);
      stages(o, name, false, p);
    }
    dur('timeUnit', false, true);
    num('preAllocatedVUs', true, 1, true);
    num('maxVUs', false, 1, true);
    const pre = o.preAllocatedVUs;
    const max = o.maxVUs;
    if (Number.isInteger(pre) && Number.isInteger(max) && (max as number) < (pre as number)) {
      p.push(`${name}: maxVUs (${max}) must be >= preAllocatedVUs (${pre})`);
    }
  } else {
    if (name === 'constant-vus') {
      num('vus', false, 1, true);
      dur('duration', true, true);
    } else if (name === 'shared-iterations' || name === 'per-vu-iterations') {
      num('vus', false, 1, true);
      num('iterations', false, 1, true);
      dur('maxDuration', false, true);
      if (
        name === 'shared-iterations' &&
        Number.isInteger(o.vus) &&
        Number.isInteger(o.iterations) &&
        (o.iterations as number) < (o.vus as number)
      )
        p.push(`${name}: iterations (${o.iterations}) must be >= vus (${o.vus})`);
    } else {
      num('startVUs', false, 0, true);
      stages(o, name, true, p);
      dur('gracefulRampDown', false, false);
    }
    thinkTime(o.thinkTime, name, p);
  }
  return p;
}

function stages(o: Obj, name: string, integer: boolean, p: string[]): void {
  const s = o.stages;
  if (!Array.isArray(s) || s.length === 0) {
    p.push(`${name}: stages must be a non-empty array of { target, duration }`);
    return;
  }
  let total = 0;
  s.forEach((st: unknown, i) => {
    const x = (st ?? {}) as Obj;
    const t = x.target;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || (integer && !Number.isInteger(t))) {
      p.push(
        `${name}: stages[${i}].target must be ${integer ? 'an integer' : 'a number'} >= 0 (got ${show(t)})`,
      );
    }
    const ms = typeof x.duration === 'string' ? parseDuration(x.duration) : Number.NaN;
    if (Number.isNaN(ms))
      p.push(`${name}: stages[${i}].duration must be a duration like '10s' (got ${show(x.duration)})`);
    else total += ms;
    for (const k of Object.keys(x))
      if (k !== 'target' && k !== 'duration') p.push(`${name}: stages[${i}]: unknown option '${k}'`);
  });
  if (total <= 0 && !p.some((m) => m.includes('stages[')))
    p.push(`${name}: the stages must last longer than 0`);
}

function thinkTime(v: unknown, name: string, p: string[]): void {
  if (v === undefined) return;
  if (typeof v === 'string') {
    if (Number.isNaN(parseDuration(v)))
      p.push(`${name}: thinkTime must be a duration or { min, max } (got ${show(v)})`);
    return;
  }
  const x = (v ?? {}) as Obj;
  const min = typeof x.min === 'string' ? parseDuration(x.min) : Number.NaN;
  const max = typeof x.max === 'string' ? parseDuration(x.max) : Number.NaN;
  if (Number.isNaN(min) || Number.isNaN(max))
    p.push(`${name}: thinkTime { min, max } must hold two durations (got ${show(v)})`);
  else if (max < min) p.push(`${name}: thinkTime.max must be >= thinkTime.min`);
}

/** Valid options in milliseconds and segments; throws ExecutorOptionsError listing every problem. */
export function normalizeExecutor(opts: ExecutorOptions): NormalizedExecutor {
  const problems = validateExecutor(opts);
  if (problems.length > 0) throw new ExecutorOptionsError(problems);
  const gracefulStopMs = parseDuration(opts.gracefulStop ?? '30s');
  const toSegments = (start: number, st: Stage[], scale: number) => {
    let from = start;
    return st.map((s) => {
      const seg = { from: from * scale, to: s.target * scale, ms: parseDuration(s.duration) };
      from = s.target;
      return seg;
    });
  };
  const sum = (segs: { ms: number }[]) => segs.reduce((a, s) => a + s.ms, 0);
  if (opts.executor === 'constant-arrival-rate' || opts.executor === 'ramping-arrival-rate') {
    const perSec = 1000 / parseDuration(opts.timeUnit ?? '1s');
    const segments =
      opts.executor === 'constant-arrival-rate'
        ? [{ from: opts.rate * perSec, to: opts.rate * perSec, ms: parseDuration(opts.duration) }]
        : toSegments(opts.startRate ?? 0, opts.stages, perSec);
    const pre = opts.preAllocatedVUs;
    return {
      model: 'open',
      name: opts.executor,
      segments,
      preAllocatedVUs: pre,
      maxVUs: opts.maxVUs ?? pre,
      totalMs: sum(segments),
      gracefulStopMs,
    };
  }
  let iterations: { count: number; perVu: boolean } | undefined;
  let segments: VuSegment[];
  if (opts.executor === 'constant-vus')
    segments = [{ from: opts.vus ?? 1, to: opts.vus ?? 1, ms: parseDuration(opts.duration) }];
  else if (opts.executor === 'shared-iterations' || opts.executor === 'per-vu-iterations') {
    const vus = opts.vus ?? 1;
    segments = [{ from: vus, to: vus, ms: parseDuration(opts.maxDuration ?? '10m') }];
    iterations = { count: opts.iterations ?? 1, perVu: opts.executor === 'per-vu-iterations' };
  } else segments = toSegments(opts.startVUs ?? 1, opts.stages, 1);
  const tt = opts.thinkTime;
  const thinkMinMs = tt === undefined ? 0 : parseDuration(typeof tt === 'string' ? tt : tt.min);
  const thinkMaxMs = tt === undefined ? 0 : parseDuration(typeof tt === 'string' ? tt : tt.max);
  const maxVUs = Math.max(...segments.map((s) => Math.max(s.from, s.to)));
  const gracefulRampDownMs = parseDuration((opts as RampingVus).gracefulRampDown ?? '30s');
  return {
    model: 'closed',
    name: opts.executor,
    segments,
    maxVUs,
    totalMs: sum(segments),
    gracefulStopMs,
    gracefulRampDownMs,
    thinkMinMs,
    thinkMaxMs,
    ...(iterations === undefined ? {} : { iterations }),
  };
}
