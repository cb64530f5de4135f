/**
 * k6's execution shortcuts on the command line, over a script's options (as k6's CLI options
 * override the script's):
 *
 *   tickstorm run load.js --vus 5 --duration 30s        one 'default' constant-vus scenario
 *   tickstorm run load.js --iterations 30 --vus 3       shared-iterations (maxDuration = --duration)
 *   tickstorm run load.js -s 10s:5 -s 20s:0             ramping-vus (startVUs = --vus, else 1)
 *
 * Any of --duration/--iterations/--stage replaces the script's execution options (its
 * `scenarios`, or its own vus/duration/iterations/stages) with one 'default' scenario derived
 * from the flags as options.ts derives the shortcuts; its VUs are --vus, else the script's
 * top-level `vus`, else 1. Over a script of shortcuts the merge is k6's, option by option:
 * --duration keeps the script's `iterations` and --iterations its `duration` (shared-iterations
 * with that maxDuration). --vus alone overrides the script's top-level `vus`; over a script
 * that defines `scenarios` it is a problem (there is no one VU count to set).
 */
import { parseDuration } from '../util/duration.ts';

export interface ExecutionShortcuts {
  vus?: number;
  duration?: string;
  iterations?: number;
  stages?: { duration: string; target: number }[];
}

/** The flags as given (strings; --stage repeatable, each value may also be D:T,D:T). */
export interface ExecutionFlags {
  vus?: string;
  duration?: string;
  iterations?: string;
  stage?: readonly string[];
}

const positiveInt = (s: string) => /^\d+$/.test(s.trim()) && Number(s) > 0;

/**
 * Checks the flags (every problem at once, each starting with the flag's name): the
 * shortcuts, or undefined when none was given.
 */
export function parseExecutionFlags(f: ExecutionFlags, problems: string[]): ExecutionShortcuts | undefined {
  const out: ExecutionShortcuts = {};
  if (f.vus !== undefined) {
    if (positiveInt(f.vus)) out.vus = Number(f.vus);
    else problems.push(`--vus must be a positive integer (got '${f.vus}')`);
  }
  if (f.iterations !== undefined) {
    if (positiveInt(f.iterations)) out.iterations = Number(f.iterations);
    else problems.push(`--iterations must be a positive integer (got '${f.iterations}')`);
  }
  if (f.duration !== undefined) {
    const ms = parseDuration(f.duration);
    if (Number.isNaN(ms) || ms <= 0)
      problems.push(`--duration must be a duration like 30s, 5m, 1h30m (got '${f.duration}')`);
    else out.duration = f.duration.trim();
  }
  if (f.stage !== undefined && f.stage.length > 0) {
    const stages: { duration: string; target: number }[] = [];
    for (const one of f.stage.flatMap((v) => v.split(','))) {
      const m = /^([^:]+):(\d+)$/.exec(one.trim());
      const ms = m === null ? Number.NaN : parseDuration(m[1]);
      if (m === null || Number.isNaN(ms))
        problems.push(
          `--stage must be DURATION:TARGET like 30s:10 (a duration, then the VUs to reach; got '${one}')`,
        );
      else stages.push({ duration: m[1].trim(), target: Number(m[2]) });
    }
    if (stages.length > 0 && stages.every((s) => parseDuration(s.duration) === 0))
      problems.push('--stage: the stages must last longer than 0');
    out.stages = stages;
  }
  if (f.stage !== undefined && f.stage.length > 0)
    for (const k of ['iterations', 'duration'] as const)
      if (f[k] !== undefined)
        problems.push(`--${k} cannot be combined with --stage (as in k6: the stages set the run's length)`);
  return Object.keys(out).length === 0 ? undefined : out;
}

/** True when the shortcuts replace the script's scenarios (any of duration, iterations, stages). */
export function replacesScenarios(s: ExecutionShortcuts | undefined): boolean {
  return (
    s !== undefined && (s.duration !== undefined || s.iterations !== undefined || s.stages !== undefined)
  );
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The script's raw options with the shortcuts applied: the options to parse, the names of the
 * script's scenarios they replaced, and the problems (--vus alone over `scenarios`).
 */
export function applyExecutionShortcuts(
  raw: unknown,
  s: ExecutionShortcuts | undefined,
): { raw: unknown; replaced: string[]; problems: string[] } {
  if (s === undefined || (raw !== undefined && !isObj(raw))) return { raw, replaced: [], problems: [] };
  const o: Record<string, unknown> = { ...(raw ?? {}) };
  const named = isObj(o.scenarios) ? Object.keys(o.scenarios) : [];
  if (!replacesScenarios(s)) {
    if (o.scenarios !== undefined)
      return {
        raw,
        replaced: [],
        problems: [
          `--vus alone cannot apply to a script that defines options.scenarios (${named.join(', ')}): each sets its own VUs; add --duration or --iterations, which replace the scenarios with one`,
        ],
      };
    return { raw: { ...o, vus: s.vus }, replaced: [], problems: [] };
  }
  const vus = s.vus ?? o.vus;
  // k6 merges option by option: over a script of shortcuts (no `scenarios`), -d keeps the
  // script's `iterations` (shared-iterations, -d its maxDuration) and -i keeps its `duration`
  // (the maxDuration); --stage sets the length itself, so it keeps neither
  const keep =
    o.scenarios === undefined && s.stages === undefined
      ? { duration: s.iterations !== undefined ? o.duration : undefined, iterations: o.iterations }
      : {};
  for (const k of ['scenarios', 'vus', 'duration', 'iterations', 'stages']) delete o[k];
  if (vus !== undefined) o.vus = vus;
  const duration = s.duration ?? keep.duration;
  const iterations = s.iterations ?? keep.iterations;
  if (duration !== undefined) o.duration = duration;
  if (iterations !== undefined) o.iterations = iterations;
  if (s.stages !== undefined) o.stages = s.stages.map((x) => ({ ...x }));
  return { raw: o, replaced: named, problems: [] };
}

/** The one-line note when the flags replaced named scenarios (k6 users missed it: grafana/k6#3741). */
export function replacedNote(replaced: readonly string[]): string | undefined {
  if (replaced.length === 0) return undefined;
  const list = replaced.map((n) => `'${n}'`).join(', ');
  return `note: --duration/--iterations/--stage replace the script's scenario${replaced.length > 1 ? 's' : ''} ${list} with one 'default' scenario`;
}
