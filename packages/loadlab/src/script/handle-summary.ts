/**
 * k6's `handleSummary(data)`: a script's own end-of-test report.
 *
 *   export function handleSummary(data) {
 *     return { stdout: textSummary(data), 'out/summary.json': JSON.stringify(data) };
 *   }
 *
 * Called once, in the process that coordinates the run (a single run, or the master of a
 * `run --master` with the merged figures; never on a worker), after teardown(), whatever the
 * run's verdict. `data` is k6's shape as far as the lab has the figures (summaryData below):
 * every metric's type, contains and values (trends in ms: options.summaryTrendStats, default
 * avg min med max p(90) p(95)), each options.thresholds expression's `ok`, check() rows in
 * root_group.checks, options and state. Its return value: `stdout`, `stderr` or a file path
 * (relative to the current directory) -> a string, ArrayBuffer or typed array, each written
 * there. When the script has one, the lab's own text summary is not printed; when it throws or
 * returns anything else, the error is printed and the lab's summary shown instead (exit 107).
 */

import { writeFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import type { ScriptThresholdResult } from '../model/result.ts';
import { trendIsTime } from '../monitor/script-figures.ts';
import { SignedTrendStats } from '../stats/signed-trend.ts';
import { type CheckRow, checkTree, type SummaryGroup } from './check-tree.ts';
import { allMetrics, type K6Threshold, type MetricView, TREND_STAT } from './k6-metrics.ts';
import { callLifecycle } from './lifecycle.ts';
import type { MetricKind } from './runtime.ts';

export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
const TIME_UNITS = ['', 's', 'ms', 'us'];
/** k6 gives handleSummary() two minutes. */
export const HANDLE_SUMMARY_TIMEOUT_MS = 120_000;

/** options.summaryTrendStats, options.summaryTimeUnit, options.noColor: what `data.options` carries. */
export interface SummaryOptions {
  summaryTrendStats: string[];
  summaryTimeUnit: string;
  noColor: boolean;
}

/**
 * k6's --summary-trend-stats LIST (comma-separated) and --summary-time-unit UNIT over the
 * script's options.summaryTrendStats / summaryTimeUnit; every problem names the flag.
 */
export function applySummaryFlags(
  o: SummaryOptions,
  flags: { trendStats?: string; timeUnit?: string },
  problems: string[],
): void {
  const own: string[] = [];
  if (flags.trendStats !== undefined) {
    const list = flags.trendStats
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (list.length === 0)
      own.push("--summary-trend-stats takes stats separated by commas, e.g. 'avg,med,p(95),p(99.9),count'");
    else {
      const r = parseSummaryOptions({ summaryTrendStats: list }, own);
      if (own.length === 0) o.summaryTrendStats = r.summaryTrendStats;
    }
  }
  if (flags.timeUnit !== undefined) {
    const before = own.length;
    const r = parseSummaryOptions({ summaryTimeUnit: flags.timeUnit }, own);
    if (own.length === before) o.summaryTimeUnit = r.summaryTimeUnit;
  }
  for (const p of own)
    problems.push(
      p
        .replace('options.summaryTrendStats:', '--summary-trend-stats:')
        .replace(
          "options.summaryTimeUnit must be 's', 'ms' or 'us'",
          `--summary-time-unit must be s, ms or us (got '${flags.timeUnit}')`,
        ),
    );
}

/** Reads the summary options from a script's options; every problem names the option. */
export function parseSummaryOptions(raw: Record<string, unknown>, problems: string[]): SummaryOptions {
  const o: SummaryOptions = {
    summaryTrendStats: [...DEFAULT_TREND_STATS],
    summaryTimeUnit: '',
    noColor: false,
  };
  const st = raw.summaryTrendStats;
  if (st !== undefined) {
    if (!Array.isArray(st) || st.length === 0)
      problems.push("options.summaryTrendStats must be a list like ['avg', 'p(95)', 'p(99)', 'count']");
    else {
      for (const s of st) {
        const m = typeof s === 'string' ? TREND_STAT.exec(s) : null;
        if (m === null || (m[2] !== undefined && Number(m[2]) > 100))
          problems.push(
            `options.summaryTrendStats: '${String(s)}' is not a trend stat (use avg, min, med, max, count, p(N) with N <= 100)`,
          );
      }
      o.summaryTrendStats = st.map(String);
    }
  }
  const tu = raw.summaryTimeUnit;
  if (tu !== undefined) {
    if (typeof tu !== 'string' || !TIME_UNITS.includes(tu))
      problems.push("options.summaryTimeUnit must be 's', 'ms' or 'us'");
    else o.summaryTimeUnit = tu;
  }
  if (raw.noColor !== undefined) {
    if (typeof raw.noColor !== 'boolean') problems.push('options.noColor must be true or false');
    else o.noColor = raw.noColor;
  }
  return o;
}

export interface SummaryMetric {
  type: MetricKind;
  contains: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

/** What handleSummary(data) receives: k6's shape. */
export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  root_group: SummaryGroup;
  options: SummaryOptions;
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
}

export interface SummaryInput {
  view: MetricView;
  declared: ReadonlyMap<string, MetricKind>;
  /** options.thresholds as parsed (their tags: a `metric{tag:value}` key is a metric of its own). */
  k6: readonly K6Threshold[];
  /** options.thresholds as checked. */
  results: readonly ScriptThresholdResult[];
  checks: readonly CheckRow[];
  options: SummaryOptions;
  durationMs: number;
}

const CONTAINS: Record<string, SummaryMetric['contains']> = {
  http_req_duration: 'time',
  http_req_blocked: 'time',
  http_req_connecting: 'time',
  http_req_tls_handshaking: 'time',
  http_req_sending: 'time',
  http_req_waiting: 'time',
  http_req_receiving: 'time',
  ws_connecting: 'time',
  ws_session_duration: 'time',
  ws_ping: 'time',
  group_duration: 'time',
  iteration_duration: 'time',
  data_received: 'data',
  data_sent: 'data',
};

/** k6's summary data from the figures the run's summary is made of (the same histograms). */
export function summaryData(i: SummaryInput): SummaryData {
  const metrics: Record<string, SummaryMetric> = {};
  const entry = (name: string, metric: string, kind: MetricKind, tags: K6Threshold['tags']) => {
    const v = i.view.value(metric, kind, tags);
    const values: Record<string, number> =
      v.type === 'trend'
        ? trendValues(i.view, metric, tags, { ...v.values }, i.options.summaryTrendStats)
        : v.values;
    const contains = CONTAINS[metric] ?? (kind === 'trend' && trendIsTime(metric) ? 'time' : 'default');
    metrics[name] = { type: kind, contains, values };
  };
  const named = i.k6.map((t) => t.metric);
  for (const [name, m] of Object.entries(allMetrics(i.view, i.declared, named))) {
    // a sub-metric k6 always shows (http_req_duration{expected_response:true}) reads its own figures
    const cut = name.indexOf('{');
    entry(name, cut < 0 ? name : name.slice(0, cut), m.type as MetricKind, cut < 0 ? {} : { sub: name });
  }
  for (const t of i.k6) if (metrics[t.key] === undefined) entry(t.key, t.metric, t.kind, t.tags);
  for (const r of i.results) {
    const m = metrics[r.metric];
    if (m === undefined) continue;
    m.thresholds ??= {};
    m.thresholds[r.threshold] = { ok: (m.thresholds[r.threshold]?.ok ?? true) && r.ok };
  }
  return {
    metrics,
    // k6's: the top's checks, and each group's own under root_group.groups (./check-tree.ts)
    root_group: checkTree(i.checks),
    options: { ...i.options, summaryTrendStats: [...i.options.summaryTrendStats] },
    state: {
      isStdOutTTY: process.stdout.isTTY === true,
      isStdErrTTY: process.stderr.isTTY === true,
      testRunDurationMs: i.durationMs,
    },
  };
}

/** The requested stats of a trend: the summary's own figures, other percentiles from the same histogram. */
function trendValues(
  view: MetricView,
  metric: string,
  tags: K6Threshold['tags'],
  known: Readonly<Record<string, number>>,
  stats: readonly string[],
): Record<string, number> {
  const out: Record<string, number> = {};
  const missing = stats.filter((s) => known[s] === undefined);
  if (missing.length > 0) {
    const t = new SignedTrendStats(view.trend(metric, tags));
    for (const s of missing) out[s] = t.percentile(Number(TREND_STAT.exec(s)?.[2]));
    t.destroy();
  }
  return Object.fromEntries(stats.map((s) => [s, known[s] ?? out[s]]));
}

/** What the run does with handleSummary()'s outcome. */
export type HandleSummaryOutcome = { ok: true; written: string[] } | { ok: false; problem: string };

/**
 * Calls handleSummary(data) (sync or async) and writes what it returns: `stdout`, `stderr`, or
 * files (relative to the current directory). Nothing is written when the value is not an
 * object of strings / ArrayBuffers / typed arrays.
 */
export async function runHandleSummary(fn: unknown, data: SummaryData): Promise<HandleSummaryOutcome> {
  const res = await callLifecycle('handleSummary', fn, [data], HANDLE_SUMMARY_TIMEOUT_MS);
  if (!res.ok) return { ok: false, problem: res.problem };
  const v = res.value;
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return {
      ok: false,
      problem: `handleSummary() returned ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}: expected an object like { stdout: '...', 'summary.json': '...' }`,
    };
  const outputs: [string, Uint8Array | string][] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    let body: Uint8Array | string;
    if (typeof x === 'string') body = x;
    else if (x instanceof ArrayBuffer) body = new Uint8Array(x);
    else if (ArrayBuffer.isView(x)) body = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    else
      return {
        ok: false,
        problem: `handleSummary() returned '${k}': ${x === null ? 'null' : typeof x}: each value must be a string, an ArrayBuffer or a typed array`,
      };
    if (k === '')
      return {
        ok: false,
        problem: "handleSummary() returned an empty key: use 'stdout', 'stderr' or a file path",
      };
    outputs.push([k, body]);
  }
  const written: string[] = [];
  try {
    for (const [k, body] of outputs) {
      if (k === 'stdout') process.stdout.write(body);
      else if (k === 'stderr') process.stderr.write(body);
      else {
        const path = resolvePath(k);
        makeDir(dirname(path));
        writeFileSync(path, body);
        written.push(k);
      }
    }
  } catch (e) {
    return { ok: false, problem: `handleSummary(): could not write its output: ${(e as Error).message}` };
  }
  return { ok: true, written };
}
