/**
 * The composition root: starts the requested services in this process on one bus and
 * wires them: market data's last prices feed the matching engines' stops and the risk
 * bands; every service's statistics feed the api; the system writes its own metrics into
 * the metrics store (DuckDB, or PostgreSQL) every second; closed 1-minute bars are persisted into the store and the
 * api's agent endpoints read market data, the store and the trading core of this process
 * (docs/agent-endpoints.md). `close()` shuts down gracefully: servers stop accepting
 * and answer what is in flight, logs are flushed, bars and metrics written, DuckDB closed.
 */
import { join } from 'node:path';
import { type InstrumentSpec, InstrumentTable, type OffTickPrices } from '@tickstorm/protocol';
import { type ApiService, startApiService } from '../api/api-server.ts';
import type { SecurityOptions } from '../auth/request-auth.ts';
import { type Bus, InProcessBus } from '../bus/bus.ts';
import { openBus } from '../bus/nats-bus.ts';
import { type MarketUpdate, Topic } from '../bus/topics.ts';
import { serveOrderRoutes } from '../cluster/order-route-server.ts';
import { OrderRouting } from '../cluster/order-routing.ts';
import { Partition } from '../cluster/partition.ts';
import { checkPartitionDir } from '../cluster/partition-dir.ts';
import { RemoteRiskClient } from '../cluster/remote-risk-client.ts';
import { RiskEventPublisher } from '../cluster/risk-event-publisher.ts';
import { RiskNode } from '../cluster/risk-node.ts';
import type { ServiceConfig, ServiceName } from '../config/service-config.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { InFlightLimiter } from '../guards/admission.ts';
import { IngestBound } from '../guards/ingest-bound.ts';
import { LoadShed, type LoadShedOptions } from '../guards/load-shed.ts';
import type { MemoryGuardOptions } from '../guards/memory-guard.ts';
import {
  concurrencyLimit,
  QUERY_GUARD_DEFAULTS,
  QueryGuard,
  type QueryGuardOptions,
} from '../guards/query-guard.ts';
import type { ServiceHandle } from '../http/http-app.ts';
import type { HttpLimits } from '../http/http-limits.ts';
import { BarHistory } from '../market-data/bar-history.ts';
import { BarPersister } from '../market-data/bar-persister.ts';
import { type MarketDataService, startMarketDataService } from '../market-data/ingest-server.ts';
import { DuckDbMetricsStore } from '../metrics-store/duckdb-store.ts';
import { parseMetricBatch } from '../metrics-store/metric-record.ts';
import type { MetricsStore } from '../metrics-store/metrics-store.ts';
import { MetricsWriter } from '../metrics-store/metrics-writer.ts';
import { type MetricsStoreOptions, openMetricsStore } from '../metrics-store/open-store.ts';
import { startExecutionEngineService } from '../orders/execution-engine-service.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import { startRiskManagerService } from '../risk/risk-manager-service.ts';
import { LatencyHistogram } from '../stats/latency-histogram.ts';
import { RateMeter } from '../stats/rate-meter.ts';
import type { DatabaseStats, StatsProviders } from '../stats/stats-types.ts';
import type { ApiAgentOptions } from '../workflow/mount-agents.ts';
import { LastPriceFeed } from './last-price-feed.ts';
import { trackProcessMetrics } from './process-metrics-wiring.ts';
import { startSelfMetrics } from './self-metrics.ts';
import { type Durability, TradingCore } from './trading-core.ts';

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
  /** How often closed 1m bars are persisted (default 1,000 ms; 0 = only at close). */
  barPersistMs?: number;
  /** Keys (signed requests) or protected mode, for every service (docs/security.md). */
  security?: SecurityOptions;
  /** Timeouts and connection caps of every service (http/http-limits.ts). */
  limits?: Partial<HttpLimits>;
  /** GET /api/metrics/query's limits (guards/query-guard.ts). */
  queryLimits?: Partial<QueryGuardOptions>;
  /** POST /api/metrics: rows waiting for the store before 503 (default 1,000,000). */
  ingestMaxPendingRows?: number;
  /** POST /orders overload shedding on event-loop lag (guards/load-shed.ts; `serve` turns it on); absent/false = off. */
  loadShed?: Partial<LoadShedOptions> | false;
}

export const ALL_SERVICES: readonly ServiceName[] = [
  'market-data',
  'execution-engine',
  'risk-manager',
  'api',
];

