/**
 * `tickstorm run FILE.ts|FILE.js`: runs a k6-style script (options + default function).
 *
 *   const r = await runScriptFile({ file: '/abs/load.ts', version: '0.1.0', files: { json: 'out.json' } });
 *   process.exitCode = r.exitCode;
 *
 * Order: the file, TLS and -e/--env flags are checked; the script is imported in this thread
 * with the built-in modules registered and __ENV set (a throw, a syntax error or no default
 * function: exit 107); `options` and every threshold are validated against the metrics the
 * script declared (exit 104 with every problem); setup(), when exported, runs once here
 * (lifecycle.ts; a throw, a timeout or data JSON cannot carry: exit 107, nothing else runs);
 * the scenarios run at the same time (each from its startTime) on the lab's executors, their
 * functions called as fn(data, ctx) when there is a setup(), else fn(ctx); thresholds with
 * abortOnFail are checked each second and stop the run (exit 108); teardown(data) runs once
 * after them, however they ended; the summary is k6's metrics, the thresholds, and the lab's
 * blocks per scenario, or what the script's handleSummary(data) returns (handle-summary.ts).
 * Exit: 0 passed, 99 a threshold failed, 105 interrupted, 107 teardown() or handleSummary()
 * failed (when nothing else did), 1 the run could not finish.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve as resolvePath } from 'node:path';
import { loadCaFile } from '../clients/tls-options.ts';
import {
  EXIT_ABORTED,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  EXIT_THRESHOLD_ABORTED,
  EXIT_THRESHOLDS_FAILED,
} from '../gates/exit-codes.ts';
import type { Threshold } from '../gates/threshold-parse.ts';
import { evaluateThresholds, gatherThresholds, type ThresholdResult } from '../gates/thresholds.ts';
import { type ExecutionSegment, segmentLabel } from '../generator/execution-segment.ts';
import { type RunOutcome, runScenario } from '../generator/run-scenario.ts';
import type {
  RunReport,
  ScenarioResult,
  ScriptMetricsSection,
  ScriptThresholdResult,
} from '../model/result.ts';
import { startLoadMetricsServer } from '../monitor/prometheus-exporter.ts';
import { renderScenarioBlock } from '../report/console.ts';
import { K6JsonOut, parseOut } from '../report/k6-json-out.ts';
import { renderSampleResults } from '../report/locust-table.ts';
import { createProgress, type ProgressOptions } from '../report/progress.ts';
import { type ReportFiles, writeReports } from '../report/write-reports.ts';
import { problemsText, thresholdLines } from '../run/run-output.ts';
import type { RequestEvents } from '../stats/events.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { nowUs, usToEpochMs } from '../util/clock.ts';
import { importScript, type ScriptParams } from './factory.ts';
import { runHandleSummary, type SummaryOptions, summaryData } from './handle-summary.ts';
import {
  allMetrics,
  evaluateK6,
  type K6Threshold,
  type K6ThresholdResult,
  type MetricPart,
  type MetricValues,
  MetricView,
  parseK6Thresholds,
} from './k6-metrics.ts';
import { callLifecycle, dataCopy, dataText, parseEnvFlags } from './lifecycle.ts';
import { parseScriptOptions, type ScriptScenario } from './options.ts';
import { type LiveScenario, type MetricKind, runtime, trendsToCounters } from './runtime.ts';
import { scriptErrorText } from './script-error.ts';
import { scriptSection, thresholdRows } from './script-section.ts';

export const SCRIPT_EXTENSIONS = ['.ts', '.js', '.mjs', '.mts'];

/** True when a `run` operand names a script file rather than a scenario id. */
export function isScriptOperand(operand: string): boolean {
  return SCRIPT_EXTENSIONS.includes(extname(operand)) || operand.includes('/') || operand.includes('\\');
}

export interface ScriptTlsInput {
  insecure?: boolean;
  /** --ca FILE: PEM certificates to trust besides the system's. */
  caFile?: string;
}

