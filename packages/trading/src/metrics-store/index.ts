/**
 * `@tickstorm/trading/metrics-store`: the metrics-store library, for programs that write
 * metric records in batches without running the services.
 *
 *   const db = await DatabaseManager.create('data/metrics.duckdb');
 *   await db.initialize();
 *   await db.insertMetrics([MetricRecord.create('latency', 1.2, { service: 'api' })]);
 *   await db.close();
 */
export { DatabaseManager } from './database-manager.ts';
export { type MetricLabels, MetricRecord } from './metric-record.ts';
