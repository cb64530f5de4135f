/**
 * Stored 1-minute bars (written by ./bar-persister.ts) read back from the metrics store, for
 * the part of a data request older than the in-memory ring.
 *
 * Cheap by construction: the bars older than the ring's oldest bar cannot change while the
 * process runs (new bars are always newer; the ring only forgets its oldest bars once full,
 * and a full ring answers any valid limit by itself). So the store is asked once per symbol,
 * for the newest `capacity` stored bars older than the ring (or all stored bars when the ring
 * is empty), and later requests filter that cached answer; it is asked again only when the
 * cached answer may be incomplete for a request. Concurrent requests for a symbol whose answer
 * is not cached yet share one store read (the one under way).
 */
import { BAR_METRIC_1M } from './bar-persister.ts';
import type { BarView } from './bar-series.ts';

/** One read-only SELECT on the metrics store (MetricsStore.query fits). */
export type StoreQuery = (sql: string) => Promise<Record<string, unknown>[]>;

/** The SQL dialect of the store behind the query (metrics-store.ts: MetricsStoreKind). */
export type BarSqlDialect = 'duckdb' | 'postgres';

interface Cached {
  /** Exclusive upper bound (epoch s) the cached bars were read below. */
  before: number;
  /** Oldest first. */
  bars: BarView[];
  /** The query hit its LIMIT: older bars may exist. */
  truncated: boolean;
}

export class BarHistory {
  private readonly cache = new Map<string, Cached>();
  /** The store read under way per symbol: concurrent cold requests share it. */
  private readonly loading = new Map<string, Promise<Cached>>();
  /** Store queries made (for tests and /health curiosity). */
  queries = 0;

  constructor(
    private readonly query: StoreQuery,
    /** Most bars read per symbol (the 1m ring capacity). */
    private readonly capacity: number,
    private readonly dialect: BarSqlDialect = 'duckdb',
  ) {}

  /** The newest `count` stored bars of `symbol` that start before `before` (epoch s), oldest first. */
  async before(symbol: string, before: number, count: number): Promise<BarView[]> {
    if (count <= 0) return [];
    let c = this.cache.get(symbol);
    if (!answers(c, before, count)) {
      // A read already under way usually answers this request too (same ring, same bound).
      const pending = this.loading.get(symbol);
      if (pending !== undefined) c = await pending;
      if (!answers(c, before, count)) c = await this.read(symbol, before, Math.max(count, this.capacity));
    }
    const older = c!.bars.filter((b) => b.time < before);
    return older.slice(Math.max(0, older.length - count));
  }

  /** One store read, shared with whoever asks for the symbol while it runs; cached when done. */
  private read(symbol: string, before: number, limit: number): Promise<Cached> {
    const p = this.load(symbol, before, limit);
    this.loading.set(symbol, p);
    const done = () => {
      if (this.loading.get(symbol) === p) this.loading.delete(symbol);
    };
    p.then((c) => {
      this.cache.set(symbol, c);
      done();
    }, done);
    return p;
  }

  private async load(symbol: string, before: number, limit: number): Promise<Cached> {
    this.queries++;
    const rows = await this.query(barSql(this.dialect, symbol, before, Math.floor(limit)));
    const bars = rows
      .map(
        (r): BarView => ({
          time: Number(r.t) / 1000,
          open: Number(r.o),
          high: Number(r.h),
          low: Number(r.l),
          close: Number(r.c),
          volume: Number(r.v),
          ticks: Number(r.n),
        }),
      )
      .reverse();
    return { before, bars, truncated: rows.length >= limit };
  }
}

/** Whether a cached read answers a request (see the file comment). */
function answers(c: Cached | undefined, before: number, count: number): c is Cached {
  return (
    c !== undefined &&
    before <= c.before &&
    (!c.truncated || c.bars.filter((b) => b.time < before).length >= count)
  );
}

/**
 * One row per bar start, newest first. A minute stored twice (a restart inside it: the first
 * run wrote its part at shutdown, the second its own) keeps the copy with the most ticks,
 * then the one written last: DuckDB's highest rowid, PostgreSQL's highest ctid (its heap
 * position: the later append, as nothing updates or deletes these rows).
 */
function barSql(dialect: BarSqlDialect, symbol: string, before: number, limit: number): string {
  const sym = symbol.replace(/'/g, "''");
  const us = Math.round(before * 1e6);
  const cols =
    "value AS c, labels->>'open' AS o, labels->>'high' AS h, labels->>'low' AS l, " +
    "labels->>'volume' AS v, labels->>'ticks' AS n";
  const where = `name = '${BAR_METRIC_1M}' AND (labels->>'symbol') = '${sym}'`;
  if (dialect === 'postgres') {
    const bound = Number.isFinite(before) ? `AND time < to_timestamp(${us}::float8 / 1000000)` : '';
    const ticks = "CASE WHEN labels->>'ticks' ~ '^-?[0-9]{1,18}$' THEN (labels->>'ticks')::bigint END";
    return (
      `SELECT t, c, o, h, l, v, n FROM (SELECT (extract(epoch FROM time) * 1000)::float8 AS t, ${cols}, ` +
      `row_number() OVER (PARTITION BY time ORDER BY ${ticks} DESC NULLS LAST, ctid DESC) AS rn ` +
      `FROM trading_metrics WHERE ${where} ${bound}) AS b WHERE rn = 1 ORDER BY t DESC LIMIT ${limit}`
    );
  }
  const bound = Number.isFinite(before) ? `AND time < make_timestamp(${us}::BIGINT)` : '';
  return (
    `SELECT epoch_ms(time) AS t, ${cols} FROM trading_metrics WHERE ${where} ${bound} ` +
    `QUALIFY row_number() OVER (PARTITION BY time ORDER BY TRY_CAST(labels->>'ticks' AS BIGINT) ` +
    `DESC NULLS LAST, rowid DESC) = 1 ORDER BY time DESC LIMIT ${limit}`
  );
}
