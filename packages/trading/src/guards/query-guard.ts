/**
 * GET /api/metrics/query can't hurt (docs/sql-endpoint.md). For a file store this runs in
 * a separate, niced process on the shared file (./query-process.ts, ./query-process-entry.ts);
 * for an in-memory store, here on the store's instance. Untrusted SQL runs
 *
 * - on its own DuckDB connections (`maxConcurrent`, default 2; one more query at once is 429
 *   TRD_ERR_TOO_MANY_QUERIES), executed on DuckDB's threads, never on the event loop;
 * - as exactly one statement of type SELECT (multiple statements, COPY, ATTACH, INSTALL, LOAD,
 *   SET, PRAGMA, EXPLAIN..., a NUL character are 400 TRD_ERR_QUERY_REFUSED), with external
 *   access off, no extension installed or loaded on the fly, and the configuration locked
 *   (read_csv, parquet files, ATTACH of files fail inside DuckDB);
 * - streamed: chunks are fetched (one buffered ahead) and converted row by row only until
 *   `maxRows` (10,000) rows or `maxBytes` (8 MiB of JSON) are reached, then the result is
 *   ended and `truncated: true` is answered, so a huge result is never materialised, in
 *   DuckDB or in JS; the answer's JSON is built as rows are read, yielding to the event loop
 *   every millisecond;
 * - under a `timeoutMs` (2 s) deadline that interrupts the query (504 TRD_ERR_QUERY_TIMEOUT);
 * - under the instance's `memory_limit` (default 256 MB; a query past it fails inside DuckDB).
 */
import { type DuckDBConnection, DuckDBTypeId, JSDuckDBValueConverter, StatementType } from '@duckdb/node-api';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { InFlightLimiter } from './admission.ts';
import type { StreamedResult } from './answer-stream.ts';
import { NO_EXTENSION_AUTOLOAD, REFUSAL } from './statement-precheck.ts';

export interface QueryGuardOptions {
  maxRows: number;
  maxBytes: number;
  timeoutMs: number;
  maxConcurrent: number;
  /** DuckDB memory_limit for the whole instance (e.g. '256MB'). */
  memoryLimit: string;
}

export const QUERY_GUARD_DEFAULTS: QueryGuardOptions = {
  maxRows: 10_000,
  maxBytes: 8 * 1024 * 1024,
  timeoutMs: 2_000,
  maxConcurrent: 2,
  memoryLimit: '256MB',
};

/** The answer, already JSON: `{"rows":[...],"truncated":bool}` (UTF-8), in pieces to send in order. */
export interface GuardedResult {
  json: Buffer[];
  rowCount: number;
  truncated: boolean;
}

export interface QueryGuardStats {
  queries: number;
  refused: number;
  busy: number;
  timeouts: number;
  truncated: number;
  failed: number;
}

export const newQueryGuardStats = (): QueryGuardStats => ({
  queries: 0,
  refused: 0,
  busy: 0,
  timeouts: 0,
  truncated: 0,
  failed: 0,
});

/** The answer to a query on a closed store (503 TRD_ERR_SHUTTING_DOWN). */
export const storeClosed = (): TradingError =>
  new TradingError(TradingErrorCode.SHUTTING_DOWN, 'metrics store is closed');

/** What GET /api/metrics/query reports of the queries (QueryGuard here, QueryProcess in a child). */
export interface QueryRunnerStats extends QueryGuardStats {
  running: number;
  limits: QueryGuardOptions;
  /** The process whose DuckDB runs the queries (this one for an in-process guard; null: not started). */
  pid: number | null;
}

/** Runs GET /api/metrics/query's SQL under the guard: in this process (QueryGuard) or a child (QueryProcess). */
export interface QueryRunner {
  /** In this process: the JSON in memory; in a query process: as it arrives (./answer-stream.ts). */
  query(sql: string): Promise<GuardedResult | StreamedResult>;
  stats(): QueryRunnerStats;
  close(): void | Promise<void>;
}

/**
 * At most `limiter.max` calls of `run` at once; one more is refused at once with 429
 * TRD_ERR_TOO_MANY_QUERIES (stores that guard the SQL themselves, e.g. PostgreSQL's
 * read-only transaction with a statement timeout).
 */