export class TradingSystem {
  readonly handles: Partial<Record<ServiceName, ServiceHandle>> = {};
  /** In-process until start() opens the configured one. */
  bus: Bus = new InProcessBus();
  readonly instruments: InstrumentTable;
  core: TradingCore | null = null;
  /** The central risk manager (risk-manager on a NATS bus; docs/deployment.md, "Risk across processes"). */
  riskNode: RiskNode | null = null;
  /** The execution engine's remote check (execution-engine on a NATS bus). */
  remoteRisk: RemoteRiskClient | null = null;
  marketData: MarketDataService | null = null;
  api: ApiService | null = null;
  metrics: MetricsWriter | null = null;
  store: MetricsStore | null = null;
  /** GET /api/metrics/query on a DuckDB store (guards/query-guard.ts). */
  queryGuard: QueryGuard | null = null;
  loadShed: LoadShed | null = null;
  readonly ingestBound: IngestBound;
  /** The symbols this process's execution engine owns (`symbols`); null = all, untagged ids. */
  readonly partition: Partition | null;
  routing: OrderRouting | null = null;
  /** GET /api/metrics/query on a PostgreSQL store: the store's own limits, at most 2 at once. */
  private readonly pgQueries = concurrencyLimit(new InFlightLimiter(QUERY_GUARD_DEFAULTS.maxConcurrent));
  /** POST /api/metrics batches: latency and rows per second. */
  private readonly ingestLatency = new LatencyHistogram();
  private readonly ingestRate = new RateMeter();
  private readonly stoppers: (() => void | Promise<void>)[] = [];
  private closing: Promise<void> | null = null;

  private constructor(readonly o: TradingSystemOptions) {
    this.instruments = new InstrumentTable(o.instruments, { offTickPrices: o.offTickPrices });
    this.ingestBound = new IngestBound(o.ingestMaxPendingRows);
    this.partition = o.symbols === undefined ? null : Partition.of(this.instruments, o.symbols);
  }

