/**
 * The metrics store on a PostgreSQL server: `trading_metrics(time timestamptz, name text,
 * value float8, labels json)` with an index on (name, time), created when missing (under an
 * advisory lock, so processes starting together do not race). Any number of processes may
 * write at once: there is no single-writer funnel (docs/metrics-store.md).
 *
 * `labels` is `json` (the text as written, checked by the server), not `jsonb`: it ingests
 * faster and reads back byte for byte like DuckDB's VARCHAR labels; `labels->>'symbol'` is
 * the same on both stores.
 *
 * Write path: each `insert` is encoded synchronously into one binary COPY payload
 * (pg-copy-encoder.ts) and queued; batches queued together are sent in one
 * `COPY ... FROM STDIN (FORMAT binary)` (pg-copy-streams) of up to `maxRowsPerCopy` rows, with
 * up to `maxConcurrentCopies` COPYs in flight on a pool of `poolSize` (10) connections, that
 * many of them opened at start and kept open. Each COPY is its own transaction, its id read
 * first (pg-copy-once.ts); COPYs under `singleInsertBelowRows` rows insert row by row
 * (COPY_ROW_BY_ROW_SQL). `insert` resolves once its COPY has committed.
 *
 * Failures (what is lost in each case, docs/metrics-store.md):
 * - Server down, restarting, connection lost, COPY canceled (57014) or past `lockTimeoutMs`: the
 *   batch stays queued (one inserted with `refuseWhileDown` is rejected, not stored) and the
 *   COPY is retried with exponential backoff (`retryBaseMs` doubling to `retryMaxMs`, +-20%
 *   jitter). A COPY whose commit answer was lost is not sent again if the server says it
 *   committed (pg-copy-once.ts): stored once, never lost.
 * - The queue is bounded (`maxBufferedRows`): a batch that does not fit is refused at once
 *   (TRD_ERR_SERVICE_UNAVAILABLE, 503) and its rows counted in `droppedRows`; `probe()`
 *   (/health) reports degraded while retrying and for a minute after a drop.
 * - A non-retryable server error (e.g. the table was altered) fails that COPY's batches
 *   (their promises reject; counted in `failedRows`).
 * - `close()` waits up to `closeTimeoutMs` for the queue to drain; what is still queued then is
 *   dropped, counted and rejected. A crash of this process loses what was queued in memory.
 * Nothing here blocks the caller: `insert` never waits for room.
 *
 * Server unreachable at open: `open` fails, unless `unreachableAtOpen: 'retry'` (`serve`): then
 * the store opens without it, retrying (`retrying`) as while an outage lasts, and does what open
 * does (table, rights, warnings) once the server answers, then writes what it buffered
 * (pg-open-retry.ts). A refusal found then (a wrong password, a missing database, a role
 * without rights) fails the buffered rows and every later write (`failed`).
 *
 * Reads: `count` and `tail` are named prepared statements (pg-table.ts); `query`/`queryLimited`
 * run one read-only statement, always rolled back, `queryLimited` under caps (pg-read-only.ts).
 * Use a role without superuser rights (docs/metrics-store.md); `onWarning` is told at open when
 * the role has them, or when the table has no index led by `name` (./pg-open-warnings.ts).
 */
import pg from 'pg';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { MetricColumns } from './metric-encoder.ts';
import type { MetricRecord } from './metric-record.ts';
import {
  DEFAULT_QUERY_LIMITS,
  type InsertOptions,
  type MetricsStore,
  type QueryLimits,
  type QueryResult,
  redactUrl,
  type StoreWriteStats,
} from './metrics-store.ts';
import { copyPayload, PgCopyEncoder, type PgEncodedBatch } from './pg-copy-encoder.ts';
import { CommitInDoubtError, copyOnce, type InDoubt, settleDoubts } from './pg-copy-once.ts';
import { copyRetryable, pgError, queryError, retryable } from './pg-errors.ts';
import { PgOpenRetry, retryDelayMs } from './pg-open-retry.ts';
import { pgOpenWarnings } from './pg-open-warnings.ts';
import { checkReadOnlySql, type ReadOnlyAnswer, type ReadOnlyLimits, runReadOnly } from './pg-read-only.ts';
import { checkPgSslMode } from './pg-sslmode.ts';
import type { PgStateChange, PostgresMetricsStoreOptions } from './pg-store-options.ts';
import { countRows, preparePgTable, probeWritable, TABLE, tailRows } from './pg-table.ts';
import type { PlainRow } from './plain-rows.ts';

