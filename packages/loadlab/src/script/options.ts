/**
 * A script's `export const options`, k6's shape, checked up front (every problem at once):
 *
 *   export const options = {
 *     scenarios: {
 *       browse: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '30s',
 *                 preAllocatedVUs: 20, maxVUs: 100 },
 *       login:  { executor: 'per-vu-iterations', vus: 5, iterations: 10, exec: 'login', startTime: '5s' },
 *     },
 *     thresholds: { http_req_duration: ['p(95)<200'], http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] },
 *   };
 *
 * Shortcuts as k6: `{ vus, duration }` -> constant-vus; `{ vus, iterations }` -> shared-iterations;
 * `{ stages }` -> ramping-vus; nothing -> one iteration on one VU (the command line's
 * --vus/--duration/--iterations/--stage go over them: execution-shortcuts.ts). Scenarios run at the same
 * time, each from its `startTime`. `thresholds` may also be an array of the lab's strings
 * ('p95<100ms', 'error_rate<1%'). `insecureSkipTLSVerify: true` is `--insecure`; `tlsAuth` lists client certificates (tls-auth.ts). `tags` (top
 * level and per scenario) go on every sample the run streams. A scenario's `env` (strings) is
 * __ENV inside its iterations, over the global one.
 */
import type { ClientCert } from '../clients/client-cert.ts';
import { type ExecutorOptions, validateExecutor } from '../generator/executor-options.ts';
import { parseDuration } from '../util/duration.ts';
import { applyExecutionShortcuts, type ExecutionShortcuts } from './execution-shortcuts.ts';
import { parseSummaryOptions, type SummaryOptions } from './handle-summary.ts';
import { K6_OPTIONS_NOT_HERE } from './k6-option-hints.ts';
import { parseTlsAuth } from './tls-auth.ts';

export interface ScriptScenario {
  name: string;
  executor: ExecutorOptions;
  /** The export to run (k6's `exec`, default 'default'). */
  exec: string;
  startTimeMs: number;
  /** k6's tags: options.tags and the scenario's own, on every sample it streams (--out json). */
  tags: Record<string, string>;
  /** k6's scenario `env`: over __ENV inside this scenario's iterations (empty: none). */
  env: Record<string, string>;
}

export interface ScriptOptions {
  scenarios: ScriptScenario[];
  /** k6's run tags: options.tags with --tag over them (vus and vus_max carry only these). */
  tags: Record<string, string>;
  /** The object form (k6's), validated later against the metrics the script declared. */
  k6Thresholds: unknown;
  /** The lab's strings (array form). */
  labThresholds: string[];
  insecure: boolean;
  /** k6's discardResponseBodies: responses' bodies are read and dropped (`body` null) unless a request's responseType says. */
  discardResponseBodies: boolean;
  /** k6's tlsAuth: client certificates, each for its domains (tls-auth.ts). */
  tlsAuth?: ClientCert[];
  /** k6's setupTimeout / teardownTimeout (default 60s each). */
  setupTimeoutMs: number;
  teardownTimeoutMs: number;
  /** summaryTrendStats, summaryTimeUnit, noColor: handleSummary()'s data.options. */
  summary: SummaryOptions;
  /**
   * exec.test.options: the options as given, `scenarios` filled in (a shortcut's scenario
   * 'default' with its executor; every scenario's `exec`), the command line's shortcuts applied.
   */
  resolved: Record<string, unknown>;
  /** The script's scenarios the command line's --duration/--iterations/--stage replaced. */
  replaced: string[];
  /** What was given but not used, said on stderr as k6 warns (a lone `vus`). */
  notes: string[];
}

