/**
 * Reads a results CSV (columns `timestamp,latency,success,duration`; any others are
 * ignored) into typed columns, streaming, so files with millions of rows stay cheap. Values are
 * read the way pandas' `read_csv` reads them: its NA strings are missing values (NaN), booleans
 * are True/False/true/false/TRUE/FALSE (1/0 too), blank lines are skipped, quoted fields may hold
 * commas, quotes and line breaks. `timestamp` is epoch seconds or an ISO 8601 date-time
 * (`2026-01-01T09:30:00.123456`, Python's `datetime.isoformat()`, with or without an offset; none
 * means local time), which the pandas script plots as well. Anything else is an error naming the line.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LabError, LabErrorCode } from '../errors.ts';

export const REQUIRED_COLUMNS = ['timestamp', 'latency', 'success', 'duration'] as const;

/** Bad input to `tickstorm analyze` (LAB_ERR_INVALID_ANALYZE_INPUT, exit code 104). */
export class AnalyzeInputError extends LabError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(LabErrorCode.INVALID_ANALYZE_INPUT, message, opts);
    this.name = 'AnalyzeInputError';
  }
}

export interface ResultsData {
  rows: number;
  columns: string[];
  timestamp: Float64Array;
  latency: Float64Array;
  duration: Float64Array;
  /** 1 success, 0 failure, -1 missing. */
  success: Int8Array;
}

/** pandas' default NA strings. */
const NA = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF: Record<string, number> = {
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  Infinity,
  '-Infinity': -Infinity,
};
const TRUE = new Set(['True', 'TRUE', 'true', '1', '1.0']);
const FALSE = new Set(['False', 'FALSE', 'false', '0', '0.0']);