  static async start(o: TradingSystemOptions): Promise<TradingSystem> {
    const sys = new TradingSystem(o);
    const engine = (o.services ?? ALL_SERVICES).includes('execution-engine');
    if (sys.partition !== null && !engine) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        '--symbols partitions the execution engine: serve execution-engine with it',
        'symbols',
      );
    }
    try {
      await sys.startAll();
    } catch (err) {
      await sys.close();
      throw err;
    }
    return sys;
  }

  url(service: ServiceName): string {
    const h = this.handles[service];
    if (h === undefined) throw new Error(`${service} is not running in this process`);
    return h.url;
  }

  private async startAll(): Promise<void> {
    const o = this.o;
    const want = new Set(o.services ?? ALL_SERVICES);
    if (o.bus !== undefined) this.bus = await openBus(o.bus);
    const { host, ports, dataDir } = o.config;
    if (want.has('api')) {
      this.store = await openMetricsStore(o.metricsPath ?? join(dataDir, 'metrics.duckdb'), o.metricsStore);
      this.metrics = new MetricsWriter(this.store);
      const store = this.store;
      if (store instanceof DuckDbMetricsStore) {
        const guard = await QueryGuard.open(() => store.connect(), o.queryLimits);
        this.queryGuard = guard;
        this.stoppers.push(() => guard.close());
      }
    }
    // On a NATS bus, pre-trade risk is central: the risk-manager's process runs the risk node
    // (started first, so that an engine in the same process finds it), and every engine
    // process (that one included) checks there and publishes its book events.
    const split = this.bus.kind === 'nats';
    if (split && want.has('risk-manager')) {
      this.riskNode = await RiskNode.start({
        bus: this.bus,
        instruments: this.instruments,
        dataDir,
        limits: o.riskLimits,
        accounts: o.security?.keys?.accounts(),
        report: o.report,
      });
      const node = this.riskNode;
      this.stoppers.push(() => node.close());
    }
    let events: RiskEventPublisher | null = null;
    if (split && want.has('execution-engine')) {
      events = new RiskEventPublisher(this.bus);
      this.remoteRisk = new RemoteRiskClient(this.bus, events);
    }
    if (want.has('execution-engine') || (want.has('risk-manager') && !split)) {
      this.core = new TradingCore({
        instruments: this.instruments,
        dataDir,
        shards: o.shards,
        inputLog: o.inputLog,
        riskLimits: o.riskLimits,
        maxInFlight: o.maxInFlight,
        accounts: o.security?.keys?.accounts(),
        durability: o.durability,
        fresh: o.fresh,
        snapshotIntervalMs: o.snapshotIntervalMs,
        retainSnapshots: o.retainSnapshots,
        report: o.report,
        remoteRisk: this.remoteRisk ?? undefined,
        listeners: events === null ? undefined : [events],
        idTag: this.partition?.tag,
      });
      if (events !== null) {
        const publisher = events;
        publisher.start(this.core.risk);
        this.stoppers.push(() => publisher.stop());
      }
      if (this.partition !== null && o.inputLog !== false) {
        checkPartitionDir(
          dataDir,
          this.partition,
          this.core.store,
          o.report ?? ((line) => console.log(line)),
        );
      }
      // A partition applies (and journals) the last prices of its own books only; the risk
      // manager of this process, if any, still takes every symbol's reference price.
      const partition = this.partition;
      const riskHere = want.has('risk-manager');
      const feed = new LastPriceFeed(this.instruments.size, (book, ticks) => {
        if (partition === null || partition.owns(book)) this.core?.setLastPrice(book, ticks);
        else if (riskHere) this.core?.risk.setReferencePrice(book, ticks);
      });
      this.stoppers.push(
        this.bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, (u) => feed.push(u.book, u.lastTicks)),
      );
      this.stoppers.push(() => feed.stop());
    }
    const core = this.core;
    if (want.has('market-data')) {
      this.marketData = await startMarketDataService({
        instruments: this.instruments,
        bus: this.bus,
        metrics: this.metrics ?? undefined,
        host,
        port: ports['market-data'],
        security: o.security,
        limits: o.limits,
      });
      this.handles['market-data'] = this.marketData;
    }
    if (core !== null && want.has('execution-engine')) {
      const partition = this.partition;
      if (partition !== null) {
        const bus = this.bus;
        this.routing = new OrderRouting({
          bus,
          partition,
          instruments: this.instruments,
          gateway: core.gateway,
        });
        this.stoppers.push(
          serveOrderRoutes({
            bus,
            partition,
            instruments: this.instruments,
            gateway: core.gateway,
            counters: core.counters,
            bookOf: (i) => core.bookOf(i),
          }),
        );
        // Served before this engine says it is up: the other engines can route to it at once.
        await bus.sync?.();
      }
      const routing = this.routing;
      if (o.loadShed !== undefined && o.loadShed !== false) {
        const shed = new LoadShed(o.loadShed);
        this.loadShed = shed;
        this.stoppers.push(() => shed.stop());
      }
      this.handles['execution-engine'] = await startExecutionEngineService({
        instruments: this.instruments,
        gateway: core.gateway,
        counters: core.counters,
        liveOrders: () => core.liveOrders(),
        bookOf: (i) => core.bookOf(i),
        journal: () => core.journalStats(),
        host,
        port: ports['execution-engine'],
        security: o.security,
        limits: o.limits,
        shed: this.loadShed ?? undefined,
        routing: routing ?? undefined,
        partition: routing === null ? undefined : () => routing.stats(),
      });
    }
    const node = this.riskNode;
    if (node !== null) {
      this.handles['risk-manager'] = await startRiskManagerService({
        risk: node.risk,
        updateLimits: (patch) => node.updateLimits(patch),
        gateway: node,
        central: () => node.stats(),
        host,
        port: ports['risk-manager'],
        security: o.security,
        limits: o.limits,
      });
    } else if (core !== null && want.has('risk-manager')) {
      this.handles['risk-manager'] = await startRiskManagerService({
        risk: core.risk,
        updateLimits: (patch) => core.updateLimits(patch),
        gateway: core.gateway,
        host,
        port: ports['risk-manager'],
        security: o.security,
        limits: o.limits,
      });
    }
    if (this.marketData !== null && this.metrics !== null) {
      const writer = this.metrics;
      const persister = new BarPersister(
        this.marketData.state,
        writer,
        o.barPersistMs ?? 1000,
        () => writer.stats().failedFlushes,
      );
      this.stoppers.push(() => persister.stop());
    }
    if (want.has('api')) {
      const metrics = this.metrics!;
      const store = this.store!;
      const providers: Partial<StatsProviders> = { database: () => this.databaseStats(store, metrics) };
      const md = this.marketData;
      if (md !== null) providers.marketData = () => md.stats();
      if (core !== null && want.has('execution-engine'))
        providers.orders = () => core.counters.stats(core.liveOrders());
      this.api = await startApiService({
        bus: this.bus,
        providers,
        ingest: {
          ingest: async (records: unknown) => {
            const batch = parseMetricBatch(records);
            const t0 = performance.now();
            await this.ingestBound.run(batch.length, () => store.insert(batch));
            this.ingestLatency.recordMs(performance.now() - t0);
            this.ingestRate.add(batch.length);
            return { accepted: batch.length };
          },
        },
        query: (sql) =>
          this.queryGuard !== null
            ? this.queryGuard.query(sql)
            : this.pgQueries(() => store.queryLimited(sql)),
        security: o.security,
        limits: o.limits,
        isKnownSymbol: (s) => this.instruments.find(s) !== undefined,
        host,
        port: ports.api,
        agents: {
          ...o.agents,
          maxConcurrentRequests: o.apiMaxInFlight,
          deps: {
            instruments: this.instruments,
            market: md?.state,
            core: core === null ? undefined : { risk: core.risk, gateway: core.gateway },
            history: new BarHistory(
              (sql) => store.query(sql),
              md?.state.barCapacity('1m') ?? 1440,
              store.kind,
            ),
          },
        },
        memory: this.memoryOptions(),
        performanceMode: o.performanceMode,
        health: {
          services: {
            'market-data': md === null ? undefined : () => md.stats(),
            'execution-engine':
              core === null || this.handles['execution-engine'] === undefined
                ? undefined
                : () => core.counters.stats(core.liveOrders()),
            'risk-manager':
              node !== null
                ? () => node.risk.getLimits()
                : core === null || this.handles['risk-manager'] === undefined
                  ? undefined
                  : () => core.risk.getLimits(),
          },
          // degraded while the metrics writer's flushes fail (and for a minute after the last one)
          store: async () => {
            this.noteStoreFailures(metrics);
            const ago = performance.now() - this.lastStoreFailureMs;
            if (ago < 60_000) {
              const st = metrics.stats();
              throw new Error(
                `${st.failedFlushes} metrics flush(es) failed (${st.failedRows} rows), the last ${Math.round(ago / 1000)} s ago: ${st.lastError}`,
              );
            }
            return store.probe();
          },
        },
      });
      this.handles.api = this.api;
      this.stoppers.push(startSelfMetrics(metrics, providers, o.selfMetricsIntervalMs ?? 1000));
    }
    this.stoppers.push(
      trackProcessMetrics({
        marketData: this.marketData,
        orders: want.has('execution-engine') ? core : null,
        api: this.api,
        writer: this.metrics,
        database: this.store === null ? undefined : () => this.databaseStats(this.store!, this.metrics!),
        ingestLatency: this.ingestLatency,
        replicaHold: this.store instanceof DuckDbMetricsStore ? this.store.replica?.holdLatency : undefined,
      }),
    );
  }

  private seenStoreFailures = 0;
  private lastStoreFailureMs = Number.NEGATIVE_INFINITY;

  private noteStoreFailures(w: MetricsWriter): void {
    const f = w.stats().failedFlushes;
    if (f !== this.seenStoreFailures) {
      this.seenStoreFailures = f;
      this.lastStoreFailureMs = performance.now();
    }
  }

  private memoryOptions(): MemoryGuardOptions | undefined {
    const limitBytes = this.o.memoryLimitBytes ?? this.o.memoryGuard?.limitBytes;
    return limitBytes === undefined ? undefined : { ...this.o.memoryGuard, limitBytes };
  }

  /**
   * Rows in `trading_metrics` (counted at open, then by commits: no query per call), and the insert figures of both writers into it:
   * `POST /api/metrics` batches (insertsPerSecond, batchInsertLatencyMs) and the system's
   * own metrics writer (`writer`).
   */
  private async databaseStats(store: MetricsStore, w: MetricsWriter): Promise<DatabaseStats> {
    const s = w.stats();
    // PostgreSQL buffers and retries inside the store: its rows count as pending, its drops as dropped.
    const ws = store.writeStats();
    const us = s.batchLatencyUs;
    const ms = (x: number) => Math.round(x) / 1000;
    return {
      path: store.path,
      rows: store.rowCount(),
      insertsPerSecond: this.ingestRate.perSecond() + s.rowsPerSec,
      batchInsertLatencyMs: this.ingestLatency.summaryMs(),
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

  /** Graceful stop; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Servers first: they stop accepting and answer every request in flight.
      const order: ServiceName[] = ['api', 'market-data', 'execution-engine', 'risk-manager'];
      for (const name of order) await this.handles[name]?.close();
      for (const stop of this.stoppers.reverse()) await stop();
      await this.core?.close();
      await this.metrics?.close();
      await this.bus.close();
    })();
    return this.closing;
  }
}
