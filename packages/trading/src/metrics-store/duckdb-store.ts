/**
 * The embedded metrics store: one DuckDB database (file, default `data/metrics.duckdb`, or
 * ':memory:') with `trading_metrics(time TIMESTAMP, name VARCHAR, value DOUBLE, labels VARCHAR)`.
 * `time` is UTC with microsecond precision.
 *
 * Labels are VARCHAR holding a JSON object, not MAP(VARCHAR, VARCHAR). Measured here (2 vCPU,
 * batches of 1,000, in memory): MAP rows cost ~40% of the throughput whatever the write path
 * (~0.65-0.85 M rows/s via Appender data chunks or SQL, against ~1.2 M rows/s for JSON text),
 * because DuckDB stores a MAP as LIST<STRUCT> and the row-wise `appendMap` is ~15 us a row.
 * JSON text keeps the >= 1 M rows/s goal reachable; queries use `labels->>'symbol'` (the json
 * extension is statically linked in @duckdb/node-api: nothing is downloaded or autoloaded),
 * and `labels::JSON::MAP(VARCHAR, VARCHAR)` gives a MAP when one is wanted.
 *
 * Write path: "chunked inserts", not the Appender. A batch is encoded into one string per
 * column (metric-encoder.ts) and written by one prepared INSERT that splits them inside
 * DuckDB. It measured faster than the Appender (whose data chunks need one N-API call per
 * string, ~0.6 us a row) and, unlike `appender.flushSync()`, it runs on a DuckDB worker
 * thread: the event loop is blocked ~0.2 us a row instead of ~1.5 us. One INSERT runs at a
 * time; batches that arrive meanwhile are merged into the next one (group-commit.ts). Each
 * INSERT is one transaction; `insert` resolves once its rows are committed.
 *
 * One writer per file: DuckDB locks the file, so no other process can open a file the store
 * holds, not even read-only. So a file store writes into `<name>.live.duckdb` beside the
 * path it was given and copies new rows into the given file every `replicaIntervalMs`,
 * holding it only while it copies (shared-file-replica.ts): other processes can open the
 * given file while the system runs (docs/metrics-store.md). Within one process
 * a file is opened once (enforced here: two DuckDB instances on one file could corrupt it).
 * Queries use their own connection, so they do not wait behind inserts.
 */

import { dirname, resolve } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  StatementType,
} from '@duckdb/node-api';
import { makeDir } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { GroupCommitQueue, type MergedBatch } from './group-commit.ts';
import { type MetricColumns, MetricEncoder } from './metric-encoder.ts';
import type { MetricLabels, MetricRecord } from './metric-record.ts';
import {
  capRows,
  DEFAULT_QUERY_LIMITS,
  type MetricsStore,
  type QueryLimits,
  type QueryResult,
  type StoreWriteStats,
} from './metrics-store.ts';
import { type PlainRow, storeError, toPlainRows } from './plain-rows.ts';
import { livePathOf, SharedFileReplica } from './shared-file-replica.ts';

export type { PlainRow } from './plain-rows.ts';

export const DEFAULT_METRICS_PATH = 'data/metrics.duckdb';
export const METRICS_TABLE = 'trading_metrics';
const EXPECTED_COLUMNS = 'time:TIMESTAMP,name:VARCHAR,value:DOUBLE,labels:VARCHAR';
const INSERT_SQL =
  `INSERT INTO ${METRICS_TABLE} SELECT make_timestamp(t::BIGINT), n, v::DOUBLE, l FROM (SELECT ` +
  "unnest(string_split($1, ',')) AS t, unnest(string_split($2, chr(31))) AS n, " +
  "unnest(string_split($3, ',')) AS v, unnest(string_split($4, chr(31))) AS l)";
const TABLE_COLUMNS =
  'time TIMESTAMP NOT NULL, name VARCHAR NOT NULL, value DOUBLE NOT NULL, labels VARCHAR NOT NULL';
