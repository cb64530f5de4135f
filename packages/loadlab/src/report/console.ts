/**
 * Console results: a results block per scenario (heading, figures, its own targets), the
 * Locust-style "Sample Results" table, any tables the suite adds, and the thresholds.
 * A scenario may supply its block's figures (ScenarioDefinition.summaryLines); otherwise the
 * block shows totals, throughput and latency percentiles.
 */
import type { RunReport, ScenarioResult } from '../model/result.ts';
import { commas, humanMs, pyFixed } from './format.ts';
import { renderSampleResults } from './locust-table.ts';
import { statusMark } from './markdown-table.ts';
import { renderSummaryTables, type SummaryTable } from './summary-table.ts';

/** A heading from a scenario id: "order-stress" -> "Order Stress". */
export function scenarioTitle(id: string): string {
  return id.replace(/[-_]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

const pct = (part: number, whole: number) => (whole > 0 ? pyFixed((part / whole) * 100, 1) : '0.0');

export function outcomeLines(s: ScenarioResult, noun: string): string[] {
  const ok = s.requests - s.failures;
  return [
    `Total ${noun}: ${commas(s.requests)}`,
    `Successful: ${commas(ok)} (${pct(ok, s.requests)}%)`,
    `Failed: ${commas(s.failures)} (${pct(s.failures, s.requests)}%)`,
  ];
}

export function latencyLines(s: ScenarioResult, withMax = true): string[] {
  const l = s.latency_ms;
  const lines = [
    'Latency Stats:',
    `  P50: ${pyFixed(l.p50, 2)} ms`,
    `  P95: ${pyFixed(l.p95, 2)} ms`,
    `  P99: ${pyFixed(l.p99, 2)} ms`,
  ];
  if (withMax) lines.push(`  Max: ${pyFixed(l.max, 2)} ms`);
  return lines;
}

export interface BlockOptions {
  /** The heading (default: from the id). */
  title?: string;
  /** The figures between heading and targets (default: totals, throughput, latency). */
  lines?: (s: ScenarioResult) => string[];
}

/** One scenario's block, e.g. "=== Order Stress Test Results ===" and its figures. */
export function renderScenarioBlock(s: ScenarioResult, opts: BlockOptions = {}): string {
  const body = opts.lines?.(s) ?? [
    ...outcomeLines(s, 'requests'),
    `Throughput: ${pyFixed(s.rps, 2)} requests/sec`,
    '',
    ...latencyLines(s),
  ];
  const lines = [`=== ${opts.title ?? scenarioTitle(s.scenario)} Test Results ===`, ...body];
  if (s.targets.length > 0) {
    lines.push('', 'Targets:');
    for (const t of s.targets)
      lines.push(`  ${statusMark(t.pass)} ${t.name}: ${t.actual} (target ${t.target})`);
  }
  for (const w of s.generator.warnings) lines.push(`  ⚠ generator: ${w}`);
  return lines.join('\n');
}

export interface ConsoleReportOptions {
  /** Per scenario id: how its block is drawn. */
  blocks?: (s: ScenarioResult) => BlockOptions;
  /** Tables after the scenarios (a suite's tables). */
  tables?: readonly SummaryTable[];
  /** Include the Locust-style Sample Results table per scenario (default true). */
  sampleResults?: boolean;
}

/** Everything a finished run prints. */
export function renderConsoleReport(report: RunReport, opts: ConsoleReportOptions = {}): string {
  const parts: string[] = [];
  for (const s of report.scenarios) {
    parts.push(renderScenarioBlock(s, opts.blocks?.(s)));
    if (opts.sampleResults !== false && s.entries.length > 0) parts.push(renderSampleResults(s));
  }
  if (opts.tables !== undefined && opts.tables.length > 0) parts.push(renderSummaryTables(opts.tables));
  if (report.thresholds.length > 0) {
    const lines = ['Thresholds:'];
    for (const t of report.thresholds) {
      lines.push(
        `  ${statusMark(t.pass)} ${t.expression}  (${t.metric} = ${formatActual(t.metric, t.actual)})`,
      );
    }
    parts.push(lines.join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

function formatActual(metric: string, v: number): string {
  const name = metric.split('{')[0];
  if (name === 'error_rate' || name === 'success_rate') return `${pyFixed(v * 100, 3)}%`;
  if (name === 'rps' || name === 'requests' || name === 'failures') return pyFixed(v, 2);
  return humanMs(v);
}
