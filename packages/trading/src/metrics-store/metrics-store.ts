/**
 * The metrics store as the rest of the system sees it, whichever database holds it:
 * - DuckDbMetricsStore (duckdb-store.ts): an embedded file (or ':memory:'), one writer process.
 * - PostgresMetricsStore (pg-store.ts): a PostgreSQL server, any number of writer processes.
 *
 * `openMetricsStore(target)` is the one place the choice is made: a `postgres://` or
 * `postgresql://` URL opens PostgreSQL, anything else is a DuckDB path.
 * docs/metrics-store.md: when to pick which.
 */
import type { MetricColumns } from './metric-encoder.ts';
import type { MetricRecord } from './metric-record.ts';
import type { PlainRow } from './plain-rows.ts';

export type MetricsStoreKind = 'duckdb' | 'postgres';

/** Bounds on a `GET /api/metrics/query` answer (both stores). */
export interface QueryLimits {
  /** Most rows returned (default 10,000); more rows set `truncated`. */
  maxRows?: number;
  /** Most bytes of JSON returned (default 8 MiB); more set `truncated`. */
  maxBytes?: number;
  /** Statement timeout (default 5,000 ms): TRD_ERR_METRICS_STORE when exceeded. */
  timeoutMs?: number;
}

export const DEFAULT_QUERY_LIMITS: Readonly<Required<QueryLimits>> = Object.freeze({
  maxRows: 10_000,
  maxBytes: 8 * 1024 * 1024,
  timeoutMs: 5_000,
});

export interface QueryResult {
  rows: PlainRow[];
  /** True when rows were left out by the row or byte cap. */
  truncated: boolean;
}

/** The write side's health (PostgreSQL buffers and retries; DuckDB writes in process). */
export interface StoreWriteStats {
  /** Rows accepted and not yet committed. */
  bufferedRows: number;
  /** Bound on bufferedRows (beyond it batches are refused and counted in droppedRows). */
  maxBufferedRows: number;
  /** Rows refused (buffer full) or abandoned (still buffered at close): never written. */
  droppedRows: number;
  /** Rows whose COPY/INSERT failed with a non-retryable error. */
  failedRows: number;
  /** Flush attempts retried after a connection failure. */
  retries: number;
  /** 'ok', or 'retrying' while the server is unreachable. */
  state: 'ok' | 'retrying';
  lastError: string | null;
  /**
   * False while a PostgreSQL store opened without its server (`serve` during an outage) has not
   * reached it yet: the table's rows are unknown. Absent or true otherwise.
   */
  reached?: boolean;
}

export interface InsertOptions {
  /**
   * PostgreSQL: when a COPY fails and is to be retried (the server down or restarting, a lock
   * held past the COPY's lock timeout), reject this batch at once with
   * TRD_ERR_SERVICE_UNAVAILABLE (nothing of it stored) instead of holding it until the server
   * is back (`POST /api/metrics`: its caller is answered 503 and may send it again). A batch
   * whose commit is in doubt is held until the server tells. DuckDB: no effect.
   */
  readonly refuseWhileDown?: boolean;
}

export interface MetricsStore {
  readonly kind: MetricsStoreKind;
  /** Where it is: the DuckDB path, or the PostgreSQL URL without its password. */
  readonly path: string;
  readonly closed: boolean;
  /** Rows committed through this object since it was opened. */
  readonly rowsWritten: number;
  /**
   * Rows in the table as this process knows them (no query): the last count (at open, or by
   * `refreshRowCount`) + own commits since.
   */
  rowCount(): number;
  /**
   * Counts the table again unless the last count is at most `maxAgeMs` old (PostgreSQL: other
   * processes write too; concurrent calls share one count); then `rowCount()`. DuckDB has one
   * writer: `rowCount()` at once.
   */
  refreshRowCount(maxAgeMs: number): Promise<number>;
  /** Inserts `records` (encoded synchronously: the array is not retained); resolves when committed. */
  insert(records: readonly MetricRecord[], opts?: InsertOptions): Promise<number>;
  /** Inserts rows `[start, start + count)` of struct-of-arrays columns (the writer's ring buffer). */
  insertColumns(cols: MetricColumns, start: number, count: number): Promise<number>;
  /** Resolves when every insert issued so far has been committed (or has failed). */
  idle(): Promise<void>;
  count(): Promise<number>;
  /** The newest `limit` rows (optionally of one metric name), newest first. */
  tail(limit?: number, name?: string): Promise<MetricRecord[]>;
  /** Exactly one read-only statement; plain rows (no cap: the library API). */
  query(sql: string): Promise<PlainRow[]>;
  /** One read-only statement under the caps of `GET /api/metrics/query`. */
  queryLimited(sql: string, limits?: QueryLimits): Promise<QueryResult>;
  /** Throws (with the reason) when the store is unhealthy: /health turns degraded. */
  probe(): Promise<void>;
  writeStats(): StoreWriteStats;
  /**
   * Ends the store. `waitMs`: how long a store that buffers rows (PostgreSQL) still waits for
   * them to be written before dropping (and counting) the rest; default its own close timeout.
   */
  close(waitMs?: number): Promise<void>;
}

/** Whether `target` names a PostgreSQL server rather than a DuckDB file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** `url` without its password (for logs, /api/metrics/database and errors). */
export { redactUrl } from '@tickstorm/protocol';

/** Serialised size of a row as JSON (for the byte cap). */
export function jsonBytes(row: PlainRow): number {
  return Buffer.byteLength(
    JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    'utf8',
  );
}

/** At most `maxRows` rows and `maxBytes` bytes of JSON; `truncated` when anything was left out. */
export function capRows(rows: PlainRow[], maxRows: number, maxBytes: number): QueryResult {
  let bytes = 2;
  const n = Math.min(rows.length, maxRows);
  for (let i = 0; i < n; i++) {
    bytes += jsonBytes(rows[i]) + 1;
    if (bytes > maxBytes) return { rows: rows.slice(0, i), truncated: true };
  }
  return rows.length > maxRows
    ? { rows: rows.slice(0, maxRows), truncated: true }
    : { rows, truncated: false };
}
