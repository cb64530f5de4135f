/**
 * One rule for the metrics store's health, read by the api's /health and by a writer's
 * heartbeat: degraded while the store cannot be reached (a PostgreSQL store keeps its rows and
 * retries, so no flush fails then), while the metrics writer's flushes fail, and for a minute
 * after the last failed flush (noticed by the writer's failed-flush count moving).
 */
import type { MetricsStore } from '../metrics-store/metrics-store.ts';
import type { MetricsWriter } from '../metrics-store/metrics-writer.ts';

export class StoreFailures {
  private seen = 0;
  private lastMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly writer: MetricsWriter,
    private readonly windowMs = 60_000,
    private readonly store?: MetricsStore,
  ) {}

  /** What is wrong now; null when the store is reachable and no flush failed within the window. */
  problem(): string | null {
    const ws = this.store?.writeStats();
    if (ws?.state === 'retrying') {
      const who = this.store?.kind === 'postgres' ? 'PostgreSQL' : 'store';
      return `${who} unreachable, ${ws.bufferedRows} rows buffered, retrying: ${ws.lastError}`;
    }
    const st = this.writer.stats();
    if (st.failedFlushes !== this.seen) {
      this.seen = st.failedFlushes;
      this.lastMs = performance.now();
    }
    const ago = performance.now() - this.lastMs;
    if (ago >= this.windowMs) return null;
    return `${st.failedFlushes} metrics flush(es) failed (${st.failedRows} rows), the last ${Math.round(ago / 1000)} s ago: ${st.lastError}`;
  }
}
