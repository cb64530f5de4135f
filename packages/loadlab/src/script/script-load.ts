/**
 * What `tickstorm run FILE` does before anything runs: the file, TLS, --out and -e/--env flags
 * are checked; the script is imported in this thread with the built-in modules registered and
 * __ENV set (a throw, a syntax error or no default function: exit 107); `options` and every
 * threshold are validated against the metrics the script declared (exit 104 with every
 * problem). Also the script's gates as a master loads them (loadScriptGates), and its setup()
 * and teardown() calls (lifecycle.ts).
 */

import { existsSync, statSync } from 'node:fs';
import { extname, resolve as resolvePath } from 'node:path';
import { loadClientCertFiles } from '../clients/client-cert.ts';
import { loadCaFile } from '../clients/tls-options.ts';
import {
  EXIT_ABORTED,
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  EXIT_THRESHOLD_ABORTED,
} from '../gates/exit-codes.ts';
import type { Threshold } from '../gates/threshold-parse.ts';
import { gatherThresholds } from '../gates/thresholds.ts';
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import type { ScriptScenarioMetrics } from '../model/result.ts';
import type { LoadMetricsServer } from '../monitor/prometheus-exporter.ts';
import { parseOut } from '../report/k6-json-out.ts';
import type { ProgressOptions } from '../report/progress.ts';
import type { ReportFiles } from '../report/write-reports.ts';
import { problemsText } from '../run/run-output.ts';
import { type ExecutionShortcuts, replacedNote } from './execution-shortcuts.ts';
import { importScript } from './factory.ts';
import type { SummaryOptions } from './handle-summary.ts';
import { applySummaryFlags } from './handle-summary.ts';
import { EXPECTED_DURATION, type K6Threshold, parseK6Thresholds } from './k6-metrics.ts';
import {
  callLifecycle,
  dataCopy,
  dataText,
  type LifecyclePart,
  parseEnvFlags,
  parseTagFlags,
} from './lifecycle.ts';
import { parseScriptOptions } from './options.ts';
import { type MetricKind, runtime, type TlsSettings } from './runtime.ts';
import { scriptErrorText } from './script-error.ts';
import { lifecycleSection } from './script-section.ts';
import { declareSubmetrics } from './submetrics.ts';
import { abortReason } from './test-abort.ts';

export const SCRIPT_EXTENSIONS = ['.ts', '.js', '.mjs', '.mts'];
/** CommonJS files: named as scripts (so the refusal says why), never run (a script is an ES module). */
const COMMONJS_EXTENSIONS = ['.cjs', '.cts'];

/** True when a `run` operand names a script file rather than a scenario id. */
export function isScriptOperand(operand: string): boolean {
  return (
    operand === '-' ||
    SCRIPT_EXTENSIONS.includes(extname(operand)) ||
    COMMONJS_EXTENSIONS.includes(extname(operand)) ||
    operand.includes('/') ||
    operand.includes('\\')
  );
}

export interface ScriptTlsInput {
  insecure?: boolean;
  /** --ca FILE: PEM certificates to trust besides the system's. */
  caFile?: string;
  /** --cert FILE / --key FILE: a client certificate for every host, after options.tlsAuth's. */
  certFile?: string;
  keyFile?: string;
}

