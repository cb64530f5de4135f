/**
 * The agent workload's "Sample Results" table (Locust's console summary):
 *
 *   Type     Name                  # reqs  # fails     Avg     Min     Max     Med |   req/s  failures/s
 *   -------- ------------------- -------- -------- ------- ------- ------- ------- | ------- -----------
 *   POST     /orders                 1500        5     450     120    1200     400 |   30.00        0.10
 *   -------- ------------------- -------- -------- ------- ------- ------- ------- | ------- -----------
 *            Aggregated              4650       11     650      50    4800     520 |   93.00        0.20
 *
 * Times in milliseconds: whole numbers from 10 ms up, two decimals below (sub-millisecond
 * systems would otherwise show a column of zeros).
 */
import type { EntryStats, ScenarioResult } from '../model/result.ts';
import { aggregatedEntry, LOCUST_PERCENTILE_COLUMNS, PERCENTILE_KEYS, sortedEntries } from './locust-csv.ts';

const WIDTHS = { type: 8, reqs: 8, fails: 8, time: 7, rps: 7, fps: 11 } as const;

function ms(v: number, requests: number): string {
  if (requests === 0 || !Number.isFinite(v)) return '0';
  return v >= 10 ? String(Math.round(v)) : v.toFixed(2);
}

function row(e: EntryStats, nameWidth: number): string {
  const l = e.latency_ms;
  const t = (v: number) => ms(v, e.requests).padStart(WIDTHS.time);
  return [
    e.type.padEnd(WIDTHS.type),
    e.name.padEnd(nameWidth),
    String(e.requests).padStart(WIDTHS.reqs),
    String(e.failures).padStart(WIDTHS.fails),
    t(l.mean),
    t(l.min),
    t(l.max),
    t(l.p50),
    '|',
    e.rps.toFixed(2).padStart(WIDTHS.rps),
    e.failuresPerSec.toFixed(2).padStart(WIDTHS.fps),
  ].join(' ');
}

/** Renders entries (sorted as Locust sorts them) and the Aggregated row. */
export function renderSampleResults(s: ScenarioResult): string {
  const entries = sortedEntries(s);
  const nameWidth = Math.max(19, ...entries.map((e) => e.name.length), 'Aggregated'.length);
  const header = [
    'Type'.padEnd(WIDTHS.type),
    'Name'.padEnd(nameWidth),
    '# reqs'.padStart(WIDTHS.reqs),
    '# fails'.padStart(WIDTHS.fails),
    'Avg'.padStart(WIDTHS.time),
    'Min'.padStart(WIDTHS.time),
    'Max'.padStart(WIDTHS.time),
    'Med'.padStart(WIDTHS.time),
    '|',
    'req/s'.padStart(WIDTHS.rps),
    'failures/s'.padStart(WIDTHS.fps),
  ].join(' ');
  const d = (n: number) => '-'.repeat(n);
  const sep = [
    d(WIDTHS.type),
    d(nameWidth),
    d(WIDTHS.reqs),
    d(WIDTHS.fails),
    d(WIDTHS.time),
    d(WIDTHS.time),
    d(WIDTHS.time),
    d(WIDTHS.time),
    '|',
    d(WIDTHS.rps),
    d(WIDTHS.fps),
  ].join(' ');
  const lines = [header, sep, ...entries.map((e) => row(e, nameWidth)), sep];
  lines.push(row(aggregatedEntry(s), nameWidth));
  return lines.map((l) => l.trimEnd()).join('\n');
}

/**
 * Locust's "Response time percentiles (approximated)" table, printed after the Sample Results
 * at the end of a headless run: per request type and name (those with requests), then the
 * Aggregated row, each percentile in whole ms as Locust prints them (the same figures as
 * --csv's PREFIX_stats.csv columns), and `# reqs`.
 */
export function renderPercentiles(s: ScenarioResult): string {
  const entries = sortedEntries(s).filter((e) => e.requests > 0);
  if (s.requests === 0) return '';
  const nameWidth = Math.max(19, ...entries.map((e) => e.name.length), 'Aggregated'.length);
  const cols = LOCUST_PERCENTILE_COLUMNS;
  const line = (type: string, name: string, cells: string[]) =>
    [
      type.padEnd(WIDTHS.type),
      name.padEnd(nameWidth),
      cells[0].padStart(8),
      ...cells.slice(1).map((c) => c.padStart(6)),
    ]
      .join(' ')
      .trimEnd();
  const sep = [
    '-'.repeat(WIDTHS.type),
    '-'.repeat(nameWidth),
    '-'.repeat(8),
    ...cols.slice(1).map(() => '-'.repeat(6)),
    '-'.repeat(6),
  ].join('|');
  const cells = (e: EntryStats) => [
    ...cols.map((c) => {
      const v = (e.latency_ms as unknown as Partial<Record<string, number>>)[PERCENTILE_KEYS[c]];
      return v === undefined || !Number.isFinite(v) ? 'N/A' : String(Math.round(v));
    }),
    String(e.requests),
  ];
  return [
    'Response time percentiles (approximated)',
    line('Type', 'Name', [...cols, '# reqs']),
    sep,
    ...entries.map((e) => line(e.type, e.name, cells(e))),
    sep,
    line('', 'Aggregated', cells(aggregatedEntry(s))),
  ].join('\n');
}

/** Rows of the error report shown at most; the rest are counted (every row is in --csv's PREFIX_failures.csv). */
const ERROR_ROWS = 20;

/**
 * Locust's "Error report" after a headless run: each failure (method, name, error) with its
 * occurrences, most frequent first; empty when nothing failed.
 */
export function renderErrorReport(s: ScenarioResult): string {
  if (s.failureRows.length === 0) return '';
  const rows = [...s.failureRows].sort((a, b) => b.occurrences - a.occurrences);
  const lines = [
    'Error report',
    `${'# occurrences'.padEnd(18)} Error`,
    `${'-'.repeat(18)} ${'-'.repeat(60)}`,
  ];
  for (const f of rows.slice(0, ERROR_ROWS))
    lines.push(`${String(f.occurrences).padEnd(18)} ${f.method} ${f.name}: ${f.error}`);
  if (rows.length > ERROR_ROWS)
    lines.push(`... and ${rows.length - ERROR_ROWS} more (all of them: --csv PREFIX_failures.csv)`);
  return lines.join('\n');
}
