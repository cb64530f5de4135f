/**
 * `/api/metrics/database`: rows in `trading_metrics` (counted at open, then by own commits; on
 * PostgreSQL, where other processes write too, counted again by `countedDatabaseStats`), and the insert figures of both writers into it: `POST /api/metrics`
 * batches (insertsPerSecond, batchInsertLatencyMs) and the system's own metrics writer
 * (`writer`). A PostgreSQL store buffers and retries inside itself: its rows count as
 * pending, its drops as dropped. A PostgreSQL store not reached since the start (`serve`
 * during an outage) has no count: `/api/metrics/database` is then 503.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { MetricsStore } from '../metrics-store/metrics-store.ts';
import type { MetricsWriter } from '../metrics-store/metrics-writer.ts';
import type { LatencyHistogram } from '../stats/latency-histogram.ts';
import type { RateMeter } from '../stats/rate-meter.ts';
import type { DatabaseStats } from '../stats/stats-types.ts';

export function databaseStats(
  store: MetricsStore,
  w: MetricsWriter,
  ingest: { rate: RateMeter; latency: LatencyHistogram },
): DatabaseStats {
  const s = w.stats();
  const ws = store.writeStats();
  const us = s.batchLatencyUs;
  const ms = (x: number) => Math.round(x) / 1000;
  return {
    path: store.path,
    rows: store.rowCount(),
    insertsPerSecond: ingest.rate.perSecond() + s.rowsPerSec,
    batchInsertLatencyMs: ingest.latency.summaryMs(),
    pending: s.pending + ws.bufferedRows,
    dropped: s.dropped + ws.droppedRows,
    failedRows: s.failedRows,
    failedFlushes: s.failedFlushes,
    lastError: s.lastError,
    writer: {
      rowsWritten: s.rowsWritten,
      rowsPerSecond: s.rowsPerSec,
      flushLatencyMs: {
        count: us.count,
        mean: ms(us.mean),
        p50: ms(us.p50),
        p95: ms(us.p95),
        p99: ms(us.p99),
        max: ms(us.max),
      },
    },
  };
}

/**
 * `databaseStats` once the table's row count is refreshed: `fresh` counts now (waiting up to
 * 2 s), else a count up to 1 s old is reused (waiting up to 250 ms: /health and /metrics call
 * this often). A count that is late or fails leaves the previous one (plus own commits).
 */
export async function countedDatabaseStats(
  store: MetricsStore,
  w: MetricsWriter,
  ingest: { rate: RateMeter; latency: LatencyHistogram },
  fresh = false,
): Promise<DatabaseStats> {
  const ws = store.writeStats();
  if (fresh && ws.reached === false) {
    // PostgreSQL not reached since start: no count to give, not a 0 that reads as an empty table
    throw new TradingError(
      TradingErrorCode.SERVICE_UNAVAILABLE,
      `metrics store ${store.path} not reached since start (${ws.lastError}): its rows are unknown, retry later`,
    );
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    store.refreshRowCount(fresh ? 0 : 1000).catch(() => 0),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, fresh ? 2000 : 250);
    }),
  ]);
  clearTimeout(timer);
  return databaseStats(store, w, ingest);
}
