/**
 * The one place a metrics store is chosen: a `postgres://` (or `postgresql://`) URL opens
 * PostgreSQL (pg-store.ts), anything else is a DuckDB path (duckdb-store.ts; ':memory:'
 * allowed). Used by the system (`serve --metrics-store`, env TICKSTORM_METRICS_STORE), the
 * library (`DatabaseManager.create(url)`) and the benchmarks.
 */
import { DEFAULT_METRICS_PATH, DuckDbMetricsStore, type DuckDbMetricsStoreOptions } from './duckdb-store.ts';
import { isPostgresUrl, type MetricsStore } from './metrics-store.ts';
import { PostgresMetricsStore, type PostgresMetricsStoreOptions } from './pg-store.ts';

export interface MetricsStoreOptions {
  duckdb?: DuckDbMetricsStoreOptions;
  postgres?: PostgresMetricsStoreOptions;
}

/** Environment variable naming the store (a DuckDB path or a PostgreSQL URL) for `serve`. */
export const METRICS_STORE_ENV = 'TICKSTORM_METRICS_STORE';

export function openMetricsStore(
  target: string = DEFAULT_METRICS_PATH,
  opts: MetricsStoreOptions = {},
): Promise<MetricsStore> {
  return isPostgresUrl(target)
    ? PostgresMetricsStore.open(target, opts.postgres)
    : DuckDbMetricsStore.open(target, opts.duckdb);
}