/** Splits one CSV record (RFC 4180 quoting). */
export function splitCsvRecord(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

function parseNumber(raw: string, column: string, line: number): number {
  const s = raw.trim();
  if (NA.has(s)) return Number.NaN;
  if (NUMBER.test(s)) return Number(s);
  const inf = INF[s];
  if (inf !== undefined) return inf;
  throw new AnalyzeInputError(`line ${line}: ${column} is not a number: ${JSON.stringify(raw)}`);
}

/** ISO 8601 date-times: a date, then `T` or a space, a time, optional fraction and offset. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** A timestamp: epoch seconds (a number, as parseNumber), or an ISO 8601 date-time as epoch seconds. */
function parseTimestamp(raw: string, line: number): number {
  const s = raw.trim();
  if (ISO_DATE_TIME.test(s)) {
    // Date.parse keeps milliseconds; finer digits (Python's microseconds) are added back. A date
    // alone is local midnight, as a date-time without an offset is (Date.parse would take UTC).
    const ms = Date.parse(s.length === 10 ? `${s}T00:00:00` : s.replace(/(\.\d{3})\d+/, '$1'));
    const sub = /\.\d{3}(\d+)/.exec(s);
    if (Number.isFinite(ms)) return ms / 1000 + (sub === null ? 0 : Number(`0.000${sub[1]}`));
  }
  if (NUMBER.test(s) || NA.has(s) || INF[s] !== undefined) return parseNumber(raw, 'timestamp', line);
  throw new AnalyzeInputError(
    `line ${line}: timestamp is not a number (epoch seconds) or an ISO 8601 date-time: ${JSON.stringify(raw)}`,
  );
}

function parseBool(raw: string, line: number): number {
  const s = raw.trim();
  if (TRUE.has(s)) return 1;
  if (FALSE.has(s)) return 0;
  if (NA.has(s)) return -1;
  throw new AnalyzeInputError(
    `line ${line}: success must be True/False/true/false/1/0, got ${JSON.stringify(raw)}`,
  );
}

class Column {
  data: Float64Array = new Float64Array(1 << 16);
  push(i: number, v: number): void {
    if (i >= this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[i] = v;
  }
}

/** Rows to keep: `--name` (the name column, e.g. "POST /orders", or just "/orders") and `--scenario`. */
export interface ResultsFilter {
  name?: string;
  scenario?: string;
}

export async function readResultsCsv(path: string, filter: ResultsFilter = {}): Promise<ResultsData> {
  try {
    return await read(path, filter);
  } catch (err) {
    if (err instanceof AnalyzeInputError && err.message.startsWith('line ')) {
      throw new AnalyzeInputError(`${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

async function read(path: string, filter: ResultsFilter): Promise<ResultsData> {
  if (!existsSync(path)) throw new AnalyzeInputError(`no such file: ${path}`);
  if (statSync(path).isDirectory()) throw new AnalyzeInputError(`${path} is a directory, not a CSV file`);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let header: string[] | null = null;
  let idx: number[] = [];
  let nameAt = -1;
  let scenarioAt = -1;
  const ts = new Column();
  const lat = new Column();
  const dur = new Column();
  let succ = new Int8Array(1 << 16);
  let rows = 0;
  let lineNo = 0;
  let pending = '';
  let pendingStart = 0;
  for await (const physical of lines) {
    lineNo++;
    let text = physical;
    if (pending !== '') text = `${pending}\n${physical}`;
    if ((text.match(/"/g)?.length ?? 0) % 2 === 1) {
      if (pending === '') pendingStart = lineNo;
      pending = text;
      continue;
    }
    const at = pending === '' ? lineNo : pendingStart;
    pending = '';
    if (header === null) {
      header = splitCsvRecord(text.replace(/^\uFEFF/, ''));
      const missing = REQUIRED_COLUMNS.filter((c) => !header?.includes(c));
      if (missing.length > 0) {
        throw new AnalyzeInputError(
          `${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
            `(found: ${header.join(', ')}; needed: ${REQUIRED_COLUMNS.join(', ')})`,
        );
      }
      idx = REQUIRED_COLUMNS.map((c) => header?.indexOf(c) ?? -1);
      nameAt = header.indexOf('name');
      scenarioAt = header.indexOf('scenario');
      if (filter.name !== undefined && nameAt < 0)
        throw new AnalyzeInputError(`--name: ${path} has no name column (found: ${header.join(', ')})`);
      if (filter.scenario !== undefined && scenarioAt < 0)
        throw new AnalyzeInputError(
          `--scenario: ${path} has no scenario column (tickstorm run writes one; found: ${header.join(', ')})`,
        );
      continue;
    }
    if (text.trim() === '') continue;
    const f = splitCsvRecord(text);
    if (f.length > header.length) {
      throw new AnalyzeInputError(`line ${at}: expected ${header.length} fields, found ${f.length}`);
    }
    if (filter.scenario !== undefined && f[scenarioAt] !== filter.scenario) continue;
    if (filter.name !== undefined) {
      const n = f[nameAt] ?? '';
      if (n !== filter.name && n.slice(n.indexOf(' ') + 1) !== filter.name) continue;
    }
    ts.push(rows, parseTimestamp(f[idx[0]] ?? '', at));
    lat.push(rows, parseNumber(f[idx[1]] ?? '', 'latency', at));
    if (rows >= succ.length) {
      const next = new Int8Array(succ.length * 2);
      next.set(succ);
      succ = next;
    }
    succ[rows] = parseBool(f[idx[2]] ?? '', at);
    dur.push(rows, parseNumber(f[idx[3]] ?? '', 'duration', at));
    rows++;
  }
  if (pending !== '') throw new AnalyzeInputError(`line ${pendingStart}: unterminated quoted field`);
  if (header === null) throw new AnalyzeInputError(`${path} is empty (no header, no rows)`);
  if (rows === 0 && (filter.name !== undefined || filter.scenario !== undefined))
    throw new AnalyzeInputError(
      `${path}: no rows match${filter.scenario === undefined ? '' : ` --scenario ${filter.scenario}`}${
        filter.name === undefined ? '' : ` --name ${filter.name}`
      }`,
    );
  if (rows === 0) throw new AnalyzeInputError(`${path} has a header but no rows`);
  return {
    rows,
    columns: header,
    timestamp: ts.data.subarray(0, rows),
    latency: lat.data.subarray(0, rows),
    duration: dur.data.subarray(0, rows),
    success: succ.subarray(0, rows),
  };
}
