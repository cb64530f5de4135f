/**
 * The Python metrics library's API (`from database import DatabaseManager, MetricRecord`), in
 * TypeScript style, over either metrics store: a DuckDB path (default) or a `postgres://`
 * URL (open-store.ts picks). A Python script ports line for line:
 *
 *   Python                                         TypeScript
 *   db = await DatabaseManager.new(":memory:")     const db = await DatabaseManager.create(':memory:')
 *   await db.initialize()                          await db.initialize()
 *   MetricRecord.new(name, value, labels={...})    MetricRecord.create(name, value, {...})
 *   await db.insert_metrics(metrics)               await db.insertMetrics(metrics)
 *
 * `DatabaseManager.new`, `MetricRecord.new` and `insert_metrics` exist as aliases, so a
 * literal port runs too. `create` does not touch the disk; `initialize` opens the database
 * (creating `data/`, the file and `trading_metrics` as needed; on PostgreSQL the table and
 * its index); `close` commits, checkpoints and releases the file (one writer process per
 * DuckDB file: docs/metrics-store.md), or drains the buffer and ends the pool.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import { DEFAULT_METRICS_PATH, type PlainRow } from './duckdb-store.ts';
import type { MetricRecord } from './metric-record.ts';
import { isPostgresUrl, type MetricsStore, redactUrl } from './metrics-store.ts';
import { type MetricsStoreOptions, openMetricsStore } from './open-store.ts';

export class DatabaseManager {
  /** The DuckDB path, or the PostgreSQL URL without its password. */
  readonly path: string;
  private readonly target: string;
  private readonly opts: MetricsStoreOptions;
  private opened: MetricsStore | null = null;
  private opening: Promise<MetricsStore> | null = null;

  private constructor(target: string, opts: MetricsStoreOptions) {
    this.target = target;
    this.path = isPostgresUrl(target) ? redactUrl(target) : target;
    this.opts = opts;
  }

  /**
   * A manager for `target`: ':memory:' or a DuckDB file (default `data/metrics.duckdb`), or a
   * `postgres://USER@HOST:PORT/DB` URL. Call `initialize()` next.
   */
  static async create(
    target: string = DEFAULT_METRICS_PATH,
    opts: MetricsStoreOptions = {},
  ): Promise<DatabaseManager> {
    return new DatabaseManager(target, opts);
  }

  /** The Python spelling of `create`. */
  static new(
    target: string = DEFAULT_METRICS_PATH,
    opts: MetricsStoreOptions = {},
  ): Promise<DatabaseManager> {
    return DatabaseManager.create(target, opts);
  }

  /** Opens the database and creates `trading_metrics` if absent. Idempotent. */
  async initialize(): Promise<void> {
    this.opening ??= openMetricsStore(this.target, this.opts);
    try {
      this.opened = await this.opening;
    } catch (err) {
      this.opening = null;
      throw err;
    }
  }

  /** The underlying store (after `initialize`). */
  get store(): MetricsStore {
    if (this.opened === null || this.opened.closed) {
      throw new TradingError(TradingErrorCode.METRICS_STORE, 'DatabaseManager: call initialize() first');
    }
    return this.opened;
  }

  /** Inserts a batch in one transaction; resolves with the row count once committed. */
  async insertMetrics(records: readonly MetricRecord[]): Promise<number> {
    return this.store.insert(records);
  }

  /** The Python spelling of `insertMetrics`. */
  insert_metrics(records: readonly MetricRecord[]): Promise<number> {
    return this.insertMetrics(records);
  }

  /** `SELECT count(*) FROM trading_metrics`. */
  async count(): Promise<number> {
    return this.store.count();
  }

  /** One read-only SELECT; plain rows. */
  async query(sql: string): Promise<PlainRow[]> {
    return this.store.query(sql);
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = null;
    this.opened = null;
    if (opening !== null) await (await opening).close();
  }
}