const COPY_SQL = `COPY ${TABLE} (time, name, value, labels) FROM STDIN (FORMAT binary)`;
/**
 * The same COPY, inserting row by row. PostgreSQL 15's COPY buffers up to 1,000 rows per
 * multi-insert and creates a tuple slot for each, registering every slot's reference to the
 * table's descriptor with the transaction's resource owner; with 1,000 references to one
 * descriptor that bookkeeping is quadratic (~0.7 ms per COPY here, a quarter of a 1,000-row
 * COPY's server time). A volatile WHERE clause (always true) makes COPY insert row by row:
 * measured ~20% less server time for COPYs of 1,000-2,000 rows, more from 4,000 rows up
 * (where the fixed cost is spread), hence `singleInsertBelowRows`.
 */
const COPY_ROW_BY_ROW_SQL = `${COPY_SQL} WHERE random() >= 0`;
const DROP_DEGRADED_MS = 60_000;
/** Where `serve` takes the URL from, named when the server refuses it. */
const STORE_FLAG = '--metrics-store, TICKSTORM_METRICS_STORE';

interface Pending {
  readonly batch: PgEncodedBatch;
  readonly resolve: (rows: number) => void;
  readonly reject: (err: unknown) => void;
  /** The transaction of its last COPY when that COPY's commit was left in doubt (pg-copy-once.ts). */
  doubt: InDoubt | null;
  /** Rejected at a retryable failure rather than held for the outage (InsertOptions.refuseWhileDown). */
  readonly refuse: boolean;
}

export class PostgresMetricsStore implements MetricsStore {
  readonly kind = 'postgres' as const;
  readonly path: string;
  private readonly encoder = new PgCopyEncoder();
  private readonly queue: Pending[] = [];
  private queuedRows = 0;
  private inFlightRows = 0;
  private active = 0;
  private backoff: NodeJS.Timeout | null = null;
  private attempt = 0;
  private committed = 0;
  /** The last count(*) of the table, and `committed` when it started (own commits since are added). */
  private tableRows = 0;
  private committedAtCount = 0;
  private countedAt = Number.NEGATIVE_INFINITY;
  private counting: Promise<number> | null = null;
  private dropped = 0;
  private failed = 0;
  private retries = 0;
  private lastDropAt = Number.NEGATIVE_INFINITY;
  private lastError: string | null = null;
  private retrying = false;
  private abandoned = false;
  /** False while the server has not been reached since `open` (`unreachableAtOpen: 'retry'`). */
  private reached = true;
  /** Set when the server refused the store after a late connect: every write fails with it. */
  private refused: TradingError | null = null;
  private opener: PgOpenRetry | null = null;
  private closing: Promise<void> | null = null;
  private waiters: (() => void)[] = [];
  private readonly maxBuffered: number;
  private readonly maxRowsPerCopy: number;
  private readonly maxCopies: number;
  private readonly rowByRowBelow: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly closeTimeoutMs: number;
  private readonly lockTimeoutMs: number;
  private readonly onState: ((change: PgStateChange) => void) | undefined;
  private downSince = 0;
  private failedToldAt = Number.NEGATIVE_INFINITY;
  private retriesAtDown = 0;

  private constructor(
    url: string,
    private readonly pool: pg.Pool,
    opts: PostgresMetricsStoreOptions,
  ) {
    this.path = redactUrl(url);
    this.maxBuffered = Math.max(1, opts.maxBufferedRows ?? 500_000);
    this.maxRowsPerCopy = Math.max(1, opts.maxRowsPerCopy ?? 100_000);
    this.maxCopies = copiesOf(opts);
    this.rowByRowBelow = Math.max(0, opts.singleInsertBelowRows ?? 3_000);
    this.retryBaseMs = Math.max(1, opts.retryBaseMs ?? 50);
    this.retryMaxMs = Math.max(this.retryBaseMs, opts.retryMaxMs ?? 5_000);
    this.closeTimeoutMs = Math.max(0, opts.closeTimeoutMs ?? 10_000);
    this.lockTimeoutMs = Math.max(1, Math.floor(opts.lockTimeoutMs ?? 2_000));
    this.onState = opts.onState;
  }

