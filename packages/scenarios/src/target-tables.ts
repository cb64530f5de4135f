/**
 * The two "Performance Targets" tables with Current and Status filled in from a run:
 *
 *   Critical Path Targets  | Operation | Target | Current | Status |
 *   Throughput Targets     | Component | Target | Current | Status |
 *
 * The four micro-benchmark rows come from `tickstorm bench` rows (BenchRow, passed in); the
 * others from the scenarios (ids below, overridable). Status: ✅ met, ❌ missed, ⏳ not measured
 * in this run (Current "n/a").
 */
import {
  commas,
  humanMs,
  pickNumber,
  type RunReport,
  renderSummaryTables,
  type ScenarioResult,
  type SummaryTable,
} from '@tickstorm/loadlab';
import type { BenchRow } from '@tickstorm/protocol';

export type { BenchRow };

export interface TargetRow {
  operation: string;
  target: string;
  current: string;
  pass: boolean | null;
}

export interface TargetSources {
  marketData: string;
  orders: string;
  db: string;
  ws: string;
  /** The first of these present gives "API latency" and "API requests/min". */
  api: readonly string[];
}

export const DEFAULT_TARGET_SOURCES: TargetSources = {
  marketData: 'market-data-flood',
  orders: 'order-stress',
  db: 'db-throughput',
  ws: 'ws-concurrency',
  api: ['api', 'api-mix', 'user-mix', 'locust', 'order-stress'],
};

const BENCH_ROWS: [id: string, name: string, target: string][] = [
  ['order_creation', 'Order creation', '<100ns'],
  ['order_book_update', 'OrderBook update', '<500ns'],
  ['risk_check', 'Risk check', '<1μs'],
  ['order_routing', 'Order routing', '<100μs'],
];

/** 38 ns, 1.2 μs, 3.4 ms (the Performance Targets tables' units). */
export function formatNs(ns: number): string {
  const fmt = (x: number) =>
    Number.isInteger(x) || x >= 100 ? String(Math.round(x)) : x.toFixed(x < 10 ? 2 : 1);
  if (ns < 1_000) return `${Math.round(ns)}ns`;
  if (ns < 1_000_000) return `${fmt(ns / 1_000)}μs`;
  return `${fmt(ns / 1_000_000)}ms`;
}

const NA: Pick<TargetRow, 'current' | 'pass'> = { current: 'n/a', pass: null };

function find(report: RunReport, id: string): ScenarioResult | undefined {
  return report.scenarios.find((s) => s.scenario === id);
}

function apiScenario(report: RunReport, src: TargetSources): ScenarioResult | undefined {
  for (const id of src.api) {
    const s = find(report, id);
    if (s !== undefined) return s;
  }
  return undefined;
}

function okRate(s: ScenarioResult): number {
  return s.durationSec > 0 ? (s.requests - s.failures) / s.durationSec : 0;
}

export function batchSize(s: ScenarioResult): number {
  return (
    pickNumber(s.extra, 'batchSize', 'batch_size') ?? pickNumber(s.params, 'batchSize', 'batch_size') ?? 1000
  );
}

export function criticalPathRows(
  report: RunReport,
  bench: readonly BenchRow[] = [],
  src: TargetSources = DEFAULT_TARGET_SOURCES,
): TargetRow[] {
  const rows: TargetRow[] = BENCH_ROWS.map(([id, name, target]) => {
    const b = bench.find((r) => r.id === id);
    const measure = b?.measure ?? 'p50';
    const v = b === undefined ? null : measure === 'p50' ? b.p50_ns : b.p99_ns;
    if (b === undefined || v === null) return { operation: name, target, ...NA };
    return { operation: name, target, current: `${formatNs(v)} (${measure})`, pass: b.pass };
  });
  const db = find(report, src.db);
  const dbBatch = db === undefined ? 1000 : batchSize(db);
  rows.push({
    operation: 'Database insert (1k batch)',
    target: '<50ms',
    ...(db === undefined || db.requests === 0
      ? NA
      : {
          current: `${humanMs(db.latency_ms.p95)} (P95${dbBatch === 1000 ? '' : `, batch ${commas(dbBatch)}`})`,
          pass: db.latency_ms.p95 < 50,
        }),
  });
  const api = apiScenario(report, src);
  rows.push({
    operation: 'API latency (P95)',
    target: '<10ms',
    ...(api === undefined || api.requests === 0
      ? NA
      : { current: `${humanMs(api.latency_ms.p95)} (${api.scenario})`, pass: api.latency_ms.p95 < 10 }),
  });
  const ws = find(report, src.ws);
  rows.push({
    operation: 'WebSocket latency (P95)',
    target: '<50ms',
    ...(ws === undefined || ws.requests === 0
      ? NA
      : { current: humanMs(ws.latency_ms.p95), pass: ws.latency_ms.p95 < 50 }),
  });
  return rows;
}