export interface ScriptRunInput {
  file: string;
  /**
   * The command line's problems found before (its flags, the environment, the config file):
   * listed with the file and flag checks here, every problem at once (104, nothing loaded).
   */
  problems?: readonly string[];
  /** Generator threads (default 1; abortOnFail thresholds need 1). */
  workers?: number | 'auto';
  /** --threshold flags: the lab's strings. */
  thresholds?: readonly string[];
  /**
   * --no-thresholds (k6's): the thresholds are validated (a bad one is still 104) but not
   * checked: none decides the exit code, watches abortOnFail, or is reported.
   */
  noThresholds?: boolean;
  /** --json (k6's summary + the lab's results), --csv, --html, --junit. */
  files?: ReportFiles;
  /** --out values (json=FILE: k6's JSON lines). */
  outputs?: readonly string[];
  /** --summary-export FILE: k6's end-of-test summary export (summary-export.ts). */
  summaryExport?: string;
  /** k6's --summary-trend-stats LIST and --summary-time-unit UNIT: over options.summaryTrendStats/summaryTimeUnit. */
  summaryFlags?: { trendStats?: string; timeUnit?: string };
  /** k6's --no-summary: neither the end-of-test summary nor handleSummary(); reports and the verdict stay. */
  noSummary?: boolean;
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
  /** How the port was given, for a problem with it (default `--metrics-port PORT`). */
  metricsFlag?: string;
  /**
   * An exporter that outlives this run (a `run --worker`'s, for the life of its process): the
   * run feeds it and marks its scenarios finished, but neither starts nor closes one.
   */
  metrics?: LoadMetricsServer;
  /** -e/--env KEY=VALUE flags (repeatable): the script's __ENV is the environment with these over it. */
  env?: readonly string[];
  /** k6's --tag NAME=VALUE flags (repeatable): on every sample, over options.tags. */
  tags?: readonly string[];
  /**
   * setup() already ran elsewhere (a `run --master`, for its workers): its data, `withSetup`
   * when the script exports setup(); this run calls neither setup() nor teardown().
   */
  lifecycle?: { withSetup: boolean; dataJson?: string };
  /**
   * The command line's --vus/--duration/--iterations/--stage (k6's shortcuts): over the
   * script's options (execution-shortcuts.ts).
   */
  execution?: ExecutionShortcuts;
}

/** A script loaded and validated, ready to run. */
export interface LoadedScript {
  file: string;
  parsed: ReturnType<typeof parseScriptOptions>;
  k6: ReturnType<typeof parseK6Thresholds>;
  lab: ReturnType<typeof gatherThresholds>;
  workers: number | 'auto';
  aborting: K6Threshold[];
  outFiles: ReturnType<typeof parseOut>;
  ca: ReturnType<typeof loadCaFile>;
  /** --insecure, --ca and options.insecureSkipTLSVerify / tlsAuth: every scenario's TLS. */
  tls: TlsSettings;
  mod: Record<string, unknown>;
  /** The -e/--env flags, parsed. */
  env: Record<string, string>;
}