export interface ScriptRunInput {
  file: string;
  /** Generator threads (default 1; abortOnFail thresholds need 1). */
  workers?: number | 'auto';
  /** --threshold flags: the lab's strings. */
  thresholds?: readonly string[];
  /** --json (k6's summary + the lab's results), --csv, --html, --junit. */
  files?: ReportFiles;
  /** --out values (json=FILE: k6's JSON lines). */
  outputs?: readonly string[];
  tls?: ScriptTlsInput;
  version: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
  progress?: ProgressOptions;
  signal?: AbortSignal;
  /** Run only this part of every scenario's load (default: the whole). */
  segment?: ExecutionSegment;
  /** --metrics-port / --out prometheus[=PORT]: the generator's /metrics while it runs (0 = a free port). */
  metricsPort?: number;
  /** -e/--env KEY=VALUE flags (repeatable): the script's __ENV is the environment with these over it. */
  env?: readonly string[];
  /**
   * setup() already ran elsewhere (a `run --master`, for its workers): its data, `withSetup`
   * when the script exports setup(); this run calls neither setup() nor teardown().
   */
  lifecycle?: { withSetup: boolean; dataJson?: string };
}

export interface ScriptSummary {
  tool: 'tickstorm';
  version: string;
  script: string;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** HTTP requests made (k6's http_reqs count). */
  requests: number;
  metrics: Record<string, MetricValues>;
  checks: { name: string; passes: number; fails: number }[];
  thresholds: ScriptThresholdResult[];
  /** The lab's thresholds (--threshold, or options.thresholds as an array of strings). */
  labThresholds: ThresholdResult[];
  abortedBy?: string;
  scenarios: ScenarioResult[];
  /**
   * The script's metrics as sums and encoded histograms, and its options.thresholds as
   * checked (the report's `script` section): what `tickstorm merge` adds up and re-checks.
   */
  scriptMetrics?: ScriptMetricsSection;
}

export interface ScriptRunResult {
  exitCode: number;
  summary: ScriptSummary | null;
  /** The lab's report of the run, with its script metrics (`script`): what a master merges. */
  report: RunReport | null;
  written: string[];
}

const INTERNAL_KEY = /^(trend:|metric:|check:)/;

/** A script loaded and validated, ready to run. */
interface LoadedScript {
  file: string;
  parsed: ReturnType<typeof parseScriptOptions>;
  k6: ReturnType<typeof parseK6Thresholds>;
  lab: ReturnType<typeof gatherThresholds>;
  workers: number | 'auto';
  aborting: K6Threshold[];
  outFiles: ReturnType<typeof parseOut>;
  ca: ReturnType<typeof loadCaFile>;
  mod: Record<string, unknown>;
  /** The -e/--env flags, parsed. */
  env: Record<string, string>;
}

/** Checks the file and TLS flags, imports the script, validates its options and thresholds. */
async function loadScript(input: ScriptRunInput): Promise<LoadedScript | { exitCode: number }> {
  const err = input.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const cmd = 'tickstorm run';
  const file = resolvePath(input.file);
  const problems: string[] = [];
  if (!existsSync(file) || !statSync(file).isFile()) problems.push(`${input.file}: no such script file`);
  else if (!SCRIPT_EXTENSIONS.includes(extname(file)))
    problems.push(`${input.file}: a script is a ${SCRIPT_EXTENSIONS.join(', ')} file`);
  const ca = loadCaFile(input.tls?.caFile, problems);
  const outFiles = parseOut(input.outputs ?? [], problems);
  const env = parseEnvFlags(input.env ?? [], problems);
  if (problems.length > 0) {
    err(problemsText(cmd, problems));
    return { exitCode: EXIT_INVALID_CONFIG };
  }

  let mod: Record<string, unknown>;
  try {
    mod = await importScript(file, env);
  } catch (e) {
    err(`${cmd}: script error in ${input.file}:\n${scriptErrorText(e, file)}`);
    return { exitCode: EXIT_SCRIPT_ERROR };
  }
  const parsed = parseScriptOptions(mod.options, mod);
  const needsDefault = parsed.options.scenarios.some((s) => s.exec === 'default');
  if (needsDefault && typeof mod.default !== 'function') {
    err(
      `${cmd}: script error in ${input.file}: no default function (export default async function () { ... })`,
    );
    return { exitCode: EXIT_SCRIPT_ERROR };
  }
  problems.push(...parsed.problems);
  const names = parsed.options.scenarios.map((s) => s.name);
  const k6 = parseK6Thresholds(parsed.options.k6Thresholds, runtime().metrics, names);
  problems.push(...k6.problems);
  const lab = gatherThresholds([...(input.thresholds ?? []), ...parsed.options.labThresholds]);
  problems.push(...lab.problems);
  for (const t of lab.thresholds)
    if (t.scope.scenario !== undefined && !names.includes(t.scope.scenario))
      problems.push(
        `threshold '${t.expression}': no scenario '${t.scope.scenario}' (scenarios: ${names.join(', ')})`,
      );
  let workers = input.workers ?? 1;
  const aborting = k6.thresholds.filter((t) => t.abortOnFail);
  if (aborting.length > 0 && workers !== 1) {
    err(
      `${cmd}: note: thresholds with abortOnFail are watched live on one generator thread; --workers ${workers} ignored`,
    );
    workers = 1;
  }
  if (outFiles.json !== undefined && workers !== 1) {
    err(`${cmd}: note: --out streams every sample from one place; --workers ${workers} ignored`);
    workers = 1;
  }
  if (problems.length > 0) {
    err(problemsText(cmd, problems));
    return { exitCode: EXIT_INVALID_CONFIG };
  }
  return { file, parsed, k6, lab, workers, aborting, outFiles, ca, mod, env };
}

/** A script's gates as a run would check them: what a master evaluates on the merged whole. */
export interface ScriptGates {
  /** options.thresholds, k6's object form. */
  k6: K6Threshold[];
  /** The --threshold flags given, and options.thresholds as the lab's strings. */
  lab: Threshold[];
  /** The script's custom metrics (declared when it was imported). */
  declared: ReadonlyMap<string, MetricKind>;
  /** options.thresholds given as the lab's strings (also in `lab`). */
  labStrings: string[];
  /** The lifecycle functions the script exports ('setup', 'teardown'). */
  lifecycle: string[];
  /** Runs setup() here (a master, once for all its workers): its data as JSON, or the problem. */
  runSetup(): Promise<{ dataJson?: string; problem?: string }>;
  /** Runs teardown(data) here: the problem, if any. */
  runTeardown(dataJson: string | undefined): Promise<string | undefined>;
  /** The script's handleSummary() export (a master calls it on the merged whole), and data.options. */
  handleSummary?: { fn: unknown; options: SummaryOptions };
}

/**
 * Loads a script as `runScriptFile` does (imports it, validates its options and thresholds)
 * without running it: its gates, or the exit code it would end with (104, 107), the reasons
 * on `err`.
 */
export async function loadScriptGates(input: ScriptRunInput): Promise<ScriptGates | { exitCode: number }> {
  const r = await loadScript(input);
  if ('exitCode' in r) return r;
  return {
    k6: r.k6.thresholds,
    lab: r.lab.thresholds,
    declared: new Map(runtime().metrics),
    labStrings: r.parsed.options.labThresholds,
    lifecycle: ['setup', 'teardown'].filter((k) => typeof r.mod[k] === 'function'),
    runSetup: () => setupOf(r, input.err),
    runTeardown: async (dataJson) => (await teardownOf(r, dataJson, input.err)) ?? undefined,
    ...(typeof r.mod.handleSummary === 'function'
      ? { handleSummary: { fn: r.mod.handleSummary, options: r.parsed.options.summary } }
      : {}),
  };
}

const noteErr = (err: ScriptRunInput['err']) => err ?? ((t: string) => process.stderr.write(`${t}\n`));

/** Calls the script's setup(), when it exports one: its data as JSON text, or the problem. */
async function setupOf(
  r: LoadedScript,
  errIn: ScriptRunInput['err'],
): Promise<{ dataJson?: string; problem?: string }> {
  if (typeof r.mod.setup !== 'function') return {};
  const res = await callLifecycle('setup', r.mod.setup, [], r.parsed.options.setupTimeoutMs);
  const data = res.ok ? dataText(res.value) : { problem: res.problem };
  if (data.problem !== undefined) return { problem: data.problem };
  if (res.ok)
    noteErr(errIn)(`setup(): done in ${res.ms} ms (${res.requests} requests, ${res.failures} failed)`);
  return { dataJson: data.text };
}

/** Calls the script's teardown(data), when it exports one: the problem, or undefined. */
async function teardownOf(
  r: LoadedScript,
  dataJson: string | undefined,
  errIn: ScriptRunInput['err'],
): Promise<string | undefined> {
  if (typeof r.mod.teardown !== 'function') return undefined;
  const res = await callLifecycle(
    'teardown',
    r.mod.teardown,
    [dataCopy(dataJson)],
    r.parsed.options.teardownTimeoutMs,
  );
  if (!res.ok) return res.problem;
  noteErr(errIn)(`teardown(): done in ${res.ms} ms (${res.requests} requests, ${res.failures} failed)`);
  return undefined;
}

/**
 * What `runScriptFile` checks before it runs (the file, its import, options and thresholds),
 * without running: EXIT_OK, or the exit code it would end with (104, 107), the reasons on `err`.
 */
export async function checkScriptFile(input: ScriptRunInput): Promise<number> {
  const r = await loadScript(input);
  return 'exitCode' in r ? r.exitCode : EXIT_OK;
}

export async function runScriptFile(input: ScriptRunInput): Promise<ScriptRunResult> {
  const out = input.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = input.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const cmd = 'tickstorm run';
  const loaded = await loadScript(input);
  if ('exitCode' in loaded) return { exitCode: loaded.exitCode, summary: null, report: null, written: [] };
  const { file, parsed, k6, lab, workers, aborting, outFiles, ca, mod, env } = loaded;
  // k6's setup(): once, here, before any scenario; its data goes to every VU as a JSON copy
  // (or the master's, when setup() ran there: input.lifecycle)
  const here = input.lifecycle === undefined;
  const withSetup = input.lifecycle?.withSetup ?? typeof mod.setup === 'function';
  let dataJson = input.lifecycle?.dataJson;
  if (here && withSetup) {
    const r = await setupOf(loaded, input.err);
    if (r.problem !== undefined) {
      err(`${cmd}: script error in ${input.file}: ${r.problem}\nno scenario was run.`);
      return { exitCode: EXIT_SCRIPT_ERROR, summary: null, report: null, written: [] };
    }
    dataJson = r.dataJson;
  }
  const tagsOf = new Map(parsed.options.scenarios.map((s) => [s.name, s.tags]));
  let jsonOut: K6JsonOut | undefined;
  let outHook: ((events: RequestEvents, scenario: string) => void) | undefined;
  if (outFiles.json !== undefined) {
    mkdirSync(dirname(resolvePath(outFiles.json)), { recursive: true });
    const w = new K6JsonOut(outFiles.json);
    jsonOut = w;
    outHook = (events, scenario) => {
      events.on((ev) => {
        const endMs = usToEpochMs(ev.timeUs === 0 ? nowUs() : ev.timeUs);
        const latencyMs = ev.latencyUs / 1000;
        w.request(
          (endMs - latencyMs) / 1000,
          latencyMs,
          ev.ok,
          `${ev.type} ${ev.name}`,
          ev.status,
          scenario,
          tagsOf.get(scenario),
        );
      });
    };
    runtime().onEvents.push(outHook);
    runtime().sink = (metric, kind, value, scenario, tags) =>
      w.sample(metric, kind, value, { ...tagsOf.get(scenario), ...tags, scenario });
  }

  const tls = { insecure: input.tls?.insecure === true || parsed.options.insecure, ca };
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  input.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (input.signal?.aborted) stop.abort(); // interrupted during setup(): no scenario starts
  let abortedBy: K6ThresholdResult | undefined;
  const live =
    aborting.length > 0
      ? startLiveWatch(aborting, (r) => {
          abortedBy ??= r;
          stop.abort();
        })
      : undefined;

  const part =
    input.segment === undefined || input.segment.count === 1
      ? ''
      : ` [execution segment ${segmentLabel(input.segment)}: this run's share of the load above]`;
  out(`\n▶ script ${input.file}: ${parsed.options.scenarios.map(scenarioLine).join('; ')}${part}`);
  const exporter =
    input.metricsPort === undefined ? undefined : await startLoadMetricsServer({ port: input.metricsPort });
  if (exporter !== undefined) err(`generator metrics: ${exporter.url}`);
  const progress = createProgress(input.progress);
  const totals = { requests: 0, failures: 0, first: undefined as number | undefined };
  const startedAt = Date.now();
  let crashed: string | undefined;
  const outcomes = await Promise.all(
    parsed.options.scenarios.map(async (s): Promise<RunOutcome | undefined> => {
      if (s.startTimeMs > 0 && !(await delay(s.startTimeMs, stop.signal))) return undefined;
      const params: ScriptParams = { file, exec: s.exec, scenario: s.name, tls, env, withSetup, dataJson };
      try {
        return await runScenario({
          name: s.name,
          executor: s.executor,
          script: { module: new URL('./factory.ts', import.meta.url) },
          params: params as unknown as Record<string, unknown>,
          workers,
          signal: stop.signal,
          segment: input.segment,
          sliceDetail: exporter !== undefined,
          onSlice: (slice, detail) => {
            exporter?.observe(s.name, slice, detail);
            totals.first ??= slice.t;
            totals.requests += slice.requests;
            totals.failures += slice.failures;
            progress.tick({
              scenario: parsed.options.scenarios.length === 1 ? s.name : 'script',
              elapsedSec: slice.t - totals.first + 1,
              requests: totals.requests,
              failures: totals.failures,
              currentRps: slice.requests,
              p95Ms: slice.requests > 0 ? slice.p95 : undefined,
              p99Ms: slice.requests > 0 ? slice.p99 : undefined,
              active: slice.active,
            });
          },
        });
      } catch (e) {
        crashed ??= `scenario ${s.name}: ${e instanceof Error ? e.message : String(e)}`;
        stop.abort();
        return undefined;
      } finally {
        exporter?.finished(s.name);
      }
    }),
  );
  progress.finish();
  await exporter?.close({ note: err });
  live?.stop();
  if (outHook !== undefined) runtime().onEvents = runtime().onEvents.filter((h) => h !== outHook);
  runtime().sink = null;
  jsonOut?.close();
  input.signal?.removeEventListener('abort', onOuterAbort);
  // k6's teardown(data): once, after every scenario ended (however the run ended)
  const teardownProblem = here ? await teardownOf(loaded, dataJson, input.err) : undefined;
  const finishedAt = Date.now();

  const parts: MetricPart[] = [];
  const results: ScenarioResult[] = [];
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  for (const o of outcomes) {
    if (o === undefined) continue;
    const r = o.result;
    for (const k of Object.keys(r.extra)) if (INTERNAL_KEY.test(k)) delete r.extra[k];
    delete (r.params as Record<string, unknown>).file;
    delete (r.params as Record<string, unknown>).tls;
    results.push(r);
    parts.push({
      scenario: r.scenario,
      stats: o.stats,
      counters: o.counters,
      iterations: o.exec.completed,
      dropped: o.exec.dropped,
    });
    firstStart = Math.min(firstStart, r.startedAt);
    lastEnd = Math.max(lastEnd, r.startedAt + r.durationSec * 1000);
  }
  const view = new MetricView(parts, parts.length === 0 ? 0 : (lastEnd - firstStart) / 1000);
  const k6Results = evaluateK6(view, k6.thresholds);
  const report: RunReport = {
    tool: 'tickstorm',
    version: input.version,
    startedAt,
    finishedAt,
    target: input.file,
    scenarios: results,
    thresholds: [],
    exitCode: EXIT_OK,
  };
  const labResults = evaluateThresholds(report, lab.thresholds);
  report.thresholds = labResults;

  let code: number = EXIT_OK;
  if (k6Results.some((t) => !t.pass) || labResults.some((t) => !t.pass)) code = EXIT_THRESHOLDS_FAILED;
  if (abortedBy !== undefined) code = EXIT_THRESHOLD_ABORTED;
  else if (input.signal?.aborted) code = EXIT_ABORTED;
  else if (crashed !== undefined) code = EXIT_ERROR;
  if (teardownProblem !== undefined && code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  report.exitCode = code;
  report.script = scriptSection(
    parts,
    runtime().metrics,
    k6Results,
    abortedBy === undefined ? undefined : `${abortedBy.key}: ${abortedBy.source}`,
    parsed.options.labThresholds,
  );

  const metrics = allMetrics(view, runtime().metrics);
  const checks = checkRows(parts);
  // k6's handleSummary(data): here (not on a master's worker), after teardown(), whatever the verdict
  const handled =
    here && typeof mod.handleSummary === 'function'
      ? await runHandleSummary(
          mod.handleSummary,
          summaryData({
            view,
            declared: runtime().metrics,
            k6: k6.thresholds,
            results: report.script.thresholds,
            checks,
            options: parsed.options.summary,
            durationMs: finishedAt - startedAt,
          }),
        )
      : undefined;
  if (handled?.ok === false) {
    err(`${cmd}: script error in ${input.file}: ${handled.problem}\n(the summary below is tickstorm's own)`);
    if (code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  }
  report.exitCode = code;
  const summary: ScriptSummary = {
    tool: 'tickstorm',
    version: input.version,
    script: file,
    startedAt,
    finishedAt,
    exitCode: code,
    requests: (metrics.http_reqs.values as { count: number }).count,
    metrics,
    checks,
    thresholds: thresholdRows(k6Results),
    labThresholds: labResults,
    ...(abortedBy === undefined ? {} : { abortedBy: `${abortedBy.key}: ${abortedBy.source}` }),
    scenarios: results,
    scriptMetrics: report.script,
  };

  // the lab's own summary, unless handleSummary() replaced it (or failed: then it is shown)
  for (const r of handled?.ok ? [] : results) {
    const parts2 = [renderScenarioBlock(r, { title: `Scenario ${r.scenario}` })];
    if (r.entries.length > 0) parts2.push(renderSampleResults(r));
    out(`\n${parts2.join('\n\n')}`);
  }
  if (!handled?.ok) out(`\n${summaryLines(summary).join('\n')}`);
  const th = thresholdLines(labResults);
  if (th.length > 0 && !handled?.ok) out(`\n${th.join('\n')}`);

  const written: string[] = handled?.ok ? [...handled.written] : [];
  if (jsonOut !== undefined) written.push(jsonOut.path);
  const files = input.files ?? {};
  if (files.json !== undefined) {
    mkdirSync(dirname(files.json), { recursive: true });
    writeFileSync(files.json, `${JSON.stringify(summary, null, 2)}\n`);
    written.push(files.json);
  }
  for (const f of [files.html, files.junit, files.csv]) if (f) mkdirSync(dirname(f), { recursive: true });
  written.push(...(await writeReports(report, { csv: files.csv, html: files.html, junit: files.junit })));
  if (written.length > 0) out(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
  if (crashed !== undefined) err(`${cmd}: ${crashed}`);
  if (teardownProblem !== undefined) err(`${cmd}: script error in ${input.file}: ${teardownProblem}`);
  out(`\n${verdict(code, summary, teardownProblem === undefined ? 'handleSummary()' : 'teardown()')}`);
  return { exitCode: code, summary, report, written };
}

function scenarioLine(s: ScriptScenario): string {
  const { executor, ...rest } = s.executor as unknown as Record<string, unknown>;
  const opts = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${s.name} (${executor}${opts ? ` ${opts}` : ''}${s.exec !== 'default' ? ` exec=${s.exec}` : ''}${
    s.startTimeMs > 0 ? ` startTime=${s.startTimeMs / 1000}s` : ''
  })`;
}

/** Waits `ms` unless `signal` aborts first; true when the time passed. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((res) => {
    if (signal.aborted) return res(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      res(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      res(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Watches abortOnFail thresholds each second on the live (one-thread) metrics, per scenario,
 * so a threshold scoped to a scenario (`'checks{scenario:browse}'`) is watched as well.
 */
function startLiveWatch(thresholds: K6Threshold[], onFail: (r: K6ThresholdResult) => void): { stop(): void } {
  const rt = runtime();
  const live = new Map<string, LiveScenario>();
  const stats = new Map<string, RequestStats>();
  const detach: (() => void)[] = [];
  rt.live = live;
  const hook = (events: RequestEvents, scenario: string) => {
    let s = stats.get(scenario);
    if (s === undefined) {
      s = new RequestStats();
      stats.set(scenario, s);
    }
    detach.push(s.attach(events));
  };
  rt.onEvents.push(hook);
  const started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    const parts: MetricPart[] = [];
    for (const name of new Set([...stats.keys(), ...live.keys()])) {
      const l = live.get(name);
      const c: Record<string, number> = Object.fromEntries(l?.counters ?? []);
      if (l !== undefined) trendsToCounters(l.trends, c);
      parts.push({
        scenario: name,
        stats: stats.get(name) ?? new RequestStats(),
        counters: c,
        iterations: l?.iterations ?? 0,
        dropped: 0,
      });
    }
    const view = new MetricView(parts, elapsed / 1000);
    const due = thresholds.filter((t) => elapsed >= t.delayAbortEvalMs);
    const failed = evaluateK6(view, due).find((r) => !r.pass);
    if (failed !== undefined) onFail(failed);
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      for (const d of detach) d();
      rt.live = null;
      rt.onEvents = rt.onEvents.filter((h) => h !== hook);
    },
  };
}

/** check()'s rows: passes and fails per check name, over the parts. */
export function checkRows(parts: readonly MetricPart[]): ScriptSummary['checks'] {
  const rows = new Map<string, { name: string; passes: number; fails: number }>();
  for (const p of parts)
    for (const [k, v] of Object.entries(p.counters)) {
      const m = /^check:(.*):(pass|fail)$/.exec(k);
      if (m === null) continue;
      const row = rows.get(m[1]) ?? { name: m[1], passes: 0, fails: 0 };
      if (m[2] === 'pass') row.passes += v;
      else row.fails += v;
      rows.set(m[1], row);
    }
  return [...rows.values()];
}

const fmtMs = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(2)}ms`);

/** k6's end-of-test summary. */
export function summaryLines(s: Pick<ScriptSummary, 'checks' | 'metrics' | 'thresholds'>): string[] {
  const lines: string[] = [];
  if (s.checks.length > 0) {
    for (const c of s.checks) {
      const total = c.passes + c.fails;
      lines.push(
        `  ${c.fails === 0 ? '✓' : '✗'} ${c.name}${c.fails === 0 ? '' : ` (${Math.round((c.passes / total) * 100)}% — ✓ ${c.passes} / ✗ ${c.fails})`}`,
      );
    }
    lines.push('');
  }
  const mark = new Map<string, boolean>();
  for (const t of s.thresholds) {
    const base = t.metric;
    mark.set(base, (mark.get(base) ?? true) && t.ok);
  }
  const width = Math.max(20, ...Object.keys(s.metrics).map((k) => k.length + 3));
  for (const [name, m] of Object.entries(s.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const ok = mark.get(name);
    const head = `  ${ok === undefined ? ' ' : ok ? '✓' : '✗'} ${name}`.padEnd(width + 4, '.');
    if (m.type === 'trend') {
      const v = m.values;
      const f = fmtMs;
      lines.push(
        `${head}: avg=${f(v.avg)} min=${f(v.min)} med=${f(v.med)} max=${f(v.max)} p(90)=${f(v['p(90)'])} p(95)=${f(v['p(95)'])} p(99)=${f(v['p(99)'])} count=${v.count}`,
      );
    } else if (m.type === 'rate') {
      const v = m.values;
      lines.push(`${head}: ${(v.rate * 100).toFixed(2)}%  ✓ ${v.passes}  ✗ ${v.fails}`);
    } else lines.push(`${head}: ${m.values.count}  ${m.values.rate}/s`);
  }
  if (s.thresholds.length > 0) {
    lines.push('', 'Thresholds:');
    for (const t of s.thresholds)
      lines.push(
        `  ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.threshold} (actual ${Math.round(t.actual * 1e4) / 1e4})${t.abortOnFail ? ' [abortOnFail]' : ''}`,
      );
  }
  return lines;
}

function verdict(code: number, s: ScriptSummary, failing: string): string {
  if (code === EXIT_OK) return `PASSED: every threshold met (exit code ${code})`;
  if (code === EXIT_THRESHOLDS_FAILED) {
    const n = s.thresholds.filter((t) => !t.ok).length + s.labThresholds.filter((t) => !t.pass).length;
    return `FAILED: ${n} threshold(s) not met (exit code ${code})`;
  }
  if (code === EXIT_THRESHOLD_ABORTED) return `ABORTED by threshold ${s.abortedBy} (exit code ${code})`;
  if (code === EXIT_ABORTED) return `INTERRUPTED: results so far are above (exit code ${code})`;
  if (code === EXIT_SCRIPT_ERROR) return `ERROR: ${failing} failed (exit code ${code})`;
  return `ERROR: a scenario could not run (exit code ${code})`;
}