const openPaths = new Set<string>();

export interface DuckDbMetricsStoreOptions {
  /** DuckDB worker threads (default 1: the store must not compete with the trading hot path). */
  threads?: number;
  /** Open read-only (a stopped system's file, or a copy): no table creation, inserts refused. */
  readOnly?: boolean;
  /** Let `query` read other files (read_csv, parquet, ATTACH). Default false. */
  externalAccess?: boolean;
  /** Most rows merged into one INSERT (default 200,000). */
  maxRowsPerInsert?: number;
  /**
   * A file store (not read-only) writes into `<name>.live.duckdb` and copies new rows into
   * the given file this often (default 2,000 ms), so other processes can open that file
   * while the store runs (shared-file-replica.ts). 0: write the given file directly and
   * hold it until close (no other process can open it meanwhile).
   */
  replicaIntervalMs?: number;
}

export class DuckDbMetricsStore implements MetricsStore {
  readonly kind = 'duckdb' as const;
  readonly path: string;
  readonly readOnly: boolean;
  private readonly encoder = new MetricEncoder();
  private readonly inserts: GroupCommitQueue;
  private closing: Promise<void> | null = null;
  /** Rows in the table when it was opened (rowCount adds this object's commits). */
  private rowsAtOpen = 0;
  private stmt: DuckDBPreparedStatement | null = null;
  /** Copies into the given file while the live one is written (file stores). */
  replica: SharedFileReplica | null = null;

  private constructor(
    path: string,
    private readonly key: string | null,
    private instance: DuckDBInstance | null,
    private writeConn: DuckDBConnection | null,
    private readConn: DuckDBConnection | null,
    opts: DuckDbMetricsStoreOptions,
  ) {
    this.path = path;
    this.readOnly = opts.readOnly === true;
    this.inserts = new GroupCommitQueue((b) => this.write(b), opts.maxRowsPerInsert ?? 200_000);
  }

  /** Opens (creating the directory, the file and the table if absent) a metrics store. */
  static async open(path: string = DEFAULT_METRICS_PATH, opts: DuckDbMetricsStoreOptions = {}) {
    const config: Record<string, string> = {
      threads: String(opts.threads ?? 1),
      enable_external_access: String(opts.externalAccess === true),
    };
    if (opts.readOnly) config.access_mode = 'READ_ONLY';
    const key = path === ':memory:' ? null : resolve(path);
    if (key !== null) {
      if (openPaths.has(key)) {
        throw new TradingError(TradingErrorCode.METRICS_STORE, `${path} is already open in this process`);
      }
      openPaths.add(key);
    }
    let store: DuckDbMetricsStore | null = null;
    try {
      if (key !== null && !opts.readOnly) makeStoreDir(path, dirname(key));
      const replicaMs = opts.replicaIntervalMs ?? 2000;
      const replicate = key !== null && !opts.readOnly && replicaMs > 0;
      // The replica restricts file access itself, after allowing the shared file.
      if (replicate) config.enable_external_access = 'true';
      const instance = await DuckDBInstance.create(replicate ? livePathOf(key) : path, config).catch(
        (err: unknown) => {
          throw storeError(`cannot open metrics store ${path}`, err);
        },
      );
      store = new DuckDbMetricsStore(path, key, instance, null, null, opts);
      if (replicate) {
        store.replica = await SharedFileReplica.start(instance, key, {
          table: METRICS_TABLE,
          columns: TABLE_COLUMNS,
          intervalMs: replicaMs,
          externalAccess: opts.externalAccess,
        }).catch((err: unknown) => {
          throw storeError(`cannot open metrics store ${path}`, err);
        });
      }
      store.writeConn = await instance.connect();
      store.readConn = await instance.connect();
      await store.prepareTable();
      return store;
    } catch (err) {
      if (store !== null) store.release();
      else if (key !== null) openPaths.delete(key);
      throw err;
    }
  }