const TOP = [
  'scenarios',
  'thresholds',
  'vus',
  'duration',
  'iterations',
  'stages',
  'insecureSkipTLSVerify',
  'tlsAuth',
  'tags',
  'setupTimeout',
  'teardownTimeout',
  'summaryTrendStats',
  'summaryTimeUnit',
  'noColor',
  'discardResponseBodies',
];
/** k6 Cloud's settings, which `k6 run` (a local run) ignores: a note here too, not a problem. */
const CLOUD_ONLY = ['cloud', 'ext'];
const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `shortcuts`: the command line's --vus/--duration/--iterations/--stage (execution-shortcuts.ts);
 * `cliTags`: its --tag NAME=VALUE flags, over options.tags (a scenario's own tags over both, as k6).
 */
export function parseScriptOptions(
  given: unknown,
  exports: Record<string, unknown>,
  shortcuts?: ExecutionShortcuts,
  cliTags: Readonly<Record<string, string>> = {},
): { options: ScriptOptions; problems: string[] } {
  const applied = applyExecutionShortcuts(given, shortcuts);
  let raw = applied.raw;
  const problems: string[] = [...applied.problems];
  const options: ScriptOptions = {
    scenarios: [],
    tags: {},
    k6Thresholds: undefined,
    labThresholds: [],
    insecure: false,
    discardResponseBodies: false,
    setupTimeoutMs: 60_000,
    teardownTimeoutMs: 60_000,
    summary: parseSummaryOptions({}, []),
    resolved: {},
    replaced: applied.replaced,
    notes: [],
  };
  if (raw === undefined) raw = {};
  if (!isObj(raw)) return { options, problems: ['options must be an object'] };
  for (const k of Object.keys(raw)) {
    if (TOP.includes(k)) continue;
    if (CLOUD_ONLY.includes(k))
      options.notes.push(
        `note: options.${k} is k6 Cloud's; a local run ignores it, as k6 run does (nothing is sent anywhere)`,
      );
    else if (Object.hasOwn(K6_OPTIONS_NOT_HERE, k))
      problems.push(`options.${k}: k6's option is not taken here: ${K6_OPTIONS_NOT_HERE[k]}`);
    else problems.push(`options.${k}: not supported (use ${TOP.join(', ')})`);
  }
  options.summary = parseSummaryOptions(raw, problems);
  if (raw.insecureSkipTLSVerify !== undefined) {
    if (typeof raw.insecureSkipTLSVerify !== 'boolean')
      problems.push('options.insecureSkipTLSVerify must be true or false');
    else options.insecure = raw.insecureSkipTLSVerify;
  }
  if (raw.discardResponseBodies !== undefined) {
    if (typeof raw.discardResponseBodies !== 'boolean')
      problems.push('options.discardResponseBodies must be true or false');
    else options.discardResponseBodies = raw.discardResponseBodies;
  }
  const tlsAuth = parseTlsAuth(raw.tlsAuth, problems);
  if (tlsAuth !== undefined) options.tlsAuth = tlsAuth;
  for (const [k, key] of [
    ['setupTimeout', 'setupTimeoutMs'],
    ['teardownTimeout', 'teardownTimeoutMs'],
  ] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const ms = typeof v === 'string' ? parseDuration(v) : Number.NaN;
    if (Number.isNaN(ms) || ms <= 0) problems.push(`options.${k} must be a duration like '60s'`);
    else options[key] = ms;
  }
  if (Array.isArray(raw.thresholds)) {
    raw.thresholds.forEach((t, i) => {
      if (typeof t === 'string') options.labThresholds.push(t);
      else problems.push(`options.thresholds[${i}]: expected a string like 'p95<100ms'`);
    });
  } else options.k6Thresholds = raw.thresholds;

  const strings = (t: unknown, where: string, eg: string): Record<string, string> => {
    if (t === undefined) return {};
    if (!isObj(t) || Object.values(t).some((v) => typeof v !== 'string')) {
      problems.push(`${where} must be an object of strings, e.g. ${eg}`);
      return {};
    }
    return t as Record<string, string>;
  };
  const tagsOf = (t: unknown, where: string) => strings(t, where, "{ testid: 'nightly' }");
  const globalTags = { ...tagsOf(raw.tags, 'options.tags'), ...cliTags };
  options.tags = globalTags;
  const resolved: Record<string, unknown> = {};
  const add = (name: string, ex: Record<string, unknown>, where: string) => {
    const { exec, startTime, tags, env, ...rest } = ex;
    const fn = exec ?? 'default';
    resolved[name] = { ...ex, exec: fn };
    if (typeof fn !== 'string') problems.push(`${where}.exec must be the name of an exported function`);
    else if (typeof exports[fn] !== 'function')
      problems.push(`${where}.exec: the script exports no function '${fn}'`);
    let startTimeMs = 0;
    if (startTime !== undefined) {
      startTimeMs = typeof startTime === 'string' ? parseDuration(startTime) : Number.NaN;
      if (Number.isNaN(startTimeMs)) {
        problems.push(`${where}.startTime must be a duration like '10s'`);
        startTimeMs = 0;
      }
    }
    for (const p of validateExecutor(rest)) problems.push(`${where}: ${p}`);
    options.scenarios.push({
      name,
      executor: rest as unknown as ExecutorOptions,
      exec: String(fn),
      startTimeMs,
      tags: { ...globalTags, ...tagsOf(tags, `${where}.tags`) },
      env: { ...strings(env, `${where}.env`, "{ BASE: 'https://staging' }") },
    });
  };

  if (raw.scenarios !== undefined) {
    for (const k of ['vus', 'duration', 'iterations', 'stages'])
      if (raw[k] !== undefined) problems.push(`options.${k} cannot be combined with options.scenarios`);
    if (!isObj(raw.scenarios) || Object.keys(raw.scenarios).length === 0)
      problems.push('options.scenarios must be an object of named scenarios');
    else
      for (const [name, ex] of Object.entries(raw.scenarios)) {
        if (!/^[A-Za-z0-9_-]+$/.test(name))
          problems.push(`options.scenarios['${name}']: a name is letters, digits, _ and -`);
        if (!isObj(ex)) problems.push(`options.scenarios.${name} must be an object with an executor`);
        else add(name, ex, `options.scenarios.${name}`);
      }
  } else {
    const ex: Record<string, unknown> = {};
    if (raw.stages !== undefined) {
      Object.assign(ex, { executor: 'ramping-vus', stages: raw.stages, startVUs: raw.vus ?? 1 });
      // as in k6: the stages set the run's length (a duration beside them was silently dropped)
      for (const k of ['iterations', 'duration'])
        if (raw[k] !== undefined)
          problems.push(
            `options.${k} cannot be combined with options.stages (as in k6: the stages set the run's length)`,
          );
    } else if (raw.duration !== undefined) {
      Object.assign(ex, { executor: 'constant-vus', vus: raw.vus ?? 1, duration: raw.duration });
      if (raw.iterations !== undefined)
        Object.assign(ex, {
          executor: 'shared-iterations',
          iterations: raw.iterations,
          maxDuration: raw.duration,
          duration: undefined,
        });
    } else if (raw.iterations !== undefined)
      Object.assign(ex, { executor: 'shared-iterations', vus: raw.vus ?? 1, iterations: raw.iterations });
    else {
      // k6: a lone `vus` is ignored with a warning; the test is one iteration on one VU
      Object.assign(ex, { executor: 'shared-iterations', vus: 1, iterations: 1 });
      const from = shortcuts?.vus !== undefined ? '--vus' : 'options.vus';
      if (raw.vus !== undefined && !(Number.isInteger(raw.vus) && (raw.vus as number) >= 1))
        problems.push(`${from} must be an integer >= 1 (got ${JSON.stringify(raw.vus)})`);
      else if (raw.vus !== undefined && raw.vus !== 1) {
        options.notes.push(
          `note: ${from} ${JSON.stringify(raw.vus)} is ignored: it works with a duration, iterations or stages (as in k6); running 1 iteration on 1 VU`,
        );
      }
    }
    for (const k of Object.keys(ex)) if (ex[k] === undefined) delete ex[k];
    // a value the command line gave is named as such (`-i 2 -u 5` is not the script's options)
    const flags = Object.entries({
      vus: '--vus',
      duration: '--duration',
      iterations: '--iterations',
      stages: '--stage',
    })
      .filter(([k]) => shortcuts?.[k as keyof ExecutionShortcuts] !== undefined)
      .map(([, f]) => f);
    add('default', ex, flags.length === 0 ? 'options' : `options with ${flags.join(' ')}`);
  }
  options.resolved = { ...raw, scenarios: resolved };
  return { options, problems };
}
