/**
 * `@tickstorm/trading/metrics-store`: the metrics-store library, for programs that write
 * metric records in batches without running the services.
 *
 *   const db = await DatabaseManager.create('data/metrics.duckdb'); // or a postgres:// URL
 *   await db.initialize();
 *   await db.insertMetrics([MetricRecord.create('latency', 1.2, { service: 'api' })]);
 *   await db.close();
 */
export { DatabaseManager } from './database-manager.ts';
export { type MetricLabels, MetricRecord } from './metric-record.ts';
export type { MetricsStore, MetricsStoreKind, QueryResult } from './metrics-store.ts';
export { isPostgresUrl } from './metrics-store.ts';
export {
  checkMetricsStoreTarget,
  METRICS_STORE_ENV,
  type MetricsStoreOptions,
  openMetricsStore,
} from './open-store.ts';
export type { PgStateChange } from './pg-store.ts';