  /**
   * Connects, creates the table and index if missing, checks the columns. Fails if the server is
   * unreachable; an unknown `sslmode` is refused before connecting (pg-sslmode.ts).
   */
  static async open(url: string, opts: PostgresMetricsStoreOptions = {}): Promise<PostgresMetricsStore> {
    checkPgSslMode(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      // The writers' connections stay open: no connection set-up (a backend fork) on a batch's path.
      min: copiesOf(opts),
      application_name: opts.applicationName ?? 'tickstorm',
      keepAlive: true,
    });
    const store = new PostgresMetricsStore(url, pool, opts);
    // Idle and checked-out clients report a lost server as an 'error' event: noted, never thrown.
    pool.on('error', (err) => store.note(err));
    pool.on('connect', (client) => client.on('error', (err) => store.note(err)));
    const prepare = async (): Promise<void> => {
      await store.prepareTable();
      await store.warm();
      if (opts.onWarning !== undefined) await store.checkServer(opts.onWarning);
    };
    try {
      await prepare();
      return store;
    } catch (err) {
      if (opts.unreachableAtOpen === 'retry' && retryable(err)) {
        store.awaitServer(err, prepare);
        return store;
      }
      await pool.end().catch(() => {});
      throw pgError(`cannot open metrics store ${store.path} (${STORE_FLAG})`, err);
    }
  }

  private async prepareTable(): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await preparePgTable(client, this.path);
      this.tableRows = await countRows(client);
      this.countedAt = performance.now();
    } catch (err) {
      if (retryable(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** The role's rights and a missing (name, time) index, told at open (./pg-open-warnings.ts). */
  private async checkServer(warn: (message: string) => void): Promise<void> {
    const client = await this.pool.connect(); // not withClient: also before the server is `reached`
    try {
      for (const w of await pgOpenWarnings(client, TABLE, this.path)) warn(w);
    } finally {
      client.release();
    }
  }

  /** Opens the writers' connections now (the pool keeps `min` of them). */
  private async warm(): Promise<void> {
    const clients = await Promise.all(Array.from({ length: this.maxCopies }, () => this.pool.connect()));
    for (const c of clients) c.release();
  }

  /** Opened without its server: writes are buffered, `prepare` is retried (pg-open-retry.ts). */
  private awaitServer(err: unknown, prepare: () => Promise<void>): void {
    this.reached = false;
    this.note(err);
    this.retrying = true;
    this.downSince = performance.now();
    this.retriesAtDown = this.retries;
    this.tell('retrying');
    this.opener = new PgOpenRetry({
      attempt: prepare,
      retryable,
      baseMs: this.retryBaseMs,
      maxMs: this.retryMaxMs,
      onRetry: (e) => {
        this.note(e);
        this.retries++;
      },
      onOpen: () => {
        this.opener = null;
        this.reached = true;
        if (this.queue.length === 0 && this.active === 0) this.recovered();
        this.pump(); // its first commit tells `ok` (send)
      },
      onRefused: (e) => {
        this.opener = null;
        this.refused = pgError(`cannot open metrics store ${this.path} (${STORE_FLAG})`, e);
        this.retrying = false;
        this.lastError = this.refused.message;
        const left = this.queue.splice(0);
        const rows = left.reduce((n, p) => n + p.batch.rows, 0);
        this.queuedRows -= rows;
        this.countRefused(rows, true);
        for (const p of left) p.reject(this.refused);
        this.pump();
      },
    });
  }

  /** Rows refused because the server refused the store (a late open): counted, told at most every 10 s. */
  private countRefused(rows: number, tellNow = false): void {
    this.failed += rows;
    if (tellNow || performance.now() - this.failedToldAt >= 10_000) {
      this.failedToldAt = performance.now();
      this.tell('failed', { failedRows: this.failed });
    }
  }

  rowCount(): number {
    return this.tableRows + this.committed - this.committedAtCount;
  }

  refreshRowCount(maxAgeMs: number): Promise<number> {
    if (this.counting !== null) return this.counting;
    if (performance.now() - this.countedAt <= maxAgeMs) return Promise.resolve(this.rowCount());
    const started = performance.now();
    const base = this.committed;
    this.counting = this.count()
      .then((n) => {
        this.tableRows = n;
        this.committedAtCount = base;
        this.countedAt = started;
        return this.rowCount();
      })
      .finally(() => {
        this.counting = null;
      });
    return this.counting;
  }

  get rowsWritten(): number {
    return this.committed;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  async insert(records: readonly MetricRecord[], opts?: InsertOptions): Promise<number> {
    this.writable();
    if (records.length === 0) return 0;
    if (this.refused !== null) {
      this.countRefused(records.length);
      throw this.refused;
    }
    return this.enqueue(this.encoder.encodeRecords(records), opts?.refuseWhileDown === true);
  }

  async insertColumns(cols: MetricColumns, start: number, count: number): Promise<number> {
    this.writable();
    if (count <= 0) return 0;
    if (this.refused !== null) {
      this.countRefused(count);
      throw this.refused;
    }
    return this.enqueue(this.encoder.encodeColumns(cols, start, count));
  }

  private enqueue(batch: PgEncodedBatch, refuse = false): Promise<number> {
    if (this.queuedRows + this.inFlightRows + batch.rows > this.maxBuffered) {
      this.dropped += batch.rows;
      this.lastDropAt = performance.now();
      const why = this.retrying ? `PostgreSQL unreachable (${this.lastError})` : 'PostgreSQL is behind';
      return Promise.reject(
        new TradingError(
          TradingErrorCode.SERVICE_UNAVAILABLE,
          `metrics buffer full (${this.queuedRows + this.inFlightRows} of ${this.maxBuffered} rows): ` +
            `${batch.rows} rows dropped; ${why}`,
        ),
      );
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject, doubt: null, refuse });
      this.queuedRows += batch.rows;
      this.pump();
    });
  }

  /** Starts COPYs while there is room, rows queued and no backoff running. */
  private pump(): void {
    while (this.reached && this.active < this.maxCopies && this.queue.length > 0 && this.backoff === null) {
      const group: Pending[] = [];
      let rows = 0;
      while (this.queue.length > 0) {
        const next = this.queue[0];
        if (group.length > 0 && rows + next.batch.rows > this.maxRowsPerCopy) break;
        this.queue.shift();
        group.push(next);
        rows += next.batch.rows;
      }
      this.queuedRows -= rows;
      this.inFlightRows += rows;
      this.active++;
      void this.send(group, rows);
    }
    if (this.active === 0 && this.queue.length === 0) {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  /** Writing works again: `ok`, with how long it was down and how many retries it took. */
  private recovered(): void {
    this.retrying = false;
    this.tell('ok', {
      downMs: Math.round(performance.now() - this.downSince),
      retries: this.retries - this.retriesAtDown,
    });
  }

  private async send(group: Pending[], rows: number): Promise<void> {
    try {
      await this.copy(group);
      this.committed += rows;
      this.attempt = 0;
      if (this.retrying) this.recovered();
      for (const p of group) p.resolve(p.batch.rows);
    } catch (err) {
      this.note(err);
      if (copyRetryable(err) && !this.abandoned) {
        // Back to the front of the queue, in order; retried after the backoff.
        this.queue.unshift(...group);
        this.queuedRows += rows;
        this.refuseHeld();
        this.retries++;
        if (!this.retrying) {
          this.retrying = true;
          this.downSince = performance.now();
          this.retriesAtDown = this.retries - 1;
          this.tell('retrying');
        }
        this.scheduleRetry();
      } else {
        const e = this.abandoned
          ? new TradingError(
              TradingErrorCode.SHUTTING_DOWN,
              `metrics store closed with ${rows} rows unwritten: ${this.lastError}`,
            )
          : pgError(`COPY of ${rows} metric rows failed`, err);
        if (this.abandoned) this.dropped += rows;
        else {
          this.failed += rows;
          if (performance.now() - this.failedToldAt >= 10_000) {
            this.failedToldAt = performance.now();
            this.tell('failed', { failedRows: this.failed });
          }
        }
        for (const p of group) p.reject(e);
      }
    } finally {
      this.inFlightRows -= rows;
      this.active--;
      this.pump();
    }
  }

  /** At a retryable failure: the queued batches that asked for it are refused (not stored), unless in doubt. */
  private refuseHeld(): void {
    const refused: Pending[] = [];
    const kept: Pending[] = [];
    for (const p of this.queue) (p.refuse && p.doubt === null ? refused : kept).push(p);
    if (refused.length === 0) return;
    this.queue.splice(0, this.queue.length, ...kept);
    for (const p of refused) {
      this.queuedRows -= p.batch.rows;
      p.reject(
        new TradingError(
          TradingErrorCode.SERVICE_UNAVAILABLE,
          `PostgreSQL unreachable or blocked (${this.lastError}): these ${p.batch.rows} rows were not stored, retry later`,
        ),
      );
    }
  }

  private scheduleRetry(): void {
    if (this.backoff !== null) return;
    this.backoff = setTimeout(
      () => {
        this.backoff = null;
        if (this.retrying && this.queue.length === 0 && this.active === 0) void this.probeBack();
        else this.pump();
      },
      retryDelayMs(this.attempt++, this.retryBaseMs, this.retryMaxMs),
    );
  }

  /**
   * Retrying with nothing left to send (its batches refused: refuseWhileDown): whether a COPY
   * could run now is asked instead (pg-table.ts), so that `retrying`, which refuses
   * POST /api/metrics, ends once the server takes writes again. Else another retry.
   */
  private async probeBack(): Promise<void> {
    if (this.closing !== null) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await probeWritable(client, this.lockTimeoutMs);
      client.release();
      this.attempt = 0;
      if (this.retrying && this.queue.length === 0 && this.active === 0) this.recovered();
      this.pump();
    } catch (err) {
      client?.release(err instanceof Error ? err : new Error(String(err)));
      if (this.closing !== null) return;
      this.note(err);
      this.retries++;
      this.scheduleRetry();
    }
  }

  /**
   * One COPY of the group's rows in a transaction (pg-copy-once.ts). Members whose earlier COPY
   * was left in doubt and did commit are not sent again; a commit left in doubt now is noted on
   * the members sent, for the next attempt to settle.
   */
  private async copy(group: Pending[]): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let sent: Pending[] = [];
    try {
      const doubts = group.flatMap((p) => (p.doubt === null ? [] : [p.doubt]));
      const committed = doubts.length === 0 ? null : await settleDoubts(client, doubts);
      sent =
        committed === null ? group : group.filter((p) => p.doubt === null || !committed.has(p.doubt.xid));
      for (const p of sent) p.doubt = null; // settled: not committed
      const rows = sent.reduce((n, p) => n + p.batch.rows, 0);
      if (rows === 0) return;
      const sql = rows < this.rowByRowBelow ? COPY_ROW_BY_ROW_SQL : COPY_SQL;
      await copyOnce(client, sql, copyPayload(sent.map((p) => p.batch)), this.lockTimeoutMs);
    } catch (err) {
      if (err instanceof CommitInDoubtError) for (const p of sent) p.doubt = err.doubt;
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async count(): Promise<number> {
    return this.withClient((c) => countRows(c));
  }

  async tail(limit = 100, name?: string): Promise<MetricRecord[]> {
    return this.withClient((c) => tailRows(c, limit, name));
  }

  async query(sql: string): Promise<PlainRow[]> {
    const limits = {
      maxRows: null,
      maxBytes: Number.POSITIVE_INFINITY,
      timeoutMs: DEFAULT_QUERY_LIMITS.timeoutMs,
    };
    return (await this.readOnly(sql, limits)).rows;
  }

  async queryLimited(sql: string, limits: QueryLimits = {}): Promise<QueryResult> {
    const l = { ...DEFAULT_QUERY_LIMITS, ...limits };
    const { rows, truncated } = await this.readOnly(sql, l);
    return { rows, truncated };
  }

  /** pg-read-only.ts: one statement, READ ONLY, rolled back; rows and bytes capped as they arrive. */
  private readOnly(sql: string, limits: ReadOnlyLimits): Promise<ReadOnlyAnswer> {
    checkReadOnlySql(sql); // refused before a connection is taken
    return this.withClient(async (c, discard) => {
      try {
        const answer = await runReadOnly(c, sql, limits);
        if (!answer.reusable) discard('read cut short at its row or byte cap');
        return answer;
      } catch (err) {
        throw queryError(err, limits.timeoutMs);
      }
    });
  }

  private async withClient<T>(
    fn: (c: pg.PoolClient, discard: (why: string) => void) => Promise<T>,
  ): Promise<T> {
    if (this.closing !== null)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');
    if (this.refused !== null) throw this.refused;
    if (!this.reached) {
      // answered at once: its table may not exist yet, and a connect could wait its full timeout
      throw new TradingError(
        TradingErrorCode.SERVICE_UNAVAILABLE,
        `PostgreSQL ${this.path} not reached since start, retrying: ${this.lastError}`,
      );
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw pgError(`PostgreSQL ${this.path} unreachable`, err);
    }
    let broken: Error | undefined;
    try {
      return await fn(client, (why) => {
        broken = new Error(why);
      });
    } catch (err) {
      if (retryable(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw err instanceof TradingError ? err : pgError('metrics store query failed', err);
    } finally {
      client.release(broken);
    }
  }

  async probe(): Promise<void> {
    if (this.refused !== null) throw new Error(this.refused.message);
    if (this.retrying) {
      throw new Error(
        `PostgreSQL unreachable, ${this.queuedRows + this.inFlightRows} rows buffered, retrying: ${this.lastError}`,
      );
    }
    if (performance.now() - this.lastDropAt < DROP_DEGRADED_MS) {
      throw new Error(`${this.dropped} metric rows dropped (buffer of ${this.maxBuffered} rows full)`);
    }
    await this.withClient((c) => c.query({ name: 'tickstorm_probe', text: 'SELECT 1' }));
  }

  writeStats(): StoreWriteStats {
    return {
      bufferedRows: this.queuedRows + this.inFlightRows,
      maxBufferedRows: this.maxBuffered,
      droppedRows: this.dropped,
      failedRows: this.failed,
      retries: this.retries,
      state: this.retrying ? 'retrying' : 'ok',
      reached: this.reached,
      lastError: this.lastError,
    };
  }

  /** Waits up to `waitMs` (default `closeTimeoutMs`) for the buffer to drain, drops (and counts) what is left, ends the pool. */
  close(waitMs = this.closeTimeoutMs): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.idle().then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), Math.max(0, waitMs));
        }),
      ]);
      clearTimeout(timer);
      this.opener?.stop();
      if (timedOut) this.abandon();
      await this.idle();
      await this.pool.end();
    })();
    return this.closing;
  }

  /** Rejects everything queued (counted as dropped); COPYs in flight fail instead of retrying. */
  private abandon(): void {
    this.abandoned = true;
    if (this.backoff !== null) clearTimeout(this.backoff);
    this.backoff = null;
    const left = this.queue.splice(0);
    const rows = left.reduce((n, p) => n + p.batch.rows, 0);
    this.queuedRows -= rows;
    this.dropped += rows;
    this.lastDropAt = performance.now();
    const err = new TradingError(
      TradingErrorCode.SHUTTING_DOWN,
      `metrics store closed with ${rows} rows unwritten (PostgreSQL: ${this.lastError})`,
    );
    for (const p of left) p.reject(err);
    this.pump();
  }

  private tell(state: PgStateChange['state'], extra: Partial<PgStateChange> = {}): void {
    try {
      this.onState?.({
        state,
        url: this.path,
        error: this.lastError,
        bufferedRows: this.queuedRows + this.inFlightRows,
        ...extra,
      });
    } catch {
      // a throwing listener must not break the write path
    }
  }

  private note(err: unknown): void {
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  private writable(): void {
    if (this.closing !== null)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');
  }
}

function copiesOf(opts: PostgresMetricsStoreOptions): number {
  return Math.max(1, Math.min(opts.maxConcurrentCopies ?? 2, opts.poolSize ?? 10));
}

export { checkReadOnlySql } from './pg-read-only.ts';
export type { PgStateChange, PostgresMetricsStoreOptions } from './pg-store-options.ts';
