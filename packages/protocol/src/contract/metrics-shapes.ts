/**
 * The JSON shapes of the api's `/api/metrics/*` endpoints (and of market data's and the
 * execution engine's `/stats`). The trading system fills them; the load lab reads them to
 * prove what the server saw. Latencies are milliseconds.
 */

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** `GET /api/metrics/market-data`, market data's `GET /stats`. */
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

/** `GET /api/metrics/orders`, the execution engine's `GET /stats`. */
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

/** `GET /api/metrics/database`. */
export interface DatabaseStats {
  path: string;
  rows: number;
  insertsPerSecond: number;
  batchInsertLatencyMs: LatencySummary;
  pending: number;
  dropped: number;
  /** Rows lost in failed batch inserts, the failed inserts, and the last store error (null = none). */
  failedRows?: number;
  failedFlushes?: number;
  lastError?: string | null;
  /** The system's own metrics writer (flushes in the background). */
  writer?: { rowsWritten: number; rowsPerSecond: number; flushLatencyMs: LatencySummary };
}

/** `GET /api/metrics/system`: the process serving the api. */
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
