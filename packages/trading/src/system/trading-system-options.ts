/**
 * What a TradingSystem is started with (TradingSystem.start): the services, bus, journals,
 * metrics store, limits and guards of one process. The CLI's `serve` and the tests build it.
 */
import type { InstrumentSpec, OffTickPrices } from '@tickstorm/protocol';
import type { SecurityOptions } from '../auth/request-auth.ts';
import type { ServiceConfig, ServiceName } from '../config/service-config.ts';
import type { LoadShedOptions } from '../guards/load-shed.ts';
import type { MemoryGuardOptions } from '../guards/memory-guard.ts';
import type { QueryGuardOptions } from '../guards/query-guard.ts';
import type { HttpLimits } from '../http/http-limits.ts';
import type { MetricsStoreOptions } from '../metrics-store/open-store.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import type { ApiAgentOptions } from '../workflow/mount-agents.ts';
import type { Durability } from './trading-core.ts';

export interface TradingSystemOptions {
  config: ServiceConfig;
  /** Services to run in this process (default: all four). */
  services?: readonly ServiceName[];
  /**
   * The bus: absent = in-process (every service of the system in this process); `nats://HOST:PORT`
   * = NATS, where the other services run in other processes (docs/deployment.md).
   */
  bus?: string;
  /**
   * The symbols this process's execution engine owns (`--symbols`; default all). Several
   * engine processes on one bus partition the symbols; orders for others are routed to their owner.
   */
  symbols?: readonly string[];
  instruments?: readonly InstrumentSpec[];
  /** Order prices off the tick grid, for instruments that name no mode (default `round`). */
  offTickPrices?: OffTickPrices;
  riskLimits?: RiskLimits;
  shards?: number;
  inputLog?: boolean;
  /** Journal durability (default 'fsync': group-committed fdatasync before each acknowledgement). */
  durability?: Durability;
  /** Move the data directory's journals and snapshots aside and start empty. */
  fresh?: boolean;
  /** Snapshot interval (default 60,000 ms; 0 = only at close). */
  snapshotIntervalMs?: number;
  /** Snapshots kept (default 2). */
  retainSnapshots?: number;
  /** Recovery and journal reports (default console.log). */
  report?: (line: string) => void;
  /**
   * A NATS bus: this process's role lease (cluster/role-lease.ts) was taken over by another
   * process while it was stalled or cut off (TRD_ERR_SERVICE_IN_USE). Default: the system closes
   * itself; `serve` exits 1.
   */
  onLeaseLost?: (err: Error) => void;
  /** A warning at start (a bus without JetStream: no role lease). Default: `report`, else stdout. */
  onWarning?: (line: string) => void;
  /**
   * The metrics store: a DuckDB file (default `<dataDir>/metrics.duckdb`; ':memory:' allowed),
   * owned by the api's process, or a `postgres://USER@HOST:PORT/DB` URL (any number of
   * processes may write to it). docs/metrics-store.md.
   */
  metricsPath?: string;
  /** Store options (PostgreSQL: buffer bound, retry backoff, pool size). */
  metricsStore?: MetricsStoreOptions;
  /** Orders in flight beyond which the execution engine answers 503 (ABC_MAX_CONCURRENT_REQUESTS). */
  maxInFlight?: number;
  selfMetricsIntervalMs?: number;
  /** Agent-endpoint requests in flight on the api before 503 (ABC_MAX_CONCURRENT_REQUESTS; default 1,000). */
  apiMaxInFlight?: number;
  /** ABC_MEMORY_LIMIT in bytes: the api sheds load above 90% of it, until RSS is under 80%. */
  memoryLimitBytes?: number;
  /** Memory guard details (tests: a fake RSS reader, `intervalMs: 0`). */
  memoryGuard?: Partial<MemoryGuardOptions>;
  /** ABC_PERFORMANCE_MODE (docs/agent-endpoints.md). */
  performanceMode?: boolean;
  /** Agent endpoint overrides: injected steps, step timeout. */
  agents?: Omit<ApiAgentOptions, 'deps' | 'maxConcurrentRequests'>;
  /**
   * market-data: how far ahead of this server's clock a tick timestamp may be (ms, default
   * 10,000; 0 = not checked); beyond it PRT_ERR_TIMESTAMP_AHEAD (docs/market-data-protocol.md).
   */
  maxTickAheadMs?: number;
  /** How often closed 1m bars are persisted (default 1,000 ms; 0 = only at close). */
  barPersistMs?: number;
  /** Keys (signed requests) or protected mode, for every service (docs/security.md). */
  security?: SecurityOptions;
  /** Timeouts and connection caps of every service (http/http-limits.ts). */
  limits?: Partial<HttpLimits>;
  /** GET /api/metrics/query's limits (guards/query-guard.ts). */
  queryLimits?: Partial<QueryGuardOptions>;
  /**
   * A file store's query process (guards/query-process.ts): started with the store (default),
   * or at the first query (tests: a system never queried forks nothing).
   */
  queryProcessStart?: 'with-store' | 'first-query';
  /** POST /api/metrics: rows waiting for the store before 503 (default 1,000,000). */
  ingestMaxPendingRows?: number;
  /** POST /orders overload shedding on event-loop lag (guards/load-shed.ts; `serve` turns it on); absent/false = off. */
  loadShed?: Partial<LoadShedOptions> | false;
}
