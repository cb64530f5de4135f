/**
 * The query process's first look at a query's SQL, before the parent copies new rows into the
 * shared file for it (the replica's flush: ATTACH, INSERT, DETACH with a checkpoint fsync, on
 * the disk the order journal fdatasyncs to). SQL that QueryGuard would refuse anyway (more or
 * fewer than one statement, a statement that does not parse, one that prepares as something
 * other than SELECT: ATTACH, INSTALL, SET...; one that would touch a file: COPY, read_csv; a
 * NUL character) is
 * refused here, on an in-memory DuckDB connection with external access off, so it costs no
 * flush. Anything this connection cannot decide (a SELECT on tables that exist only in the
 * metrics file fails to bind here) passes: QueryGuard checks everything again on the file, so
 * this check can only spare work, never let a query through.
 *
 * A SELECT that prepares here reads no table of the metrics file: this connection has none
 * (DuckDB binds every table a statement names when it prepares it). Such a query (`SELECT *
 * FROM range(30000000)`, the usual hostile one) needs no flush either: no row stored just
 * before it can be in its answer. It says `readsStore: false` and runs on the file as it is.
 * Only the file's catalog functions (`duckdb_tables()`'s `estimated_size`) can then show a
 * figure up to one replica interval old.
 */
import { type DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';

/** QueryGuard's refusals, word for word: a query refused here reads as it would there. */
export const REFUSAL = {
  invalid: (message: string) => `invalid SQL: ${message}`,
  invalidQuery: (message: string) => `invalid query: ${message}`,
  count: (n: number) => `expected exactly one statement, got ${n}`,
  notSelect: 'only one read-only SELECT (or WITH / VALUES / FROM / TABLE) statement is allowed',
  // DuckDB reads the SQL as a C string: what follows a NUL would be dropped unseen.
  nul: 'the SQL holds a NUL character (U+0000), which would end it there: remove it',
};

/**
 * Extensions are never installed or loaded on the fly (`sqlsmith()`, `tpch`, `iceberg_scan`
 * would otherwise try to install one, into the home directory, from the network): set on every
 * instance that runs untrusted SQL, with external access off (json and parquet are built in).
 */
export const NO_EXTENSION_AUTOLOAD = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
} as const;

export type PrecheckResult = { refused: string } | { refused: null; readsStore: boolean };

export class StatementPrecheck {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(): Promise<StatementPrecheck> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      temp_directory: '',
      enable_external_access: 'false',
      ...NO_EXTENSION_AUTOLOAD,
    });
    const conn = await instance.connect();
    await conn.run('SET lock_configuration = true');
    return new StatementPrecheck(instance, conn);
  }

  /**
   * Why QueryGuard would refuse `sql` (`refused`), or whether it may read the metrics file's
   * tables (`readsStore`: true when it names a table this empty connection does not have, or
   * when this connection cannot tell).
   */
  async check(sql: string): Promise<PrecheckResult> {
    if (sql.includes('\0')) return { refused: REFUSAL.nul };
    let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
    try {
      extracted = await this.conn.extractStatements(sql);
    } catch (err) {
      return { refused: REFUSAL.invalid((err as Error).message) };
    }
    if (extracted.count !== 1) return { refused: REFUSAL.count(extracted.count) };
    let stmt: Awaited<ReturnType<typeof extracted.prepare>>;
    try {
      stmt = await extracted.prepare(0);
    } catch (err) {
      // A file or network access (COPY, read_csv...) is refused whatever the tables are;
      // anything else (a table only the metrics file has) is for QueryGuard to decide there.
      const message = (err as Error).message;
      return /^Permission Error/.test(message)
        ? { refused: REFUSAL.invalidQuery(message) }
        : { refused: null, readsStore: true };
    }
    try {
      return stmt.statementType === StatementType.SELECT
        ? { refused: null, readsStore: false }
        : { refused: REFUSAL.notSelect };
    } finally {
      stmt.destroySync();
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
