/**
 * Query results as plain, JSON-friendly rows, and the store's error wrapping.
 */
import type { DuckDBResultReader } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import { TradingError, TradingErrorCode } from '../errors.ts';

export type PlainRow = Record<string, unknown>;

/** Rows as objects: BIGINT -> number (a string beyond 2^53), MAP -> object; Dates stay Dates. */
export function toPlainRows(reader: DuckDBResultReader): PlainRow[] {
  const names = reader.columnNames();
  const isMap = reader.columnTypes().map((t) => t.typeId === DuckDBTypeId.MAP);
  return reader.getRowsJS().map((row) => {
    const out: PlainRow = {};
    for (let c = 0; c < names.length; c++) out[names[c]] = plain(row[c], isMap[c]);
    return out;
  });
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

/** A DuckDB failure as a coded TradingError (a lock conflict points at the one-writer rule). */
export function storeError(
  what: string,
  err: unknown,
  code: TradingErrorCode = TradingErrorCode.METRICS_STORE,
): TradingError {
  if (err instanceof TradingError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const hint = /lock/i.test(msg) ? ' (one writer process per DuckDB file: see docs/metrics-store.md)' : '';
  return new TradingError(code, `${what}: ${msg}${hint}`);
}