/** Checks the file and TLS flags, imports the script, validates its options and thresholds. */
export async function loadScriptRun(input: ScriptRunInput): Promise<LoadedScript | { exitCode: number }> {
  const err = input.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const cmd = 'tickstorm run';
  const file = resolvePath(input.file);
  const problems: string[] = [...(input.problems ?? [])];
  if (input.file === '-')
    problems.push("'-': a script from stdin (k6's run -) is not read; save it to a file and give its path");
  else if (!existsSync(file) || !statSync(file).isFile()) problems.push(`${input.file}: no such script file`);
  else if (COMMONJS_EXTENSIONS.includes(extname(file)))
    problems.push(
      `${input.file}: a CommonJS file; a script is an ES module (${SCRIPT_EXTENSIONS.join(', ')}) that exports options and a default function`,
    );
  else if (!SCRIPT_EXTENSIONS.includes(extname(file)))
    problems.push(`${input.file}: a script is a ${SCRIPT_EXTENSIONS.join(', ')} file`);
  const ca = loadCaFile(input.tls?.caFile, problems);
  const flagCert = loadClientCertFiles(input.tls?.certFile, input.tls?.keyFile, problems);
  const outFiles = parseOut(input.outputs ?? [], problems);
  const env = parseEnvFlags(input.env ?? [], problems);
  const cliTags = parseTagFlags(input.tags ?? [], problems);
  if (problems.length > 0) {
    err(problemsText(cmd, problems));
    return { exitCode: EXIT_INVALID_CONFIG };
  }

  let mod: Record<string, unknown>;
  try {
    mod = await importScript(file, env);
  } catch (e) {
    const aborted = abortReason(e);
    if (aborted !== undefined) {
      err(`${cmd}: test aborted: ${aborted} (exec.test.abort() at load time; nothing ran)`);
      return { exitCode: EXIT_THRESHOLD_ABORTED };
    }
    err(`${cmd}: script error in ${input.file}:\n${scriptErrorText(e, file)}`);
    return { exitCode: EXIT_SCRIPT_ERROR };
  }
  const parsed = parseScriptOptions(mod.options, mod, input.execution, cliTags);
  runtime().testOptions = parsed.options.resolved;
  // setup() and teardown() run here: the same rule for their responses' bodies
  runtime().discardBodies = parsed.options.discardResponseBodies;
  const note = replacedNote(parsed.options.replaced);
  if (note !== undefined) err(`${cmd}: ${note}`);
  for (const n of parsed.options.notes) err(`${cmd}: ${n}`);
  const needsDefault = parsed.options.scenarios.some((s) => s.exec === 'default');
  if (needsDefault && typeof mod.default !== 'function') {
    err(
      `${cmd}: script error in ${input.file}: no default function (export default async function () { ... })`,
    );
    return { exitCode: EXIT_SCRIPT_ERROR };
  }
  problems.push(...parsed.problems);
  if (input.summaryFlags !== undefined)
    applySummaryFlags(parsed.options.summary, input.summaryFlags, problems);
  const names = parsed.options.scenarios.map((s) => s.name);
  const k6 = parseK6Thresholds(parsed.options.k6Thresholds, runtime().metrics, names);
  const lab = gatherThresholds([...(input.thresholds ?? []), ...parsed.options.labThresholds]);
  const scoped = [...k6.problems, ...lab.problems];
  for (const t of lab.thresholds)
    if (t.scope.scenario !== undefined && !names.includes(t.scope.scenario))
      scoped.push(
        `threshold '${t.expression}': no scenario '${t.scope.scenario}' (scenarios: ${names.join(', ')})`,
      );
  // a threshold scoped to a scenario the command line replaced: say so
  const gone = parsed.options.replaced;
  for (const p of scoped) {
    const m = /no scenario '([^']+)'/.exec(p);
    problems.push(
      m !== null && gone.includes(m[1])
        ? `${p}: the scenario was replaced by --duration/--iterations/--stage`
        : p,
    );
  }
  if (input.noThresholds === true && problems.length === 0) {
    k6.thresholds.length = 0;
    lab.thresholds.length = 0;
    parsed.options.labThresholds.length = 0;
  }
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
  const tls: TlsSettings = {
    insecure: input.tls?.insecure === true || parsed.options.insecure,
    ...(ca === undefined ? {} : { ca }),
    ...(parsed.options.tlsAuth === undefined && flagCert === undefined
      ? {}
      : { clientCerts: [...(parsed.options.tlsAuth ?? []), ...(flagCert === undefined ? [] : [flagCert])] }),
  };
  // setup() and teardown() run in this thread with the run's TLS settings (scenarios get them in params)
  runtime().tls = tls;
  return { file, parsed, k6, lab, workers, aborting, outFiles, ca, tls, mod, env };
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
  /**
   * Runs setup() here (a master, once for all its workers): its data as JSON, or the problem
   * (and the reason, when it called exec.test.abort(): exit 108).
   */
  /** setup() once; `signal` (Ctrl-C) cuts it: `interrupted`, exit code 105. */
  runSetup(signal?: AbortSignal): Promise<{
    dataJson?: string;
    problem?: string;
    aborted?: string;
    interrupted?: true;
    exitCode?: number;
    /** What it recorded (its requests, checks, metrics: the run's, as k6 counts them). */
    part?: ScriptScenarioMetrics;
  }>;
  /** Runs teardown(data) here: the problem, if any, and what it recorded. */
  runTeardown(dataJson: string | undefined): Promise<{ problem?: string; part?: ScriptScenarioMetrics }>;
  /** The script's handleSummary() export (a master calls it on the merged whole), and data.options. */
  handleSummary?: { fn: unknown; options: SummaryOptions };
  /** options.summaryTrendStats and the rest: what a master's --summary-export is shaped by. */
  summaryOptions: SummaryOptions;
}

/**
 * Loads a script as `runScriptFile` does (imports it, validates its options and thresholds)
 * without running it: its gates, or the exit code it would end with (104, 107), the reasons
 * on `err`.
 */
