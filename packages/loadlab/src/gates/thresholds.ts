/**
 * CI gates: k6-style thresholds (syntax in threshold-parse.ts), from `--threshold` flags and/or
 * a JSON config file `{"thresholds": ["p95<100ms", ...]}`, evaluated against a finished run,
 * and k6's exit codes: 0 all passed, 99 a threshold or a scenario target failed, 104 invalid
 * configuration (or invalid input).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { EntryStats, RunReport, ScenarioResult } from '../model/result.ts';
import { EXIT_INVALID_CONFIG, EXIT_OK, EXIT_THRESHOLDS_FAILED } from './exit-codes.ts';
import { parseThresholds, type Threshold } from './threshold-parse.ts';

export * from './exit-codes.ts';
export {
  type MetricKind,
  type Operator,
  parseThreshold,
  parseThresholds,
  type Threshold,
} from './threshold-parse.ts';

/** One checked threshold; assignable to RunReport['thresholds'][number]. */
export interface ThresholdResult {
  expression: string;
  /** Metric with its scope, e.g. "p95{scenario:order-stress,name:POST /orders}". */
  metric: string;
  actual: number;
  pass: boolean;
  scenario: string;
  name?: string;
  message: string;
}

/** Reads `{"thresholds": [...]}`; problems name the file. */
export function loadThresholdFile(path: string): { expressions: string[]; problems: string[] } {
  if (!existsSync(path)) return { expressions: [], problems: [`threshold config ${path}: no such file`] };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return {
      expressions: [],
      problems: [`threshold config ${path}: not valid JSON (${(err as Error).message})`],
    };
  }
  const list = (doc as { thresholds?: unknown } | null)?.thresholds;
  if (!Array.isArray(list)) {
    return {
      expressions: [],
      problems: [`threshold config ${path}: expected {"thresholds": ["p95<100ms", ...]}`],
    };
  }
  const expressions: string[] = [];
  const problems: string[] = [];
  list.forEach((x, i) => {
    if (typeof x === 'string') expressions.push(x);
    else problems.push(`threshold config ${path}: thresholds[${i}] is not a string`);
  });
  return { expressions, problems };
}

/** `--threshold` flags plus config files, parsed together; every problem reported. */
export function gatherThresholds(flags: readonly string[], files: readonly string[] = []) {
  const fromFiles = files.map(loadThresholdFile);
  const parsed = parseThresholds([...flags, ...fromFiles.flatMap((f) => f.expressions)]);
  return {
    thresholds: parsed.thresholds,
    problems: [...fromFiles.flatMap((f) => f.problems), ...parsed.problems],
  };
}

/** Scenario ids a threshold names that a run does not have (check before running: exit 104). */
export function unknownScenarios(thresholds: readonly Threshold[], scenarioIds: readonly string[]): string[] {
  return thresholds
    .filter((t) => t.scope.scenario !== undefined && !scenarioIds.includes(t.scope.scenario))
    .map((t) => `threshold ${JSON.stringify(t.expression)}: no scenario "${t.scope.scenario}" in this run`);
}

type Subject = Pick<EntryStats, 'requests' | 'failures' | 'rps' | 'latency_ms'>;

function measure(t: Threshold, s: Subject): number {
  switch (t.kind) {
    case 'latency':
      return s.latency_ms[t.stat ?? 'p95'];
    case 'error_rate':
      return s.requests > 0 ? s.failures / s.requests : 0;
    case 'success_rate':
      return s.requests > 0 ? 1 - s.failures / s.requests : 1;
    case 'rps':
      return s.rps;
    case 'requests':
      return s.requests;
    case 'failures':
      return s.failures;
  }
}

function compare(actual: number, op: Threshold['op'], limit: number): boolean {
  const eps = 1e-9 * Math.max(1, Math.abs(limit));
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit + eps;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit - eps;
    case '==':
      return Math.abs(actual - limit) <= eps;
    case '!=':
      return Math.abs(actual - limit) > eps;
  }
}