  private async prepareTable(): Promise<void> {
    const conn = this.conn(this.writeConn);
    if (!this.readOnly) {
      await conn.run(`CREATE TABLE IF NOT EXISTS ${METRICS_TABLE} (${TABLE_COLUMNS})`);
    }
    const rows = await this.query(
      `SELECT column_name || ':' || data_type AS c FROM information_schema.columns WHERE table_name = '${METRICS_TABLE}' ORDER BY ordinal_position`,
    );
    const found = rows.map((r) => r.c).join(',');
    if (found !== EXPECTED_COLUMNS) {
      throw new TradingError(
        TradingErrorCode.METRICS_STORE,
        `${this.path}: table ${METRICS_TABLE} has columns [${found}], expected [${EXPECTED_COLUMNS}]`,
      );
    }
    if (!this.readOnly) this.stmt = await conn.prepare(INSERT_SQL);
    this.rowsAtOpen = await this.count();
  }

  /**
   * Rows in the table without a query: the count at open plus the rows committed since. Exact
   * while this object is the file's only writer (the one-writer rule, docs/metrics-store.md);
   * `count()` asks DuckDB.
   */
  rowCount(): number {
    return this.rowsAtOpen + this.inserts.committedRows;
  }

  /** The only writer of its file: its own count is the table's. */
  refreshRowCount(_maxAgeMs: number): Promise<number> {
    return Promise.resolve(this.rowCount());
  }

  /** Rows committed through this object since it was opened. */
  get rowsWritten(): number {
    return this.inserts.committedRows;
  }

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Inserts `records` (encoded synchronously: the array is not retained); resolves when committed. */
  async insert(records: readonly MetricRecord[]): Promise<number> {
    this.writable();
    return this.inserts.enqueue(this.encoder.encodeRecords(records));
  }

  /** Inserts rows `[start, start + count)` of struct-of-arrays columns (the writer's ring buffer). */
  async insertColumns(cols: MetricColumns, start: number, count: number): Promise<number> {
    this.writable();
    return this.inserts.enqueue(this.encoder.encodeColumns(cols, start, count));
  }

  private async write(b: MergedBatch): Promise<void> {
    try {
      const stmt = this.stmt!;
      stmt.bindVarchar(1, b.time);
      stmt.bindVarchar(2, b.name);
      stmt.bindVarchar(3, b.value);
      stmt.bindVarchar(4, b.labels);
      const res = await stmt.run();
      if (res.rowsChanged !== b.rows) throw new Error(`inserted ${res.rowsChanged} rows, expected ${b.rows}`);
    } catch (err) {
      throw storeError(`insert of ${b.rows} metric rows failed`, err);
    }
  }

  /** Resolves when every insert issued so far has been committed (or has failed). */
  idle(): Promise<void> {
    return this.inserts.idle();
  }

  async count(): Promise<number> {
    const rows = await this.query(`SELECT count(*) AS n FROM ${METRICS_TABLE}`);
    return rows[0].n as number;
  }

  /** The newest `limit` rows (optionally of one metric name), newest first, as records. */
  async tail(limit = 100, name?: string): Promise<MetricRecord[]> {
    const where = name === undefined ? '' : 'WHERE name = $name';
    const n = Math.max(0, Math.floor(limit));
    const sql = `SELECT epoch_us(time), name, value, labels FROM ${METRICS_TABLE} ${where} ORDER BY time DESC LIMIT ${n}`;
    const reader = await this.conn(this.readConn).runAndReadAll(
      sql,
      name === undefined ? undefined : { name },
    );
    return reader.getRowsJS().map((r) => ({
      time: Number(r[0]) / 1000,
      name: r[1] as string,
      value: r[2] as number,
      labels: JSON.parse(r[3] as string) as MetricLabels,
    }));
  }

  /** Runs exactly one read-only statement (SELECT / FROM / WITH / DESCRIBE ...) and returns plain rows. */
  async query(sql: string): Promise<PlainRow[]> {
    return this.select(sql, async (stmt) => toPlainRows(await stmt.runAndReadAll()));
  }

