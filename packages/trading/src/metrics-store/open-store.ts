/**
 * The one place a metrics store is chosen: a `postgres://` (or `postgresql://`) URL opens
 * PostgreSQL (pg-store.ts), anything else is a DuckDB path (duckdb-store.ts; ':memory:'
 * allowed). Used by the system (`serve --metrics-store`, env TICKSTORM_METRICS_STORE), the
 * library (`DatabaseManager.create(url)`) and the benchmarks.
 */

import { TradingError, TradingErrorCode } from '../errors.ts';
import { DEFAULT_METRICS_PATH, DuckDbMetricsStore, type DuckDbMetricsStoreOptions } from './duckdb-store.ts';
import { isPostgresUrl, type MetricsStore, redactUrl } from './metrics-store.ts';
import { PostgresMetricsStore, type PostgresMetricsStoreOptions } from './pg-store.ts';

export interface MetricsStoreOptions {
  duckdb?: DuckDbMetricsStoreOptions;
  postgres?: PostgresMetricsStoreOptions;
}

/** Environment variable naming the store (a DuckDB path or a PostgreSQL URL) for `serve`. */
export const METRICS_STORE_ENV = 'TICKSTORM_METRICS_STORE';

/**
 * Refuses a URL of another scheme (`mysql://…`, `postgress://…`): taken as a DuckDB path, it
 * would create directories named after the URL and a store nobody asked for; and a postgres://
 * URL that does not parse (`postgres://u@host:abc/db`).
 */
export function checkMetricsStoreTarget(target: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target);
  if (scheme === null) return;
  if (isPostgresUrl(target)) {
    // What the driver would refuse at connect time (`Invalid URL`: a port that is not a
    // number, a space in the host) is a configuration error, said before anything starts.
    // As pg-connection-string, a socket URL without a host (`postgres://u@/db?host=/tmp`) passes.
    if (URL.canParse(target) || URL.canParse(target.replace('@/', '@___DUMMY___/'))) return;
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `metrics store ${redactUrl(target)} (--metrics-store, ${METRICS_STORE_ENV}) is not a valid URL: ` +
        'postgres://USER[:PASSWORD]@HOST[:PORT]/DB (the port a number)',
      'metrics-store',
    );
  }
  throw new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `metrics store ${redactUrl(target)} (--metrics-store, ${METRICS_STORE_ENV}): a ${scheme[1]}:// URL is ` +
      'neither a DuckDB file path nor a postgres:// URL',
    'metrics-store',
  );
}

export async function openMetricsStore(
  target: string = DEFAULT_METRICS_PATH,
  opts: MetricsStoreOptions = {},
): Promise<MetricsStore> {
  checkMetricsStoreTarget(target);
  return isPostgresUrl(target)
    ? PostgresMetricsStore.open(target, opts.postgres)
    : DuckDbMetricsStore.open(target, opts.duckdb);
}
