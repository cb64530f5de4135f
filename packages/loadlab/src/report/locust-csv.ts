/**
 * `--csv PREFIX`: Locust-compatible PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv
 * and PREFIX_exceptions.csv (rows only for the swarm's user tasks; scenarios have none). Column
 * headers are Locust 2.x's exactly (locust/stats.py, StatsCSV / StatsCSVFileWriter); rows are
 * written the way Python's csv module writes them ("\r\n", minimal quoting, Python number text).
 *
 * Differences, all forced by what the result model carries:
 * - Every percentile column comes from the HdrHistograms: the model carries 66%, 75%, 80%, 98%,
 *   99.9% and 99.99% as p66, p75, p80, p98, p99_9, p99_99 (and per second in `more`); a
 *   column is "N/A" only with no requests (or a hand-made model without those keys).
 * - History rows hold the Aggregated entry per one-second slice with that second's ("current")
 *   percentiles, like Locust's --csv-full-history; the Total columns are cumulative up to the
 *   end of that second (median, average, min and content size from the slice's `total`; "N/A"
 *   only for a hand-made model without it).
 * - With --csv-full-history (slices carrying `names`), each second first has a row per request
 *   type and name seen so far (since the last stats reset), sorted by name then type, as
 *   Locust's: that second's rates and percentiles ("0" for a second without its requests, "N/A"
 *   only while it has none at all), then its cumulative totals.
 * - With several scenarios each gets its own set: PREFIX_<scenario>_stats.csv, ...
 * - A script's setup()'s and teardown()'s requests (report.script's parts '(setup)' and
 *   '(teardown)', lifecycle-rows.ts): with one scenario, rows `(setup) NAME` / `(teardown) NAME`
 *   of its stats and failures, counted in its Aggregated (the run's http_reqs); with several,
 *   sets of their own, PREFIX_(setup)_stats.csv, .... The history is the scenarios' seconds.
 */
import { writeFileSync } from 'node:fs';
import type { EntryStats, NameSlice, RunReport, ScenarioResult, TimeSlice } from '../model/result.ts';
import { CSV_EOL, csvRow } from './csv.ts';
import { pyFloat } from './format.ts';
import { resultsWithLifecycle } from './lifecycle-rows.ts';

export const LOCUST_PERCENTILE_COLUMNS = [
  '50%',
  '66%',
  '75%',
  '80%',
  '90%',
  '95%',
  '98%',
  '99%',
  '99.9%',
  '99.99%',
  '100%',
] as const;

export const LOCUST_STATS_COLUMNS: readonly string[] = [
  'Type',
  'Name',
  'Request Count',
  'Failure Count',
  'Median Response Time',
  'Average Response Time',
  'Min Response Time',
  'Max Response Time',
  'Average Content Size',
  'Requests/s',
  'Failures/s',
  ...LOCUST_PERCENTILE_COLUMNS,
];

export const LOCUST_HISTORY_COLUMNS: readonly string[] = [
  'Timestamp',
  'User Count',
  'Type',
  'Name',
  'Requests/s',
  'Failures/s',
  ...LOCUST_PERCENTILE_COLUMNS,
  'Total Request Count',
  'Total Failure Count',
  'Total Median Response Time',
  'Total Average Response Time',
  'Total Min Response Time',
  'Total Max Response Time',
  'Total Average Content Size',
];

export const LOCUST_FAILURES_COLUMNS: readonly string[] = ['Method', 'Name', 'Error', 'Occurrences'];
export const LOCUST_EXCEPTIONS_COLUMNS: readonly string[] = ['Count', 'Message', 'Traceback', 'Nodes'];

const NA = 'N/A';

/** The model key holding each Locust percentile column (optional keys beyond LatencyMs allowed). */
export const PERCENTILE_KEYS: Record<(typeof LOCUST_PERCENTILE_COLUMNS)[number], string> = {
  '50%': 'p50',
  '66%': 'p66',
  '75%': 'p75',
  '80%': 'p80',
  '90%': 'p90',
  '95%': 'p95',
  '98%': 'p98',
  '99%': 'p99',
  '99.9%': 'p99_9',
  '99.99%': 'p99_99',
  '100%': 'max',
};

function percentileFields(lat: Partial<Record<string, number>>, requests: number): string[] {
  return LOCUST_PERCENTILE_COLUMNS.map((col) => {
    const v = lat[PERCENTILE_KEYS[col]];
    return requests === 0 || v === undefined || !Number.isFinite(v) ? NA : String(Math.round(v));
  });
}

