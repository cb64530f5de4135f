/**
 * Keeps the metrics file readable by other processes while the system writes.
 *
 * DuckDB lets one process hold a database file at a time (any connection, even read-only,
 * from another process is refused while it is held). So the store writes into its own
 * file beside it (`metrics.live.duckdb`, held for the store's lifetime) and this replica
 * copies the new rows into the shared file (`metrics.duckdb`, the one users open) every
 * `intervalMs`: ATTACH, one INSERT ... SELECT of the rows since the last copy, DETACH
 * (which checkpoints: no WAL is left beside the shared file). The shared file is held only
 * for those few milliseconds; a reader that connects in between gets it. When a reader
 * holds it, the ATTACH fails and the copy is retried at the next interval: rows are never
 * lost, the shared file is only later. The table is append-only, so the live table's
 * `rowid`s 0..n-1 are its rows in commit order and the copy is `rowid >= copied`.
 *
 * At open the two files are reconciled: rows only the shared file has (a file from before
 * the live file existed, or a lost live file) are first copied into the live one.
 * At close, a last copy is retried until `closeTimeoutMs`.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { LatencyHistogram } from '../stats/latency-histogram.ts';

const ALIAS = 'tickstorm_shared';

export interface SharedFileReplicaOptions {
  table: string;
  /** The table's column definitions, as in CREATE TABLE. */
  columns: string;
  /** How often new rows are copied (default 2,000 ms). */
  intervalMs?: number;
  /** How long close() retries the last copy while a reader holds the file (default 5,000 ms). */
  closeTimeoutMs?: number;
  /** Leave external file access on (the store's externalAccess option). */
  externalAccess?: boolean;
}

export interface ReplicaStats {
  sharedPath: string;
  /** Rows in the shared file (as far as this replica knows). */
  rowsCopied: number;
  copies: number;
  /** Copies put off because another process held the shared file. */
  lockedRetries: number;
  lastError: string | null;
}

/** `data/metrics.duckdb` -> `data/metrics.live.duckdb` (any other name: `<name>.live`). */
export function livePathOf(sharedPath: string): string {
  return /\.duckdb$/.test(sharedPath)
    ? sharedPath.replace(/\.duckdb$/, '.live.duckdb')
    : `${sharedPath}.live`;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class SharedFileReplica {
  /** The shared file held (ATTACH -> DETACH), per copy. */
  readonly holdLatency = new LatencyHistogram();
  private copied = 0;
  private copies = 0;
  private lockedRetries = 0;
  private lastError: string | null = null;
  private running: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly conn: DuckDBConnection,
    readonly sharedPath: string,
    private readonly o: SharedFileReplicaOptions,
  ) {}

  /**
   * Restricts the live instance's file access to the shared file (unless externalAccess),
   * reconciles the two files and starts the copy timer. `instance` holds the live file.
   */
  static async start(
    instance: DuckDBInstance,
    sharedPath: string,
    o: SharedFileReplicaOptions,
  ): Promise<SharedFileReplica> {
    const conn = await instance.connect();
    if (o.externalAccess !== true) {
      const paths = ['', '.wal', '.wal.checkpoint', '.tmp'].map((x) => sqlString(sharedPath + x));
      await conn.run(`SET allowed_paths = [${paths.join(', ')}]`);
      await conn.run('SET enable_external_access = false');
    }
    const r = new SharedFileReplica(conn, sharedPath, o);
    await r.reconcile();
    r.timer = setInterval(() => void r.copy(), o.intervalMs ?? 2000);
    r.timer.unref();
    return r;
  }

  private async reconcile(): Promise<void> {
    const t = this.o.table;
    const c = this.conn;
    const end = performance.now() + (this.o.closeTimeoutMs ?? 5000);
    for (;;) {
      try {
        await this.attach();
        break;
      } catch (err) {
        // Another process holds the shared file: wait for it (bounded), as close() does.
        if (performance.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    try {
      await c.run(`CREATE TABLE IF NOT EXISTS ${t} (${this.o.columns})`);
      await c.run(`CREATE TABLE IF NOT EXISTS ${ALIAS}.${t} (${this.o.columns})`);
      const shared = await this.count(`${ALIAS}.${t}`);
      let live = await this.count(t);
      if (shared > live) {
        await c.run(`INSERT INTO ${t} SELECT * FROM ${ALIAS}.${t} WHERE rowid >= ${live} ORDER BY rowid`);
        live = shared;
      }
      this.copied = shared;
    } finally {
      await c.run(`DETACH ${ALIAS}`);
    }
  }

  private async attach(): Promise<void> {
    await this.conn.run(`ATTACH ${sqlString(this.sharedPath)} AS ${ALIAS}`);
  }

  private async count(table: string): Promise<number> {
    const r = await this.conn.runAndReadAll(`SELECT count(*) FROM ${table}`);
    return Number(r.getRows()[0][0]);
  }

  /** Copies the rows committed since the last copy; false if the shared file was held elsewhere. */
  copy(): Promise<boolean> {
    this.running ??= this.copyOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * Copies now every row committed before this call (waits for a copy already under way, which
   * may have started before them, then copies again); false at once if another process holds
   * the shared file (the rows go at a later copy).
   */
  async flush(): Promise<boolean> {
    if (this.closed) return false;
    const prior = this.running;
    if (prior !== null) await prior;
    return this.copy();
  }

  private async copyOnce(): Promise<boolean> {
    const t = this.o.table;
    let to: number;
    try {
      to = await this.count(t);
    } catch (err) {
      // The timer's copy is not awaited by anyone: an error here must not become an
      // unhandled rejection (which ends the process); the next interval tries again.
      this.lastError = (err as Error).message;
      return false;
    }
    if (to <= this.copied) return true;
    const t0 = performance.now();
    try {
      await this.attach();
    } catch (err) {
      this.lockedRetries++;
      this.lastError = (err as Error).message;
      return false;
    }
    try {
      await this.conn.run(
        `INSERT INTO ${ALIAS}.${t} SELECT * FROM ${t} WHERE rowid >= ${this.copied} AND rowid < ${to} ORDER BY rowid`,
      );
      this.copied = to;
      this.copies++;
      return true;
    } catch (err) {
      this.lastError = (err as Error).message;
      return false;
    } finally {
      await this.conn.run(`DETACH ${ALIAS}`).catch((err: unknown) => {
        this.lastError = (err as Error).message;
      });
      this.holdLatency.recordMs(performance.now() - t0);
    }
  }

  stats(): ReplicaStats {
    return {
      sharedPath: this.sharedPath,
      rowsCopied: this.copied,
      copies: this.copies,
      lockedRetries: this.lockedRetries,
      lastError: this.lastError,
    };
  }

  /** Stops the timer and makes the last copy (retried while the file is held, up to closeTimeoutMs). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    const end = performance.now() + (this.o.closeTimeoutMs ?? 5000);
    while (!(await this.copy()) && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 50)); // a reader holds the shared file: try again
    }
    this.conn.closeSync();
  }
}
