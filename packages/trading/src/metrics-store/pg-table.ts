/**
 * The PostgreSQL metrics store's table, `trading_metrics(time timestamptz, name text, value
 * float8, labels json)` with an index on (name, time): created when missing (under an advisory
 * lock, so processes starting together do not race), its columns checked, and the role's
 * SELECT and INSERT rights on it (refused with the GRANT to run).
 */
import type pg from 'pg';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { MetricLabels, MetricRecord } from './metric-record.ts';

export const TABLE = 'trading_metrics';
const EXPECTED_COLUMNS = 'time:timestamp with time zone,name:text,value:double precision,labels:json';
/** pg_advisory_xact_lock key serialising schema creation across processes. */
const SCHEMA_LOCK = 7_243_015;

/** Creates the table and index if missing, checks columns and rights; `where` names the store in errors. */
export async function preparePgTable(client: pg.ClientBase, where: string): Promise<void> {
  // pg_catalog, not information_schema.columns: that view hides the columns of a table the
  // role has no right on, which read as "no table" and sent it to CREATE TABLE (refused as
  // "permission denied for schema public") instead of the GRANT it lacks, below.
  const columns = async () => {
    const r = await client.query<{ c: string }>(
      "SELECT a.attname || ':' || format_type(a.atttypid, NULL) AS c FROM pg_catalog.pg_attribute a " +
        'JOIN pg_catalog.pg_class t ON t.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace ' +
        'WHERE n.nspname = current_schema() AND t.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ' +
        'ORDER BY a.attnum',
      [TABLE],
    );
    return r.rows.map((x) => x.c).join(',');
  };
  let found = await columns();
  if (found === '') {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${TABLE} (time timestamptz NOT NULL, name text NOT NULL, ` +
          'value double precision NOT NULL, labels json NOT NULL)',
      );
      await client.query(`CREATE INDEX IF NOT EXISTS ${TABLE}_name_time_idx ON ${TABLE} (name, time)`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    found = await columns();
  }
  if (found !== EXPECTED_COLUMNS) {
    throw new TradingError(
      TradingErrorCode.METRICS_STORE,
      `${where}: table ${TABLE} has columns [${found}], expected [${EXPECTED_COLUMNS}]`,
    );
  }
  const may = await client.query<{ who: string; ins: boolean; sel: boolean }>(
    "SELECT current_user AS who, has_table_privilege($1, 'INSERT') AS ins, has_table_privilege($1, 'SELECT') AS sel",
    [TABLE],
  );
  const { who, ins, sel } = may.rows[0];
  if (!ins || !sel) {
    // Refused here rather than by every COPY later (each batch failing while serve runs on).
    throw new TradingError(
      TradingErrorCode.METRICS_STORE,
      `${where}: role "${who}" may not ${[!sel && 'SELECT', !ins && 'INSERT'].filter(Boolean).join(' or ')} ` +
        `table ${TABLE} (GRANT SELECT, INSERT ON ${TABLE} TO "${who}")`,
    );
  }
}

/** count(*) of the table (a named prepared statement: parsed once per connection). */
export async function countRows(c: pg.ClientBase): Promise<number> {
  const r = await c.query<{ n: string }>({
    name: 'tickstorm_count',
    text: `SELECT count(*) AS n FROM ${TABLE}`,
  });
  return Number(r.rows[0].n);
}

/** The newest `limit` rows (optionally of one metric name), newest first (named prepared statements). */
export async function tailRows(c: pg.ClientBase, limit: number, name?: string): Promise<MetricRecord[]> {
  const n = Math.max(0, Math.floor(limit));
  const cols = `(extract(epoch FROM time) * 1000000)::int8::text AS us, name, value, labels::text AS labels FROM ${TABLE}`;
  const q =
    name === undefined
      ? { name: 'tickstorm_tail', text: `SELECT ${cols} ORDER BY time DESC LIMIT $1`, values: [n] }
      : {
          name: 'tickstorm_tail_name',
          text: `SELECT ${cols} WHERE name = $2 ORDER BY time DESC LIMIT $1`,
          values: [n, name],
        };
  const r = await c.query<{ us: string; name: string; value: number; labels: string }>(q);
  return r.rows.map((row) => ({
    time: Number(row.us) / 1000,
    name: row.name,
    value: row.value,
    labels: JSON.parse(row.labels) as MetricLabels,
  }));
}

/** A transaction's start whose lock waits give up after `lockTimeoutMs` (55P03), at least 1 ms. */
export function beginWithLockTimeout(lockTimeoutMs: number): string {
  return `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}; `;
}

/**
 * Whether a COPY could run now: the table's ROW EXCLUSIVE lock (what an INSERT takes) within
 * `lockTimeoutMs`, in a transaction rolled back. Throws as a COPY would (a lost connection, 55P03
 * for a lock held by another session); the client is then to be discarded.
 */
export async function probeWritable(c: pg.ClientBase, lockTimeoutMs: number): Promise<void> {
  await c.query(`${beginWithLockTimeout(lockTimeoutMs)}LOCK TABLE ${TABLE} IN ROW EXCLUSIVE MODE; ROLLBACK`);
}