/** Locust writes `min_response_time or 0`: a zero or missing minimum is the integer 0. */
function floatOrZero(v: number): string {
  return v === 0 || !Number.isFinite(v) ? '0' : pyFloat(v);
}

function statsRow(type: string, name: string, e: Omit<EntryStats, 'type' | 'name' | 'statusCounts'>): string {
  const lat = e.latency_ms;
  const none = e.requests === 0;
  return csvRow([
    type,
    name,
    e.requests,
    e.failures,
    none ? 0 : Math.round(lat.p50),
    none ? '0.0' : pyFloat(lat.mean),
    none ? '0' : floatOrZero(lat.min),
    none ? '0' : floatOrZero(lat.max),
    none ? '0' : pyFloat(e.avgContentLength),
    pyFloat(e.rps),
    pyFloat(e.failuresPerSec),
    ...percentileFields(lat as unknown as Partial<Record<string, number>>, e.requests),
  ]);
}

/** The Aggregated entry of a scenario (Locust's `stats.total`: empty Type, Name "Aggregated"). */
export function aggregatedEntry(s: ScenarioResult): EntryStats {
  const contentTotal = s.entries.reduce((acc, e) => acc + e.avgContentLength * e.requests, 0);
  return {
    type: '',
    name: 'Aggregated',
    requests: s.requests,
    failures: s.failures,
    rps: s.rps,
    // rounded as every other rate of the model (rps, each entry's failuresPerSec): 2 decimals
    failuresPerSec: s.durationSec > 0 ? Math.round((s.failures / s.durationSec) * 100) / 100 : 0,
    latency_ms: s.latency_ms,
    avgContentLength: s.requests > 0 ? contentTotal / s.requests : 0,
    statusCounts: {},
  };
}

/** Locust's order: entries sorted by (name, method), then the Aggregated row. */
export function sortedEntries(s: ScenarioResult): EntryStats[] {
  return [...s.entries].sort((a, b) =>
    a.name === b.name ? (a.type < b.type ? -1 : a.type > b.type ? 1 : 0) : a.name < b.name ? -1 : 1,
  );
}

export function locustStatsCsv(s: ScenarioResult): string {
  let out = csvRow(LOCUST_STATS_COLUMNS);
  for (const e of sortedEntries(s)) out += statsRow(e.type, e.name, e);
  const agg = aggregatedEntry(s);
  return out + statsRow(agg.type, agg.name, agg);
}

/** A --csv-full-history row: one (type, name) in one second. */
function nameHistoryRow(slice: TimeSlice, n: NameSlice): string {
  // Locust's "current" figures: a swarm's last 10 s of this name (NameSlice.current), else the second's
  const w = n.current ?? { ...n, count: n.requests };
  const current: Partial<Record<string, number>> = {
    ...w.more,
    p50: w.p50,
    p95: w.p95,
    p99: w.p99,
    max: w.max,
  };
  const t = n.total;
  // Locust: N/A while the entry has no requests at all; a window (second) without any shows 0
  const pct =
    w.count > 0
      ? percentileFields(current, w.count)
      : LOCUST_PERCENTILE_COLUMNS.map(() => (t.requests === 0 ? NA : '0'));
  return csvRow([
    Math.trunc(slice.t),
    slice.active,
    n.type,
    n.name,
    w.requests.toFixed(6),
    w.failures.toFixed(6),
    ...pct,
    t.requests,
    t.failures,
    t.requests === 0 ? 0 : Math.round(t.p50),
    t.requests === 0 ? '0.0' : pyFloat(t.mean),
    t.requests === 0 ? '0' : floatOrZero(t.min),
    t.requests === 0 ? '0' : floatOrZero(t.max),
    t.requests === 0 ? '0' : pyFloat(t.avgContentLength),
  ]);
}

export function locustHistoryCsv(s: ScenarioResult): string {
  const rows = new LocustHistoryRows();
  let out = csvRow(LOCUST_HISTORY_COLUMNS);
  for (const slice of s.timeseries) out += rows.of(slice);
  return out;
}

/** The history rows of a series, one second after the other (a live writer appends them as they come). */
export class LocustHistoryRows {
  private totalRequests = 0;
  private totalFailures = 0;
  private totalMax = 0;
  /** The series carries its own totals (counted since the last stats reset). */
  private counted = false;

