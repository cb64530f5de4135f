/**
 * What a TradingSystem registers for its process's Prometheus exposition (every service
 * port's `/metrics`, api/process-metrics.ts): the sections of the services it runs and
 * their latency histograms, in seconds. Returns the function that unregisters them.
 */
import type { ApiService } from '../api/api-server.ts';
import { trackHistograms, trackSections } from '../api/process-metrics.ts';
import type { MarketDataService } from '../market-data/ingest-server.ts';
import type { MetricsWriter } from '../metrics-store/metrics-writer.ts';
import type { LatencyHistogram } from '../stats/latency-histogram.ts';
import type { DatabaseStats } from '../stats/stats-types.ts';
import type { TradingCore } from './trading-core.ts';

export interface ProcessMetricsParts {
  marketData: MarketDataService | null;
  /** The trading core, when this process runs the execution engine. */
  orders: TradingCore | null;
  api: ApiService | null;
  writer: MetricsWriter | null;
  database?: () => Promise<DatabaseStats>;
  /** POST /api/metrics batch inserts. */
  ingestLatency: LatencyHistogram;
  /** The shared metrics file held per copy (metrics-store/shared-file-replica.ts). */
  replicaHold?: LatencyHistogram;
}

export function trackProcessMetrics(p: ProcessMetricsParts): () => void {
  const md = p.marketData;
  const core = p.orders;
  const api = p.api;
  const untrackSections = trackSections({
    marketData: md === null ? undefined : () => md.stats(),
    orders: core === null ? undefined : () => core.counters.stats(core.liveOrders()),
    orderOutcomes: core?.counters.outcomes,
    database: p.database,
    hub: api === null ? undefined : () => api.hub.stats(),
  });
  const hs = [];
  if (md !== null) {
    hs.push({
      name: 'tickstorm_market_data_processing_seconds',
      help: 'Ingest frame received -> market update published',
      hist: md.latency,
    });
  }
  if (core !== null) {
    hs.push({
      name: 'tickstorm_order_latency_seconds',
      help: 'POST /orders received -> answered (server side)',
      hist: core.counters.latency,
    });
  }
  if (api !== null) {
    hs.push({
      name: 'tickstorm_ws_fanout_latency_seconds',
      help: 'Market update published -> written to every /ws/metrics subscriber',
      hist: api.hub.fanoutLatency,
    });
    hs.push({
      name: 'tickstorm_database_batch_insert_seconds',
      help: 'POST /api/metrics batch insert into the metrics store',
      hist: p.ingestLatency,
    });
  }
  if (p.writer !== null) {
    hs.push({
      name: 'tickstorm_database_flush_seconds',
      help: "The system metrics writer's flush into the metrics store",
      hist: p.writer.flushLatency,
    });
  }
  if (p.replicaHold !== undefined) {
    hs.push({
      name: 'tickstorm_database_replica_hold_seconds',
      help: 'The shared metrics file held to copy new rows into it (other processes wait meanwhile)',
      hist: p.replicaHold,
    });
  }
  const untrackHistograms = trackHistograms(...hs);
  return () => {
    untrackSections();
    untrackHistograms();
  };
}