export function concurrencyLimit(limiter: InFlightLimiter): <T>(run: () => Promise<T>) => Promise<T> {
  return async (run) => {
    if (!limiter.tryAcquire())
      throw new TradingError(
        TradingErrorCode.TOO_MANY_QUERIES,
        `at most ${limiter.max} queries run at once; retry later`,
      );
    try {
      return await run();
    } finally {
      limiter.release();
    }
  };
}

export class QueryGuard implements QueryRunner {
  readonly o: QueryGuardOptions;
  private readonly free: DuckDBConnection[] = [];
  private readonly all: DuckDBConnection[] = [];
  private closed = false;
  readonly counts: QueryGuardStats = newQueryGuardStats();

  private constructor(o: QueryGuardOptions) {
    this.o = o;
  }

  /** `connect` opens a connection on the store's instance (DuckDbMetricsStore.connect). */
  static async open(
    connect: () => Promise<DuckDBConnection>,
    opts: Partial<QueryGuardOptions> = {},
  ): Promise<QueryGuard> {
    const g = new QueryGuard({ ...QUERY_GUARD_DEFAULTS, ...opts });
    for (let i = 0; i < g.o.maxConcurrent; i++) {
      const c = await connect();
      g.free.push(c);
      g.all.push(c);
    }
    // One chunk buffered ahead of the reader, not ~1 MB of row slots (DuckDB counts a string
    // column's 16-byte slots, not its heap: 2,048-row chunks of 100 KB values buffered up to
    // a megabyte of slots were gigabytes of memory).
    for (const c of g.all) await c.run("SET streaming_buffer_size = '1KB'");
    const c = g.all[0];
    await c.run(`SET memory_limit = '${g.o.memoryLimit.replace(/[^0-9A-Za-z.]/g, '')}'`);
    // Memory a query freed goes back to the OS in the background, not only when the
    // allocator is next used (RSS otherwise stays at each query's high-water mark).
    await c.run('SET allocator_background_threads = true');
    for (const [name, value] of Object.entries(NO_EXTENSION_AUTOLOAD)) await c.run(`SET ${name} = ${value}`);
    await c.run('SET enable_external_access = false');
    await c.run('SET lock_configuration = true');
    return g;
  }

