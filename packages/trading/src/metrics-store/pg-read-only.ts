/**
 * `query` / `queryLimited` on the PostgreSQL store: one SELECT / WITH / VALUES / TABLE statement
 * in a READ ONLY transaction with a statement timeout, through the extended protocol (one
 * statement only).
 *
 * - The transaction is always rolled back, never committed, and session advisory locks are
 *   released after it: a SELECT can change its connection's session state
 *   (`set_config('search_path', '', false)`, `pg_advisory_lock(...)`), and that connection goes
 *   back to the pool the COPYs use; a rollback undoes the settings, `pg_advisory_unlock_all()`
 *   the locks.
 * - Rows are counted as they arrive: past the row cap or the byte cap the answer is complete
 *   (`truncated`) and the rest of the result is not read: the connection is cut (the server
 *   aborts the statement) instead of holding every row the server sends in memory.
 */
import pg from 'pg';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { jsonBytes } from './metrics-store.ts';
import type { PlainRow } from './plain-rows.ts';

/** Ends every read: undoes session settings made by the statement, releases its advisory locks. */
const END_READ_SQL = 'ROLLBACK; SELECT pg_advisory_unlock_all()';

/** Query result types: int8 as a number (a string beyond 2^53), numeric as a number, json as its text. */
const PLAIN_TYPES = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 20) return int8;
    if (oid === 1700) return numeric;
    if (oid === 114 || oid === 3802) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text') as (v: string) => unknown;
  },
};

function int8(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function numeric(v: string): number | string {
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}

export interface ReadOnlyLimits {
  /** Most rows returned (null: all). */
  readonly maxRows: number | null;
  /** Most bytes of JSON returned (Infinity: no cap). */
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export interface ReadOnlyAnswer {
  readonly rows: PlainRow[];
  readonly truncated: boolean;
  /** False when the result was cut short: the connection is mid-statement and must be discarded. */
  readonly reusable: boolean;
}

/**
 * Runs `sql` on `c` under `limits`; a refused statement is TRD_ERR_QUERY_REFUSED, a server error
 * is thrown as it came. When `reusable` is false the caller must release the client as broken
 * (its socket is already destroyed: the server aborts the statement).
 */
export async function runReadOnly(
  c: pg.PoolClient,
  sql: string,
  limits: ReadOnlyLimits,
): Promise<ReadOnlyAnswer> {
  const text = boundedSql(checkReadOnlySql(sql), limits);
  await c.query('BEGIN READ ONLY');
  try {
    await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
    const answer = await rowsWithin(c, text, limits);
    if (answer.reusable) await c.query(END_READ_SQL);
    return answer;
  } catch (err) {
    await c.query(END_READ_SQL).catch(() => {});
    throw err;
  }
}

/** Raised by the server (as a failed integer cast naming it) for a row whose text exceeds the byte cap. */
const ROW_OVER_CAP = /bytes in one row, over the \d+ cap/;

/**
 * `body` under the caps: `LIMIT maxRows + 1`, and a row whose text alone exceeds `maxBytes`
 * stops the statement on the server before it is sent (the client would otherwise receive it
 * whole: a 600 MB value is more than a JavaScript string can hold). The error depends on the
 * row, so it cannot be folded into a constant at plan time.
 */
function boundedSql(body: string, limits: ReadOnlyLimits): string {
  if (limits.maxRows === null && !Number.isFinite(limits.maxBytes)) return body;
  const where = Number.isFinite(limits.maxBytes)
    ? ` WHERE CASE WHEN octet_length(q::text) > ${Math.floor(limits.maxBytes)} THEN ` +
      `(octet_length(q::text) || ' bytes in one row, over the ${Math.floor(limits.maxBytes)} cap')::int = 0 ELSE true END`
    : '';
  const limit = limits.maxRows === null ? '' : ` LIMIT ${limits.maxRows + 1}`;
  return `SELECT q.* FROM (${body}\n) AS q${where}${limit}`;
}

/** Reads rows as they arrive; stops (and cuts the connection) at the row or byte cap. */
function rowsWithin(c: pg.PoolClient, text: string, limits: ReadOnlyLimits): Promise<ReadOnlyAnswer> {
  return new Promise<ReadOnlyAnswer>((resolve, reject) => {
    const rows: PlainRow[] = [];
    let bytes = 2; // the JSON array's brackets
    let settled = false;
    const stop = (): void => {
      settled = true;
      c.connection.stream.destroy();
      resolve({ rows, truncated: true, reusable: false });
    };
    const q = new pg.Query({ text, types: PLAIN_TYPES, queryMode: 'extended' } as pg.QueryConfig);
    q.on('row', (row: PlainRow) => {
      if (settled) return;
      if (limits.maxRows !== null && rows.length >= limits.maxRows) return stop();
      bytes += jsonBytes(row) + 1;
      if (bytes > limits.maxBytes) return stop();
      rows.push(row);
    });
    q.on('error', (err: Error) => {
      if (settled) return; // the connection cut after stop()
      settled = true;
      // A row over the byte cap (boundedSql): the rows before it are the answer.
      if (ROW_OVER_CAP.test(err.message)) resolve({ rows, truncated: true, reusable: true });
      else reject(err);
    });
    q.on('end', () => {
      if (settled) return;
      settled = true;
      resolve({ rows, truncated: false, reusable: true });
    });
    c.query(q);
  });
}

/** Skips whitespace, line comments, block comments (nested, as PostgreSQL reads them) and `(`. */
function skipLead(sql: string): number {
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '(' || /\s/.test(ch)) i++;
    else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
    } else break;
  }
  return i;
}

/**
 * The statement without trailing semicolons, when it starts (after comments and parentheses)
 * with SELECT, WITH, VALUES or TABLE; else TRD_ERR_QUERY_REFUSED. The READ ONLY transaction
 * and the extended protocol (one statement) do the rest.
 */
export function checkReadOnlySql(sql: string): string {
  const body = sql.replace(/[\s;]+$/, '');
  if (!/^(select|with|values|table)\b/i.test(body.slice(skipLead(body)))) {
    throw new TradingError(
      TradingErrorCode.QUERY_REFUSED,
      'only read-only SELECT queries are allowed (SELECT, WITH, VALUES, TABLE)',
    );
  }
  return body;
}