function show(t: Threshold, v: number): string {
  if (t.kind === 'latency') return `${+v.toFixed(3)} ms`;
  if (t.kind === 'error_rate' || t.kind === 'success_rate') return `${+(v * 100).toFixed(4)}%`;
  return String(+v.toFixed(2));
}

function matches(e: EntryStats, name: string): boolean {
  return e.name === name || `${e.type} ${e.name}` === name;
}

function result(
  t: Threshold,
  s: ScenarioResult,
  subject: Subject | undefined,
  name?: string,
): ThresholdResult {
  const tags = [`scenario:${s.scenario}`, ...(name === undefined ? [] : [`name:${name}`])].join(',');
  const base = { expression: t.expression, metric: `${t.metric}{${tags}}`, scenario: s.scenario };
  const named = name === undefined ? {} : { name };
  if (subject === undefined) {
    return {
      ...base,
      ...named,
      actual: Number.NaN,
      pass: false,
      message: `no request named "${t.scope.name}" in ${s.scenario}`,
    };
  }
  if (t.kind === 'latency' && subject.requests === 0) {
    return {
      ...base,
      ...named,
      actual: Number.NaN,
      pass: false,
      message: `no requests in ${s.scenario}: no latency to check`,
    };
  }
  const actual = measure(t, subject);
  const pass = compare(actual, t.op, t.value);
  const message = `${t.metric} = ${show(t, actual)}, wanted ${t.op} ${show(t, t.value)} (${s.scenario}${name === undefined ? '' : `, ${name}`})`;
  return { ...base, ...named, actual, pass, message };
}

/** Checks every threshold against every scenario (and request name) it applies to. */
export function evaluateThresholds(report: RunReport, thresholds: readonly Threshold[]): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const t of thresholds) {
    const before = out.length;
    const scenarios = report.scenarios.filter(
      (s) => t.scope.scenario === undefined || s.scenario === t.scope.scenario,
    );
    if (scenarios.length === 0) {
      out.push({
        expression: t.expression,
        metric: t.metric,
        actual: Number.NaN,
        pass: false,
        scenario: t.scope.scenario ?? '',
        message: `no scenario "${t.scope.scenario}" in this run`,
      });
      continue;
    }
    for (const s of scenarios) {
      const name = t.scope.name;
      if (name === undefined) {
        out.push(result(t, s, s));
        continue;
      }
      const entries = s.entries.filter((e) => matches(e, name));
      if (entries.length === 0 && t.scope.scenario !== undefined) out.push(result(t, s, undefined, name));
      for (const e of entries) out.push(result(t, s, e, name));
    }
    if (out.length === before) {
      out.push({
        ...result(t, scenarios[0], undefined, t.scope.name),
        message: `no request named "${t.scope.name}" in any scenario`,
      });
    }
  }
  return out;
}

export interface ExitCodeOptions {
  /** Configuration problems (from parsing): any -> 104. */
  problems?: readonly string[];
  /** Count resource-watch limits (< 2 GB, < 80% CPU) as targets (default false). */
  resources?: boolean;
}

/** k6's codes: 104 invalid configuration, 99 a threshold or scenario target failed, else 0. */
export function exitCodeFor(report: RunReport, opts: ExitCodeOptions = {}): number {
  if ((opts.problems?.length ?? 0) > 0) return EXIT_INVALID_CONFIG;
  if (report.thresholds.some((t) => !t.pass)) return EXIT_THRESHOLDS_FAILED;
  if (report.scenarios.some((s) => s.targets.some((t) => !t.pass))) return EXIT_THRESHOLDS_FAILED;
  if (opts.resources === true && report.scenarios.some((s) => s.resources?.peaks.some((p) => !p.pass))) {
    return EXIT_THRESHOLDS_FAILED;
  }
  return EXIT_OK;
}

/** Evaluates thresholds into the report (report.thresholds, report.exitCode) and returns it. */
export function applyThresholds(
  report: RunReport,
  thresholds: readonly Threshold[],
  opts: ExitCodeOptions = {},
): RunReport {
  report.thresholds = evaluateThresholds(report, thresholds);
  report.exitCode = exitCodeFor(report, opts);
  return report;
}
