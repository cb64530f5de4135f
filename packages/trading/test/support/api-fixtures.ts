/**
 * Inputs for the api tests: stats sections as the other services provide them (plain
 * values behind provider functions: that is the providers' real interface), a metrics
 * ingest sink that validates with the store's own parseMetricBatch and keeps the records,
 * and MarketUpdates as market-data publishes them.
 */
import type { MetricsIngestSink } from '../../src/api/metrics-routes.ts';
import type { MarketUpdate } from '../../src/bus/topics.ts';
import { type MetricRecord, parseMetricBatch } from '../../src/metrics-store/metric-record.ts';
import type {
  DatabaseStats,
  LatencySummary,
  MarketDataStats,
  OrderStats,
} from '../../src/stats/stats-types.ts';

const lat = (p50: number): LatencySummary => ({
  count: 1000,
  mean: p50,
  p50,
  p95: p50 * 2,
  p99: p50 * 3,
  max: p50 * 10,
});

export function marketDataStats(): MarketDataStats {
  return {
    ticksReceived: 1_000_000,
    ticksProcessed: 999_990,
    ticksRejected: 10,
    rejectedByReason: { PRT_ERR_UNKNOWN_SYMBOL: 7, PRT_ERR_NOT_FINITE: 3 },
    framesReceived: 20_000,
    ticksPerSecond: 100_000,
    connections: 50,
    symbols: 50,
    processingLatencyMs: lat(0.05),
  };
}

export function orderStats(): OrderStats {
  return {
    ordersReceived: 6000,
    ordersAccepted: 5990,
    ordersRejected: 10,
    rejectedByReason: { max_quantity: 10 },
    ordersFilled: 3000,
    ordersCancelled: 100,
    trades: 4200,
    ordersPerSecond: 1000,
    liveOrders: 2890,
    latencyMs: lat(0.2),
  };
}

export function databaseStats(): DatabaseStats {
  return {
    path: ':memory:',
    rows: 600_000,
    insertsPerSecond: 10_000,
    batchInsertLatencyMs: lat(4),
    pending: 0,
    dropped: 0,
  };
}

/** The real validation of the store, records kept in memory. */
export function recordingSink(): MetricsIngestSink & { records: MetricRecord[] } {
  const records: MetricRecord[] = [];
  return {
    records,
    async ingest(batch: unknown) {
      const parsed = parseMetricBatch(batch);
      records.push(...parsed);
      return { accepted: parsed.length };
    },
  };
}

export const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);
export const isKnownSymbol = (s: string): boolean => SYMBOLS.includes(s);

/** A MarketUpdate as market-data publishes it, stamped now (epoch seconds). */
export function marketUpdate(symbol: string, last: number, ticks = 1): MarketUpdate {
  return {
    symbol,
    book: Number(symbol.slice(3)),
    last,
    lastTicks: Math.round(last * 100),
    bid: Math.round((last - 0.01) * 100) / 100,
    ask: Math.round((last + 0.01) * 100) / 100,
    volume: 1000 * ticks,
    vwap: last,
    ticks,
    timestamp: (performance.timeOrigin + performance.now()) / 1000,
  };
}
