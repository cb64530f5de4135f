/**
 * The JSON shapes of the api's /api/metrics/* endpoints. Every service fills its own
 * section; the api only reads them (and Prometheus exposition is derived from the same).
 */
import type { DatabaseStats, MarketDataStats, OrderStats, SystemStats } from '@tickstorm/protocol';

export type {
  DatabaseStats,
  LatencySummary,
  MarketDataStats,
  OrderStats,
  SystemStats,
} from '@tickstorm/protocol';

/** Where the api reads each section; a section a process does not run is absent. */
export interface StatsProviders {
  marketData?: () => MarketDataStats;
  orders?: () => OrderStats;
  /** `fresh`: count the table now (PostgreSQL, other writers) rather than reuse a count up to 1 s old. */
  database?: (o?: { fresh?: boolean }) => DatabaseStats | Promise<DatabaseStats>;
  system: () => SystemStats;
}
