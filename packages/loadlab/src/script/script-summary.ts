/**
 * A script run's summary: what `--json` writes (ScriptSummary), k6's end-of-test text of it
 * (summaryLines), check()'s rows over the run's parts, and the closing verdict line.
 */

import {
  EXIT_ABORTED,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  EXIT_THRESHOLD_ABORTED,
  EXIT_THRESHOLDS_FAILED,
} from '../gates/exit-codes.ts';
import type { ThresholdResult } from '../gates/thresholds.ts';
import type {
  RunReport,
  ScenarioResult,
  ScriptMetricsSection,
  ScriptThresholdResult,
} from '../model/result.ts';
import { trendIsTime } from '../monitor/script-figures.ts';
import { parseCheckId } from '../stats/check-id.ts';
import { type CheckRow, checkTree, treeLines } from './check-tree.ts';
import type { MetricPart, MetricValues } from './k6-metrics.ts';
import { bytes } from './text-summary.ts';

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
  /** Per check (k6's: a group's own, `group` its path). */
  checks: CheckRow[];
  thresholds: ScriptThresholdResult[];
  /** The lab's thresholds (--threshold, or options.thresholds as an array of strings). */
  labThresholds: ThresholdResult[];
  /** The threshold with abortOnFail that stopped the run ('KEY: EXPR'), or 'exec.test.abort(): REASON'. */
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

/** check()'s rows: passes and fails per check name, over the parts. */
export function checkRows(parts: readonly MetricPart[]): ScriptSummary['checks'] {
  const rows = new Map<string, CheckRow>();
  for (const p of parts)
    for (const [k, v] of Object.entries(p.counters)) {
      const m = /^check:(.*):(pass|fail)$/s.exec(k); // a name may hold a newline
      if (m === null) continue;
      const { group, name } = parseCheckId(m[1]);
      const row = rows.get(m[1]) ?? { name, ...(group === '' ? {} : { group }), passes: 0, fails: 0 };
      if (m[2] === 'pass') row.passes += v;
      else row.fails += v;
      rows.set(m[1], row);
    }
  return [...rows.values()];
}

const fmtMs = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(2)}ms`);
/** A time (ms) in options.summaryTimeUnit ('s', 'ms', 'us', as k6's --summary-time-unit), else as it fits. */
const timeIn = (unit: string | undefined) => (v: number) =>
  unit === 's'
    ? `${(v / 1000).toFixed(2)}s`
    : unit === 'ms'
      ? `${v.toFixed(2)}ms`
      : unit === 'us'
        ? `${(v * 1000).toFixed(2)}µs`
        : fmtMs(v);
/** A plain Trend's figure, as k6 prints one: up to 6 decimals, no unit. */
const fmtPlain = (v: number) => String(Math.round(v * 1e6) / 1e6);

/**
 * k6's end-of-test summary. `trendStats`: per trend, the figures options.summaryTrendStats
 * chose (in ms, `count` a number), shown in their order instead of the default set. `timeUnit`:
 * options.summaryTimeUnit (k6's --summary-time-unit), the unit of every time figure when set.
 */
export function summaryLines(
  s: Pick<ScriptSummary, 'checks' | 'metrics' | 'thresholds'>,
  trendStats?: Readonly<Record<string, Readonly<Record<string, number>>>>,
  timeUnit?: string,
): string[] {
  const fmtTime = timeIn(timeUnit);
  const lines: string[] = [];
  // by group, as k6 prints them: the top's checks, then `█ GROUP` above its own
  lines.push(
    ...treeLines(
      checkTree(s.checks),
      (c, depth) => {
        const total = c.passes + c.fails;
        return [
          `  ${'  '.repeat(depth)}${c.fails === 0 ? '✓' : '✗'} ${c.name}${c.fails === 0 ? '' : ` (${Math.round((c.passes / total) * 100)}% — ✓ ${c.passes} / ✗ ${c.fails})`}`,
        ];
      },
      (name, depth) => `  ${'  '.repeat(depth)}█ ${name}`,
    ),
  );
  const mark = new Map<string, boolean>();
  for (const t of s.thresholds) {
    const base = t.metric;
    mark.set(base, (mark.get(base) ?? true) && t.ok);
  }
  // a sub-metric under its metric, as k6 shows `{ expected_response:true }`
  const labelOf = (name: string) => {
    const cut = name.indexOf('{');
    return cut < 0 ? name : `  { ${name.slice(cut + 1, -1).trim()} }`;
  };
  const width = Math.max(20, ...Object.keys(s.metrics).map((k) => labelOf(k).length + 3));
  for (const [name, m] of Object.entries(s.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    const ok = mark.get(name);
    const head = `  ${ok === undefined ? ' ' : ok ? '✓' : '✗'} ${labelOf(name)}`.padEnd(width + 4, '.');
    const chosen = trendStats?.[name];
    // a Trend declared without isTime holds plain numbers, shown as they are (k6's default)
    const f = m.type === 'trend' && !trendIsTime(name) ? fmtPlain : fmtTime;
    if (m.type === 'trend' && chosen !== undefined)
      lines.push(
        `${head}: ${Object.entries(chosen)
          .map(([k, x]) => `${k}=${k === 'count' ? x : f(x)}`)
          .join(' ')}`,
      );
    else if (m.type === 'trend') {
      const v = m.values;
      lines.push(
        `${head}: avg=${f(v.avg)} min=${f(v.min)} med=${f(v.med)} max=${f(v.max)} p(90)=${f(v['p(90)'])} p(95)=${f(v['p(95)'])} p(99)=${f(v['p(99)'])} count=${v.count}`,
      );
    } else if (m.type === 'rate') {
      const v = m.values;
      lines.push(`${head}: ${(v.rate * 100).toFixed(2)}%  ✓ ${v.passes}  ✗ ${v.fails}`);
    } else if (m.type === 'gauge') {
      const v = m.values;
      lines.push(`${head}: ${v.value}  min=${v.min}  max=${v.max}`);
    } else if (name === 'data_received' || name === 'data_sent')
      lines.push(`${head}: ${bytes(m.values.count)}  ${bytes(m.values.rate)}/s`);
    else lines.push(`${head}: ${m.values.count}  ${m.values.rate}/s`);
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

export function verdict(code: number, s: ScriptSummary, failing: string): string {
  if (code === EXIT_OK) return `PASSED: every threshold met (exit code ${code})`;
  if (code === EXIT_THRESHOLDS_FAILED) {
    const n = s.thresholds.filter((t) => !t.ok).length + s.labThresholds.filter((t) => !t.pass).length;
    return `FAILED: ${n} threshold(s) not met (exit code ${code})`;
  }
  if (code === EXIT_THRESHOLD_ABORTED)
    return s.abortedBy?.startsWith('exec.test.abort()') === true
      ? `ABORTED by ${s.abortedBy} (exit code ${code})`
      : `ABORTED by threshold ${s.abortedBy} (exit code ${code})`;
  if (code === EXIT_ABORTED) return `INTERRUPTED: results so far are above (exit code ${code})`;
  if (code === EXIT_SCRIPT_ERROR)
    return s.abortedBy?.startsWith('script error: ') === true
      ? `STOPPED by a ${s.abortedBy} (exit code ${code})`
      : `ERROR: ${failing} failed (exit code ${code})`;
  return `ERROR: a scenario could not run (exit code ${code})`;
}