/** Rates count as met within 1% of the floor: the same tolerance as the scenarios' own rate targets. */
const RATE_TOLERANCE = 0.99;

function rateRow(component: string, target: string, floor: number, value: number | undefined, unit = '') {
  if (value === undefined) return { operation: component, target, ...NA };
  return {
    operation: component,
    target,
    current: `${commas(value)}${unit}`,
    pass: value >= floor * RATE_TOLERANCE,
  };
}

export function throughputRows(report: RunReport, src: TargetSources = DEFAULT_TARGET_SOURCES): TargetRow[] {
  const md = find(report, src.marketData);
  const mdRate =
    md === undefined
      ? undefined
      : (pickNumber(md.extra, 'ticksProcessedPerSec') ??
        (pickNumber(md.extra, 'ticksProcessed') ?? md.requests - md.failures) /
          Math.max(md.durationSec, 1e-9));
  const orders = find(report, src.orders);
  const db = find(report, src.db);
  const dbRate =
    db === undefined
      ? undefined
      : (pickNumber(db.extra, 'recordsPerSec') ??
        (pickNumber(db.extra, 'recordsWritten') ?? (db.requests - db.failures) * batchSize(db)) /
          Math.max(db.durationSec, 1e-9));
  const api = apiScenario(report, src);
  const rows: TargetRow[] = [
    rateRow('Market data ticks/sec', '100,000+', 100_000, mdRate),
    rateRow('Orders/sec', '1,000+', 1_000, orders === undefined ? undefined : okRate(orders)),
    rateRow('Database writes/sec', '10,000+', 10_000, dbRate),
    rateRow('API requests/min', '10,000+', 10_000, api === undefined ? undefined : okRate(api) * 60),
  ];
  const ws = find(report, src.ws);
  if (ws === undefined) rows.push({ operation: 'WebSocket clients', target: '100+', ...NA });
  else {
    const clients =
      pickNumber(ws.extra, 'clientsConnected', 'clients') ?? pickNumber(ws.params, 'clients') ?? 0;
    const receiving = pickNumber(ws.extra, 'clientsReceiving');
    const all = receiving === undefined || receiving >= clients;
    rows.push({
      operation: 'WebSocket clients',
      target: '100+',
      current:
        receiving === undefined ? commas(clients) : `${commas(clients)} (${commas(receiving)} receiving)`,
      pass: clients >= 100 && all,
    });
  }
  return rows;
}

function summary(title: string, first: string, rows: readonly TargetRow[]): SummaryTable {
  return {
    title,
    columns: [first, 'Target', 'Current'],
    rows: rows.map((r) => ({ cells: [r.operation, r.target, r.current], pass: r.pass })),
  };
}

/** Both tables, for a run's console output and HTML report. */
export function performanceTargetTables(
  report: RunReport,
  bench: readonly BenchRow[] = [],
  src: TargetSources = DEFAULT_TARGET_SOURCES,
): SummaryTable[] {
  return [
    {
      ...summary('Critical Path Targets', 'Operation', criticalPathRows(report, bench, src)),
      group: 'Performance Targets',
    },
    summary('Throughput Targets', 'Component', throughputRows(report, src)),
  ];
}

/** Both tables with "###" headings, as Markdown. */
export function renderTargetTables(
  report: RunReport,
  bench: readonly BenchRow[] = [],
  src: TargetSources = DEFAULT_TARGET_SOURCES,
): string {
  return renderSummaryTables(performanceTargetTables(report, bench, src));
}
