/**
 * Console results: the guide's results block per scenario, each scenario's own targets, the
 * performance suite's "Sample Results" table, the two Performance Targets tables, and the
 * thresholds.
 *
 * Scenario figures read from `extra` (then `params`) when present:
 * - market-data-flood: ticksSent, ticksProcessed, ticksRejected
 * - db-throughput: batchSize, totalRecords, batches
 * - ws-concurrency: clients (or clientsConnected), totalMessages, clientsReceiving, avgLatencyMs
 */
import type { RunReport, ScenarioResult } from '../model/result.ts';
import { commas, humanMs, pickNumber, pyFixed } from './format.ts';
import { renderSampleResults } from './locust-table.ts';
import { statusMark } from './markdown-table.ts';
import { type BenchRow, batchSize, renderTargetTables, type TargetSources } from './target-tables.ts';

const TITLES: Record<string, string> = {
  'market-data-flood': 'Market Data Flood',
  'order-stress': 'Order Stress',
  'db-throughput': 'Database Throughput',
  'ws-concurrency': 'WebSocket Concurrency',
};

/** "order-stress" -> "Order Stress"; the guide's names for its four scenarios. */
export function scenarioTitle(id: string): string {
  return TITLES[id] ?? id.replace(/[-_]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}

const pct = (part: number, whole: number) => (whole > 0 ? pyFixed((part / whole) * 100, 1) : '0.0');

function outcomeLines(s: ScenarioResult, noun: string): string[] {
  const ok = s.requests - s.failures;
  return [
    `Total ${noun}: ${commas(s.requests)}`,
    `Successful: ${commas(ok)} (${pct(ok, s.requests)}%)`,
    `Failed: ${commas(s.failures)} (${pct(s.failures, s.requests)}%)`,
  ];
}

function latencyLines(s: ScenarioResult, withMax = true): string[] {
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

function marketDataLines(s: ScenarioResult): string[] {
  const sent = pickNumber(s.extra, 'ticksSent') ?? s.requests;
  const lines = [
    `Total ticks generated: ${commas(sent)}`,
    `Average rate: ${pyFixed(sent / Math.max(s.durationSec, 1e-9), 2)} ticks/sec`,
  ];
  const processed = pickNumber(s.extra, 'ticksProcessed');
  const rejected = pickNumber(s.extra, 'ticksRejected');
  if (processed !== undefined) lines.push(`Ticks processed: ${commas(processed)}`);
  if (rejected !== undefined) lines.push(`Ticks rejected: ${commas(rejected)}`);
  return [...lines, '', ...latencyLines(s)];
}

function dbLines(s: ScenarioResult): string[] {
  const batch = batchSize(s);
  const batches = pickNumber(s.extra, 'batches') ?? s.requests;
  const records = pickNumber(s.extra, 'totalRecords') ?? batches * batch;
  const byLatency = s.latency_ms.mean > 0 ? (batch / s.latency_ms.mean) * 1000 : 0;
  return [
    `Total records: ${commas(records)}`,
    `Batch size: ${batch}`,
    `Total batches: ${batches}`,
    ...(s.failures > 0 ? [`Failed batches: ${commas(s.failures)} (${pct(s.failures, s.requests)}%)`] : []),
    '',
    ...latencyLines(s),
    '',
    'Throughput:',
    `  Average: ${pyFixed(byLatency, 0)} records/sec`,
    `  Achieved: ${pyFixed(records / Math.max(s.durationSec, 1e-9), 0)} records/sec over ${pyFixed(s.durationSec, 1)} s`,
  ];
}

function wsLines(s: ScenarioResult): string[] {
  const clients = pickNumber(s.extra, 'clients', 'clientsConnected') ?? pickNumber(s.params, 'clients') ?? 0;
  const messages = pickNumber(s.extra, 'totalMessages') ?? s.requests;
  const avg = pickNumber(s.extra, 'avgLatencyMs') ?? s.latency_ms.mean;
  const lines = [
    `Concurrent clients: ${clients}`,
    `Total messages: ${commas(messages)}`,
    `Messages/client: ${pyFixed(clients > 0 ? messages / clients : 0, 0)}`,
    `Average latency: ${pyFixed(avg, 2)} ms`,
  ];
  const receiving = pickNumber(s.extra, 'clientsReceiving');
  if (receiving !== undefined) lines.push(`Clients receiving updates: ${receiving}/${clients}`);
  return [...lines, '', ...latencyLines(s)];
}

/** One scenario's block, e.g. "=== Order Stress Test Results ===" and its figures. */
export function renderScenarioBlock(s: ScenarioResult): string {
  let body: string[];
  if (s.scenario === 'market-data-flood') body = marketDataLines(s);
  else if (s.scenario === 'db-throughput') body = dbLines(s);
  else if (s.scenario === 'ws-concurrency') body = wsLines(s);
  else {
    const noun = s.scenario === 'order-stress' ? 'orders' : 'requests';
    body = [...outcomeLines(s, noun), `Throughput: ${pyFixed(s.rps, 2)} ${noun}/sec`, '', ...latencyLines(s)];
  }
  const lines = [`=== ${scenarioTitle(s.scenario)} Test Results ===`, ...body];
  if (s.targets.length > 0) {
    lines.push('', 'Targets:');
    for (const t of s.targets)
      lines.push(`  ${statusMark(t.pass)} ${t.name}: ${t.actual} (target ${t.target})`);
  }
  for (const w of s.generator.warnings) lines.push(`  ⚠ generator: ${w}`);
  return lines.join('\n');
}

export interface ConsoleReportOptions {
  bench?: readonly BenchRow[];
  sources?: TargetSources;
  /** Include the Locust-style Sample Results table per scenario (default true). */
  sampleResults?: boolean;
}

/** Everything a finished `tickstorm run` prints. */
export function renderConsoleReport(report: RunReport, opts: ConsoleReportOptions = {}): string {
  const parts: string[] = [];
  for (const s of report.scenarios) {
    parts.push(renderScenarioBlock(s));
    if (opts.sampleResults !== false && s.entries.length > 0) parts.push(renderSampleResults(s));
  }
  parts.push(renderTargetTables(report, opts.bench, opts.sources));
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