  /**
   * `query` under the caps of `GET /api/metrics/query`: the result is streamed and read up to
   * `maxRows + 1` rows only; past `timeoutMs` the connection is interrupted (coded error).
   */
  async queryLimited(sql: string, limits: QueryLimits = {}): Promise<QueryResult> {
    const l = { ...DEFAULT_QUERY_LIMITS, ...limits };
    const conn = this.conn(this.readConn);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, l.timeoutMs);
    try {
      const rows = await this.select(sql, async (stmt) =>
        toPlainRows(await stmt.streamAndReadUntil(l.maxRows + 1)),
      );
      return capRows(rows, l.maxRows, l.maxBytes);
    } catch (err) {
      if (timedOut) {
        throw new TradingError(
          TradingErrorCode.INVALID_METRICS,
          `query exceeded the ${l.timeoutMs} ms statement timeout`,
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async select(sql: string, read: (stmt: DuckDBPreparedStatement) => Promise<PlainRow[]>) {
    const conn = this.conn(this.readConn);
    const invalid = (what: string) => (err: unknown) => {
      throw storeError(what, err, TradingErrorCode.INVALID_METRICS);
    };
    const extracted = await conn.extractStatements(sql).catch(invalid('invalid SQL'));
    if (extracted.count !== 1) {
      throw new TradingError(
        TradingErrorCode.INVALID_METRICS,
        `expected one statement, got ${extracted.count}`,
      );
    }
    const stmt = await extracted.prepare(0).catch(invalid('invalid query'));
    try {
      if (stmt.statementType !== StatementType.SELECT) {
        throw new TradingError(TradingErrorCode.INVALID_METRICS, 'only read-only SELECT queries are allowed');
      }
      return await read(stmt).catch(invalid('query failed'));
    } finally {
      stmt.destroySync();
    }
  }

  /** `SELECT 1` on the read connection: throws when the store cannot answer. */
  async probe(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** DuckDB writes in this process: nothing is buffered beyond the INSERT being run. */
  writeStats(): StoreWriteStats {
    return {
      bufferedRows: 0,
      maxBufferedRows: 0,
      droppedRows: 0,
      failedRows: 0,
      retries: 0,
      state: 'ok',
      lastError: null,
    };
  }

  /** A new connection on this store's instance (guards/query-guard.ts runs untrusted SQL on its own). */
  async connect(): Promise<DuckDBConnection> {
    if (this.instance === null)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');
    return this.instance.connect();
  }

  /** Folds the WAL into the database file. */
  async checkpoint(): Promise<void> {
    if (!this.readOnly) await this.conn(this.writeConn).run('CHECKPOINT');
  }

  /** Commits pending inserts, checkpoints (no WAL left behind), releases the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.inserts.idle();
        await this.checkpoint();
        await this.replica?.close();
      } finally {
        this.release();
      }
    })();
    return this.closing;
  }

  private release(): void {
    this.stmt?.destroySync();
    this.readConn?.closeSync();
    this.writeConn?.closeSync();
    this.instance?.closeSync();
    this.stmt = this.readConn = this.writeConn = this.instance = null;
    if (this.key !== null) openPaths.delete(this.key);
  }

  private writable(): void {
    if (this.closing !== null)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');
    if (this.readOnly) throw new TradingError(TradingErrorCode.METRICS_STORE, 'metrics store is read-only');
  }

  private conn(c: DuckDBConnection | null): DuckDBConnection {
    if (c === null) throw new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');
    return c;
  }
}

/** The store file's directory, created; one that cannot be is a configuration mistake naming the flag. */
function makeStoreDir(path: string, dir: string): void {
  try {
    makeDir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `metrics store ${path} (--metrics-store, env TICKSTORM_METRICS_STORE): cannot create its directory ${dir} (${code})`,
      'metrics-store',
    );
  }
}