  /** `signal`: aborted, the query is interrupted as at its timeout (504). */
  async query(sql: string, signal?: AbortSignal): Promise<GuardedResult> {
    if (this.closed) throw storeClosed();
    if (signal?.aborted)
      throw new TradingError(TradingErrorCode.QUERY_TIMEOUT, 'query interrupted at its budget');
    const conn = this.free.pop();
    if (conn === undefined) {
      this.counts.busy++;
      throw new TradingError(
        TradingErrorCode.TOO_MANY_QUERIES,
        `at most ${this.o.maxConcurrent} queries run at once; retry later`,
      );
    }
    this.counts.queries++;
    let timedOut = false;
    const interrupt = () => {
      timedOut = true;
      conn.interrupt();
    };
    const timer = setTimeout(interrupt, this.o.timeoutMs);
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      return await this.run(conn, sql, () => timedOut);
    } catch (err) {
      if (err instanceof TradingError) throw err;
      if (timedOut) {
        this.counts.timeouts++;
        throw new TradingError(
          TradingErrorCode.QUERY_TIMEOUT,
          `query interrupted after ${this.o.timeoutMs} ms`,
        );
      }
      this.counts.failed++;
      throw new TradingError(TradingErrorCode.QUERY_REFUSED, `query failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', interrupt);
      if (!this.closed) this.free.push(conn);
    }
  }

  private async run(conn: DuckDBConnection, sql: string, timedOut: () => boolean): Promise<GuardedResult> {
    const refuse = (why: string): never => {
      this.counts.refused++;
      throw new TradingError(TradingErrorCode.QUERY_REFUSED, why);
    };
    if (sql.includes('\0')) refuse(REFUSAL.nul);
    let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
    try {
      extracted = await conn.extractStatements(sql);
    } catch (err) {
      return refuse(REFUSAL.invalid((err as Error).message));
    }
    if (extracted.count !== 1) refuse(REFUSAL.count(extracted.count));
    let stmt: Awaited<ReturnType<typeof extracted.prepare>>;
    try {
      stmt = await extracted.prepare(0);
    } catch (err) {
      return refuse(REFUSAL.invalidQuery((err as Error).message));
    }
    let streaming = false;
    try {
      if (stmt.statementType !== StatementType.SELECT) {
        refuse(REFUSAL.notSelect);
      }
      // DuckDB stops producing rows past the cap (the JS side stops reading at it too).
      const capped = await conn
        .prepare(`SELECT * FROM (\n${sql.replace(/;\s*$/, '')}\n) AS q LIMIT ${this.o.maxRows + 1}`)
        .catch(() => null);
      if (capped !== null) {
        stmt.destroySync();
        stmt = capped;
      }
      const result = await stmt.stream();
      streaming = true;
      const names = result.columnNames();
      const isMap = result.columnTypes().map((t) => t.typeId === DuckDBTypeId.MAP);
      // The answer is built as JSON text as rows are read (one stringify a row, counted in
      // bytes), and the loop yields to the event loop every YIELD_MS: a big answer never
      // holds the loop that serves orders for long, and is never serialised again whole.
      const parts: Buffer[] = [];
      let slice: string[] = [];
      let count = 0;
      let bytes = ANSWER_OVERHEAD;
      let truncated = false;
      let sliceStart = performance.now();
      const flush = () => {
        if (slice.length > 0) parts.push(Buffer.from(slice.join(',')));
        slice = [];
      };
      while (!timedOut() && !truncated) {
        const chunk = await result.fetchChunk();
        if (chunk === null || chunk.rowCount === 0) break;
        // Row by row: a chunk (up to 2,048 rows) of huge values is never converted whole.
        const n = chunk.rowCount;
        for (let i = 0; i < n && !timedOut(); i++) {
          if (count >= this.o.maxRows) {
            truncated = true;
            break;
          }
          const row = chunk.convertRowValues(i, JSDuckDBValueConverter);
          const out: Record<string, unknown> = {};
          for (let c = 0; c < names.length; c++) out[names[c]] = plain(row[c], isMap[c]);
          const json = rowJson(out);
          const size = Buffer.byteLength(json) + 1;
          if (bytes + size > this.o.maxBytes) {
            truncated = true;
            break;
          }
          bytes += size;
          count++;
          slice.push(json);
          if (performance.now() - sliceStart > YIELD_MS) {
            flush();
            await new Promise((r) => setImmediate(r));
            sliceStart = performance.now();
          }
        }
        // Frees the chunk's vectors now: the JS wrapper is tiny, so GC would keep them
        // (2,048 rows of 100 KB values are 200 MB) until V8 happens to collect it.
        chunk.reset();
      }
      if (timedOut()) throw new Error('interrupted');
      flush();
      if (truncated) this.counts.truncated++;
      const pieces: Buffer[] = [OPEN];
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) pieces.push(COMMA);
        pieces.push(parts[i]);
      }
      pieces.push(truncated ? CLOSE_TRUNCATED : CLOSE);
      return { json: pieces, rowCount: count, truncated };
    } finally {
      stmt.destroySync();
      if (streaming) {
        // A result left unread keeps its pipeline and a buffered chunk until the
        // connection's next query (or GC): end it now.
        await conn.run('SELECT 1').catch(() => {});
      }
    }
  }

  stats(): QueryRunnerStats {
    return { ...this.counts, running: this.all.length - this.free.length, limits: this.o, pid: process.pid };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.all) {
      try {
        c.interrupt();
        c.closeSync();
      } catch {
        // closing anyway
      }
    }
    this.free.length = 0;
  }
}

/** Longest stretch (ms) the row loop holds the event loop before yielding. */
const YIELD_MS = 1;
const OPEN = Buffer.from('{"rows":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from('],"truncated":false}');
const CLOSE_TRUNCATED = Buffer.from('],"truncated":true}');
const ANSWER_OVERHEAD = OPEN.length + CLOSE.length;

/** A row as JSON (bigints nested in lists or structs as strings; unserialisable: null). */
function rowJson(row: unknown): string {
  try {
    return JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  } catch {
    return 'null';
  }
}

function plain(v: unknown, isMap: boolean): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (isMap && Array.isArray(v)) {
    const o: Record<string, unknown> = {};
    for (const e of v as { key: unknown; value: unknown }[]) o[String(e.key)] = plain(e.value, false);
    return o;
  }
  return v;
}
