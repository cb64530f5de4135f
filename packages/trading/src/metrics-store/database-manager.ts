/**
 * The seed's library API (`from database import DatabaseManager, MetricRecord`), in
 * TypeScript style, over DuckDbMetricsStore. The seed's script ports line for line:
 *
 *   Python (seed)                                  TypeScript
 *   db = await DatabaseManager.new(":memory:")     const db = await DatabaseManager.create(':memory:')
 *   await db.initialize()                          await db.initialize()
 *   MetricRecord.new(name, value, labels={...})    MetricRecord.create(name, value, {...})
 *   await db.insert_metrics(metrics)               await db.insertMetrics(metrics)
 *
 * `DatabaseManager.new`, `MetricRecord.new` and `insert_metrics` exist as aliases, so a
 * literal port runs too. `create` does not touch the disk; `initialize` opens the database
 * (creating `data/`, the file and `trading_metrics` as needed); `close` commits, checkpoints
 * and releases the file (one writer process per DuckDB file: docs/metrics-store.md).
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import {
  DEFAULT_METRICS_PATH,
  DuckDbMetricsStore,
  type DuckDbMetricsStoreOptions,
  type PlainRow,
} from './duckdb-store.ts';
import type { MetricRecord } from './metric-record.ts';

export class DatabaseManager {
  readonly path: string;
  private readonly opts: DuckDbMetricsStoreOptions;
  private opened: DuckDbMetricsStore | null = null;
  private opening: Promise<DuckDbMetricsStore> | null = null;

  private constructor(path: string, opts: DuckDbMetricsStoreOptions) {
    this.path = path;
    this.opts = opts;
  }

  /** A manager for `path` (':memory:' or a file, default `data/metrics.duckdb`); call `initialize()` next. */
  static async create(
    path: string = DEFAULT_METRICS_PATH,
    opts: DuckDbMetricsStoreOptions = {},
  ): Promise<DatabaseManager> {
    return new DatabaseManager(path, opts);
  }

  /** The seed's spelling of `create`. */
  static new(
    path: string = DEFAULT_METRICS_PATH,
    opts: DuckDbMetricsStoreOptions = {},
  ): Promise<DatabaseManager> {
    return DatabaseManager.create(path, opts);
  }

  /** Opens the database and creates `trading_metrics` if absent. Idempotent. */
  async initialize(): Promise<void> {
    this.opening ??= DuckDbMetricsStore.open(this.path, this.opts);
    this.opened = await this.opening;
  }

  /** The underlying store (after `initialize`). */
  get store(): DuckDbMetricsStore {
    if (this.opened === null || this.opened.closed) {
      throw new TradingError(TradingErrorCode.METRICS_STORE, 'DatabaseManager: call initialize() first');
    }
    return this.opened;
  }

  /** Inserts a batch in one transaction; resolves with the row count once committed. */
  async insertMetrics(records: readonly MetricRecord[]): Promise<number> {
    return this.store.insert(records);
  }

  /** The seed's spelling of `insertMetrics`. */
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