  /** The rows of the next second: its names' (with --csv-full-history), then Aggregated. */
  of(slice: TimeSlice): string {
    let out = '';
    for (const n of slice.names ?? []) out += nameHistoryRow(slice, n);
    const t = slice.total;
    if (t?.requests !== undefined) {
      this.counted = true;
      this.totalRequests = t.requests;
      this.totalFailures = t.failures ?? 0;
      this.totalMax = t.max ?? 0;
    } else if (this.counted) {
      // reset, and nothing since
      this.totalRequests = this.totalFailures = this.totalMax = 0;
    } else {
      this.totalRequests += slice.requests;
      this.totalFailures += slice.failures;
      if (slice.requests > 0) this.totalMax = Math.max(this.totalMax, slice.max);
    }
    const { totalRequests, totalFailures, totalMax } = this;
    // Locust's "current" figures: a swarm's last 10 s (TimeSlice.current), else the second's
    const w = slice.current ?? { ...slice, count: slice.requests };
    const current: Partial<Record<string, number>> = {
      ...w.more,
      p50: w.p50,
      p95: w.p95,
      p99: w.p99,
      max: w.max,
    };
    out += csvRow([
      Math.trunc(slice.t),
      slice.active,
      '',
      'Aggregated',
      w.requests.toFixed(6),
      w.failures.toFixed(6),
      // as Locust's, a window (or, with the full history, a second) without requests after some is 0s
      ...((slice.names !== undefined || slice.current !== undefined) && w.count === 0 && totalRequests > 0
        ? LOCUST_PERCENTILE_COLUMNS.map(() => '0')
        : percentileFields(current, w.count)),
      totalRequests,
      totalFailures,
      slice.total === undefined ? NA : Math.round(slice.total.p50),
      slice.total === undefined ? NA : pyFloat(slice.total.mean),
      slice.total === undefined ? NA : floatOrZero(slice.total.min),
      totalRequests === 0 ? '0' : floatOrZero(totalMax),
      slice.total === undefined ? NA : pyFloat(slice.total.avgContentLength),
    ]);
    return out;
  }
}

export function locustFailuresCsv(s: ScenarioResult): string {
  let out = csvRow(LOCUST_FAILURES_COLUMNS);
  for (const f of s.failureRows) out += csvRow([f.method, f.name, f.error, f.occurrences]);
  return out;
}

/** Locust's Nodes: the workers that raised an exception (on a master), else `local`. */
export function exceptionNodes(e: { nodes?: readonly string[] }): string {
  return e.nodes === undefined || e.nodes.length === 0 ? 'local' : e.nodes.join(', ');
}

/** Exception rows come from `extra.exceptions` ({count, message, traceback, nodes?}: the swarm's user tasks). */
export function locustExceptionsCsv(s?: ScenarioResult): string {
  let out = csvRow(LOCUST_EXCEPTIONS_COLUMNS);
  const rows = (s?.extra.exceptions ?? []) as {
    count: number;
    message: string;
    traceback: string;
    nodes?: string[];
  }[];
  for (const e of rows) out += csvRow([e.count, e.message, e.traceback, exceptionNodes(e)]);
  return out;
}

/**
 * Writes the Locust CSV set for a run (or one scenario) and returns the files written.
 * One scenario: PREFIX_stats.csv ...; several: PREFIX_<scenario>_stats.csv ... per scenario.
 */
export function writeLocustCsv(prefix: string, run: RunReport | ScenarioResult): string[] {
  const sets = 'scenarios' in run ? resultsWithLifecycle(run) : [run];
  const files: string[] = [];
  for (const s of sets) {
    const base = sets.length === 1 ? prefix : `${prefix}_${s.scenario}`;
    const parts: [string, string][] = [
      [`${base}_stats.csv`, locustStatsCsv(s)],
      [`${base}_stats_history.csv`, locustHistoryCsv(s)],
      [`${base}_failures.csv`, locustFailuresCsv(s)],
      [`${base}_exceptions.csv`, locustExceptionsCsv(s)],
    ];
    for (const [file, text] of parts) {
      writeFileSync(file, text);
      files.push(file);
    }
  }
  return files;
}

/** Splits Locust CSV text into rows (for readers and tests); the files end rows with "\r\n". */
export function splitCsvLines(text: string): string[] {
  return text.split(CSV_EOL).filter((l) => l.length > 0);
}
