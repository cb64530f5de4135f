/**
 * The system writes its own metrics into the store: every interval, one row per figure
 * (labels name the service), so `SELECT * FROM trading_metrics` shows how the system ran.
 */
import type { StatsProviders } from '../stats/stats-types.ts';

/** The MetricsWriter, or a process's row forwarder (cluster/metric-rows.ts). */
export interface MetricRowSink {
  record(name: string, value: number, labels?: Readonly<Record<string, string>>): unknown;
}

export function startSelfMetrics(
  writer: MetricRowSink,
  providers: Partial<StatsProviders>,
  intervalMs: number,
): () => void {
  const md = { service: 'market-data' };
  const ex = { service: 'execution-engine' };
  const sys = { service: 'tickstorm', pid: String(process.pid) };
  const timer = setInterval(() => {
    if (providers.marketData !== undefined) {
      const s = providers.marketData();
      writer.record('market_data.ticks_per_second', s.ticksPerSecond, md);
      writer.record('market_data.ticks_processed', s.ticksProcessed, md);
      writer.record('market_data.ticks_rejected', s.ticksRejected, md);
      writer.record('market_data.processing_latency_p99_ms', s.processingLatencyMs.p99, md);
    }
    if (providers.orders !== undefined) {
      const s = providers.orders();
      writer.record('orders.per_second', s.ordersPerSecond, ex);
      writer.record('orders.accepted', s.ordersAccepted, ex);
      writer.record('orders.rejected', s.ordersRejected, ex);
      writer.record('orders.latency_p99_ms', s.latencyMs.p99, ex);
      writer.record('orders.live', s.liveOrders, ex);
    }
    if (providers.system !== undefined) {
      const s = providers.system();
      writer.record('system.cpu_percent', s.cpuPercent, sys);
      writer.record('system.rss_bytes', s.rssBytes, sys);
      writer.record('system.heap_used_bytes', s.heapUsedBytes, sys);
      writer.record('system.event_loop_lag_p99_ms', s.eventLoopLagMs.p99, sys);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