export async function loadScriptGates(input: ScriptRunInput): Promise<ScriptGates | { exitCode: number }> {
  const r = await loadScriptRun(input);
  if ('exitCode' in r) return r;
  // setup()'s and teardown()'s samples here feed the submetrics the thresholds name, as a run's do
  declareSubmetrics([
    ...new Set([
      EXPECTED_DURATION,
      ...r.k6.thresholds.flatMap((t) => (t.tags.sub === undefined ? [] : [t.tags.sub])),
    ]),
  ]);
  return {
    k6: r.k6.thresholds,
    lab: r.lab.thresholds,
    declared: new Map(runtime().metrics),
    labStrings: r.parsed.options.labThresholds,
    lifecycle: ['setup', 'teardown'].filter((k) => typeof r.mod[k] === 'function'),
    runSetup: async (signal) => {
      const { part: raw, ...s } = await setupOf(r, input.err, signal);
      if (s.interrupted === true) return { interrupted: true, exitCode: EXIT_ABORTED };
      const part = raw === undefined ? undefined : lifecycleSection('setup', raw);
      return { ...s, part, ...(s.aborted === undefined ? {} : { exitCode: EXIT_THRESHOLD_ABORTED }) };
    },
    runTeardown: async (dataJson) => {
      const t = await teardownOf(r, dataJson, input.err);
      if (t === undefined) return {};
      return { problem: t.problem, part: lifecycleSection('teardown', t.part) };
    },
    ...(typeof r.mod.handleSummary === 'function'
      ? { handleSummary: { fn: r.mod.handleSummary, options: r.parsed.options.summary } }
      : {}),
    summaryOptions: r.parsed.options.summary,
  };
}

const noteErr = (err: ScriptRunInput['err']) => err ?? ((t: string) => process.stderr.write(`${t}\n`));

/** Calls the script's setup(), when it exports one: its data as JSON text, or the problem. */
export async function setupOf(
  r: LoadedScript,
  errIn: ScriptRunInput['err'],
  signal?: AbortSignal,
): Promise<{
  dataJson?: string;
  problem?: string;
  aborted?: string;
  interrupted?: true;
  part?: LifecyclePart;
}> {
  if (typeof r.mod.setup !== 'function') return {};
  const res = await callLifecycle('setup', r.mod.setup, [], r.parsed.options.setupTimeoutMs, signal);
  const part = res.part;
  if (!res.ok && res.interrupted === true) return { interrupted: true, part };
  if (!res.ok && res.aborted !== undefined) return { problem: res.problem, aborted: res.aborted, part };
  const data = res.ok ? dataText(res.value) : { problem: res.problem };
  if (data.problem !== undefined) return { problem: data.problem, part };
  if (res.ok)
    noteErr(errIn)(`setup(): done in ${res.ms} ms (${res.requests} requests, ${res.failures} failed)`);
  return { dataJson: data.text, part };
}

/**
 * Calls the script's teardown(data), when it exports one: the problem (and the reason, when
 * it called exec.test.abort()), or undefined.
 */
export async function teardownOf(
  r: LoadedScript,
  dataJson: string | undefined,
  errIn: ScriptRunInput['err'],
): Promise<{ problem?: string; aborted?: string; part: LifecyclePart } | undefined> {
  if (typeof r.mod.teardown !== 'function') return undefined;
  const res = await callLifecycle(
    'teardown',
    r.mod.teardown,
    [dataCopy(dataJson)],
    r.parsed.options.teardownTimeoutMs,
  );
  if (!res.ok) return { problem: res.problem, aborted: res.aborted, part: res.part };
  noteErr(errIn)(`teardown(): done in ${res.ms} ms (${res.requests} requests, ${res.failures} failed)`);
  return { part: res.part };
}

/**
 * What `runScriptFile` checks before it runs (the file, its import, options and thresholds),
 * without running: EXIT_OK, or the exit code it would end with (104, 107), the reasons on `err`.
 */
export async function checkScriptFile(input: ScriptRunInput): Promise<number> {
  const r = await loadScriptRun(input);
  return 'exitCode' in r ? r.exitCode : EXIT_OK;
}
