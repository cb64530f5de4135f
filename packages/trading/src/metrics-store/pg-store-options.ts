/** The PostgreSQL metrics store's options and the state changes it reports (pg-store.ts). */

export interface PostgresMetricsStoreOptions {
  /** Pool connections (default 10). */
  poolSize?: number;
  /** Most rows accepted and not yet committed (default 500,000): the bound of the buffer. */
  maxBufferedRows?: number;
  /** Most rows in one COPY (default 100,000). */
  maxRowsPerCopy?: number;
  /** COPYs in flight at once (default 2); that many connections are opened at start and kept open. */
  maxConcurrentCopies?: number;
  /** COPYs of fewer rows insert row by row (default 3,000; 0: never), see COPY_ROW_BY_ROW_SQL. */
  singleInsertBelowRows?: number;
  /** First retry delay (default 50 ms), doubled per failed attempt up to `retryMaxMs` (default 5,000 ms). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long `close()` waits for the buffer to drain (default 10,000 ms). */
  closeTimeoutMs?: number;
  /**
   * How long a COPY waits for a lock held by another session (`LOCK TABLE`, `ALTER TABLE`, a
   * plain `CREATE INDEX`) before it gives up and is retried like a lost connection (default
   * 2,000 ms; `lock_timeout`, set in the COPY's transaction).
   */
  lockTimeoutMs?: number;
  /** Connection timeout (default 5,000 ms). */
  connectTimeoutMs?: number;
  /** `application_name` (default `tickstorm`). */
  applicationName?: string;
  /**
   * Called when writing starts failing (`retrying`), when a COPY commits again (`ok`), and when a
   * COPY fails for good (`failed`: a non-retryable server error, at most once per 10 s): for logs.
   */
  onState?: (change: PgStateChange) => void;
  /** Called at open when the role can read server files (superuser, pg_read_server_files): for logs. */
  onWarning?: (message: string) => void;
  /**
   * A server unreachable at open (connection refused or timed out, starting up, shutting down):
   * `'fail'` (default) rejects the open (TRD_ERR_SERVICE_UNAVAILABLE); `'retry'` opens the
   * store anyway, buffering and retrying as during an outage, and opens the table once the
   * server answers. A server that answers and refuses always fails the open.
   */
  unreachableAtOpen?: 'fail' | 'retry';
}

/** A change of the write side's state (docs/metrics-store.md, "When PostgreSQL is down"). */
export interface PgStateChange {
  readonly state: 'retrying' | 'ok' | 'failed';
  /** The URL without its password. */
  readonly url: string;
  /** The failure (retrying) or the last one before recovery (ok). */
  readonly error: string | null;
  /** Rows accepted and not yet committed. */
  readonly bufferedRows: number;
  /** For `failed`: rows failed so far (all COPYs). */
  readonly failedRows?: number;
  /** For `ok`: how long writes failed (ms) and how many COPYs were retried meanwhile. */
  readonly downMs?: number;
  readonly retries?: number;
}
