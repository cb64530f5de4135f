/**
 * The JSON shapes of the api's /api/metrics/* endpoints. Every service fills its own
 * section; the api only reads them (and Prometheus exposition is derived from the same).
 */
import type { LatencySummary } from './latency-recorder.ts';

export type { LatencySummary };

export interface MarketDataStats {
  ticksReceived: number;
  ticksProcessed: number;
  ticksRejected: number;
  rejectedByReason: Record<string, number>;
  framesReceived: number;
  ticksPerSecond: number;
  connections: number;
  symbols: number;
  /** Frame received -> ticks applied and published, server side. */
  processingLatencyMs: LatencySummary;
}

export interface OrderStats {
  ordersReceived: number;
  ordersAccepted: number;
  ordersRejected: number;
  rejectedByReason: Record<string, number>;
  ordersFilled: number;
  ordersCancelled: number;
  trades: number;
  ordersPerSecond: number;
  liveOrders: number;
  /** Request received -> response ready, server side. */
  latencyMs: LatencySummary;
}

export interface DatabaseStats {
  path: string;
  rows: number;
  insertsPerSecond: number;
  batchInsertLatencyMs: LatencySummary;
  pending: number;
  dropped: number;
  /** The system's own metrics writer (flushes in the background). */
  writer?: { rowsWritten: number; rowsPerSecond: number; flushLatencyMs: LatencySummary };
}

export interface SystemStats {
  pid: number;
  uptimeSeconds: number;
  cpuPercent: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  eventLoopLagMs: { mean: number; p50: number; p99: number; max: number };
  eventLoopUtilization: number;
}

/** Where the api reads each section; a section a process does not run is absent. */
export interface StatsProviders {
  marketData?: () => MarketDataStats;
  orders?: () => OrderStats;
  database?: () => DatabaseStats | Promise<DatabaseStats>;
  system: () => SystemStats;
}
