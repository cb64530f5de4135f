import { join } from 'node:path';
import { InstrumentTable } from '@tickstorm/protocol';
import { type ApiService, startApiService } from '../api/api-server.ts';
import { type SystemSampler, startSystemSampler } from '../api/system-stats.ts';
import { type Bus, InProcessBus } from '../bus/bus.ts';
import { openBus } from '../bus/nats-bus.ts';
import { type MarketUpdate, Topic } from '../bus/topics.ts';
import { busStatus, type ServiceStatus, serviceStatus } from '../cluster/cluster-health.ts';
import { ClusterView } from '../cluster/cluster-view.ts';
import { type HeartbeatSource, type RowsSummary, startHeartbeats } from '../cluster/heartbeat.ts';
import { LastPriceMirror } from '../cluster/last-price-mirror.ts';
import { serveMarketBars } from '../cluster/market-bars.ts';
import { apiHeardSinceConnect, RowForwarder, RowReceiver } from '../cluster/metric-rows.ts';
import { serveOrderRoutes } from '../cluster/order-route-server.ts';
import { OrderRouting } from '../cluster/order-routing.ts';
import { Partition } from '../cluster/partition.ts';
import { checkPartitionDir } from '../cluster/partition-dir.ts';
import { createRemoteSteps } from '../cluster/remote-agent-steps.ts';
import { RemoteRiskClient } from '../cluster/remote-risk-client.ts';
import { RiskEventPublisher } from '../cluster/risk-event-publisher.ts';
import { RiskNode } from '../cluster/risk-node.ts';
import { claimRoles } from '../cluster/role-claims.ts';
import { clusterMarketData, clusterOrders, sectionOf } from '../cluster/stats-merge.ts';
import type { ServiceName } from '../config/service-config.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { InFlightLimiter } from '../guards/admission.ts';
import { IngestBound } from '../guards/ingest-bound.ts';
import { LoadShed } from '../guards/load-shed.ts';
import type { MemoryGuardOptions } from '../guards/memory-guard.ts';
import { openQueryRunner } from '../guards/open-query-runner.ts';
import { concurrencyLimit, QUERY_GUARD_DEFAULTS, type QueryRunner } from '../guards/query-guard.ts';
import type { ServiceHandle } from '../http/http-app.ts';
import { BarHistory } from '../market-data/bar-history.ts';
import { BarPersister } from '../market-data/bar-persister.ts';
import { type MarketDataService, startMarketDataService } from '../market-data/ingest-server.ts';
import { DuckDbMetricsStore } from '../metrics-store/duckdb-store.ts';
import { parseMetricBatch } from '../metrics-store/metric-record.ts';
import { isPostgresUrl, type MetricsStore, type QueryLimits } from '../metrics-store/metrics-store.ts';
import { MetricsWriter } from '../metrics-store/metrics-writer.ts';
import { openMetricsStore } from '../metrics-store/open-store.ts';
import { startExecutionEngineService } from '../orders/execution-engine-service.ts';
import { checkDataDir, type DirLock, lockDataDir, prepareDataDir } from '../persistence/dir-lock.ts';
import { journalIdentity } from '../persistence/journal-id.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import { startRiskManagerService } from '../risk/risk-manager-service.ts';
import { LatencyHistogram } from '../stats/latency-histogram.ts';
import { RateMeter } from '../stats/rate-meter.ts';
import type { MarketDataStats, OrderStats, StatsProviders } from '../stats/stats-types.ts';
import type { AgentSteps, BarsRequest, BarsResult } from '../workflow/agent-types.ts';
import { countedDatabaseStats } from './database-stats.ts';
import { LastPriceFeed } from './last-price-feed.ts';
import { trackProcessMetrics } from './process-metrics-wiring.ts';
import { startSelfMetrics } from './self-metrics.ts';
import { StoreFailures } from './store-failures.ts';
import { TradingCore } from './trading-core.ts';
import type { TradingSystemOptions } from './trading-system-options.ts';

/** How long a stop waits for a PostgreSQL store's buffered rows (docs/metrics-store.md). */
const STORE_STOP_WAIT_MS = 10_000;

export type { TradingSystemOptions } from './trading-system-options.ts';

/** The signal of a step nobody aborts (risk analysis's VaR bars). */
const NEVER_ABORTED = new AbortController().signal;

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
  /**
   * GET /api/metrics/query on a DuckDB store: in a child process on the shared file
   * (guards/query-process.ts), or in this process for an in-memory store (guards/query-guard.ts).
   */
  queryGuard: QueryRunner | null = null;
  loadShed: LoadShed | null = null;
  /** With a NATS bus: every instance's last heartbeat (cluster/cluster-view.ts). */
  cluster: ClusterView | null = null;
  /** A NATS bus and a DuckDB store in another process: this process's metric rows go over the bus. */
  forwarder: RowForwarder | null = null;
  /** The api's process with a NATS bus: the rows other processes forward. */
  receiver: RowReceiver | null = null;
  /** This process's CPU, memory and event loop (NATS bus: heartbeats; the api reads its own). */
  private sampler: SystemSampler | null = null;
  readonly ingestBound: IngestBound;
  /** The symbols this process's execution engine owns (`symbols`); null = all, untagged ids. */
  readonly partition: Partition | null;
  routing: OrderRouting | null = null;
  /** GET /api/metrics/query on a PostgreSQL store: the store's own limits, at most 2 at once. */
  private readonly pgQueries: ReturnType<typeof concurrencyLimit>;
  private readonly pgQueryLimits: QueryLimits;
  /** POST /api/metrics batches: latency and rows per second. */
  private readonly ingest = { latency: new LatencyHistogram(), rate: new RateMeter() };
  /** The metrics store's health rule (store-failures.ts), where a writer runs. */
  private storeFailures: StoreFailures | null = null;
  private readonly stoppers: (() => void | Promise<void>)[] = [];
  private closing: Promise<void> | null = null;
  private dirLock: DirLock | null = null;

  private constructor(readonly o: TradingSystemOptions) {
    this.instruments = new InstrumentTable(o.instruments, { offTickPrices: o.offTickPrices });
    this.ingestBound = new IngestBound(o.ingestMaxPendingRows);
    // the same limits as on DuckDB (2 s, 10,000 rows, 8 MiB, 2 at once): it had the store's 5 s
    const q = { ...QUERY_GUARD_DEFAULTS, ...o.queryLimits };
    this.pgQueryLimits = { maxRows: q.maxRows, maxBytes: q.maxBytes, timeoutMs: q.timeoutMs };
    this.pgQueries = concurrencyLimit(new InFlightLimiter(q.maxConcurrent));
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

  /** With central risk (NATS), the risk manager's state from the heartbeats, as the api reports it. */
  private riskHealth(): (() => ServiceStatus) | undefined {
    const view = this.cluster;
    if (this.remoteRisk === null || view === null) return undefined;
    return () => serviceStatus(view, 'risk-manager');
  }

  url(service: ServiceName): string {
    const h = this.handles[service];
    if (h === undefined) throw new Error(`${service} is not running in this process`);
    return h.url;
  }

  private async startAll(): Promise<void> {
    const o = this.o;
    const want = new Set(o.services ?? ALL_SERVICES);
    const { host, ports, dataDir } = o.config;
    // an engine's journal and a risk manager's limits: one process per data directory
    if (want.has('execution-engine') || want.has('risk-manager')) this.dirLock = lockDataDir(dataDir);
    // the api's DuckDB file in the data dir: a dir it cannot write is refused here, naming it
    else if (want.has('api') && o.metricsPath === undefined) prepareDataDir(dataDir);
    else checkDataDir(dataDir);
    if (o.bus !== undefined) this.bus = await openBus(o.bus);
    const nats = this.bus.kind === 'nats';
    // one risk manager, one engine per symbol: leases on the bus (a second one refuses here)
    const engineSymbols = (this.partition ?? Partition.whole(this.instruments)).symbols;
    const lease = await claimRoles({
      bus: this.bus,
      riskManager: want.has('risk-manager'),
      symbols: want.has('execution-engine') ? engineSymbols : [],
      report: o.report ?? ((line) => console.log(line)),
      warn: o.onWarning,
      onLost: o.onLeaseLost ?? (() => void this.close().catch(() => {})),
    });
    if (lease !== null) this.stoppers.push(() => lease.close());
    const [fenced, leaseHealth] = [lease?.problem.bind(lease), lease?.health.bind(lease)];
    const metricsPath = o.metricsPath ?? join(dataDir, 'metrics.duckdb');
    if (nats) {
      const view = new ClusterView(this.bus);
      this.cluster = view;
      this.stoppers.push(() => view.close());
      const sampler = startSystemSampler();
      this.sampler = sampler;
      this.stoppers.push(() => sampler.stop());
    }
    if (want.has('api') || (nats && isPostgresUrl(metricsPath))) {
      // PostgreSQL takes any number of writers: with a NATS bus every process writes its own rows.
      this.store = await openMetricsStore(metricsPath, o.metricsStore);
      this.metrics = new MetricsWriter(this.store);
      this.storeFailures = new StoreFailures(this.metrics, undefined, this.store);
      const store = this.store;
      if (want.has('api') && store instanceof DuckDbMetricsStore) {
        const replica = store.replica;
        const guard = await openQueryRunner({
          sharedFile: replica && { path: replica.sharedPath, flush: () => replica.flush() },
          connect: () => store.connect(),
          limits: o.queryLimits,
          start: o.queryProcessStart,
        });
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
        fenced,
      });
      const node = this.riskNode;
      this.stoppers.push(() => node.close());
    }
    let events: RiskEventPublisher | null = null;
    if (split && want.has('execution-engine')) {
      // its journal's identity (host, directory and the directory's own id): a restart after a
      // crash frees the dead instance's reservations at the risk manager (cluster/risk-ledger.ts)
      const journal = o.inputLog === false ? undefined : journalIdentity(dataDir);
      events = new RiskEventPublisher(this.bus, journal);
      this.remoteRisk = new RemoteRiskClient(this.bus, events);
    }
    if (nats && this.metrics === null) {
      // A DuckDB store has one writer, the api's process: rows go there over the bus.
      // held until an api is live (its heartbeat follows its subscription to the rows)
      const view = this.cluster;
      const fwd = new RowForwarder(this.bus, {
        receiverUp: view === null ? undefined : apiHeardSinceConnect(this.bus, view),
      });
      this.forwarder = fwd;
      this.stoppers.push(() => fwd.close());
    }
    const rowSink = this.metrics ?? this.forwarder;
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
        fenced,
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
      // A turn's low and high (not its last) are journalled and applied only when they fire a
      // stop: what a stop needs, without up to three records per symbol and turn.
      const feed = new LastPriceFeed(this.instruments.size, (book, ticks, last) => {
        if (fenced?.() != null) return; // no stop fires while the lease has lapsed
        if (partition === null || partition.owns(book)) {
          if (last || this.core?.firesStopAt(book, ticks)) this.core?.setLastPrice(book, ticks);
        } else if (riskHere && last) this.core?.risk.setReferencePrice(book, ticks);
      });
      this.stoppers.push(
        this.bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, (u) =>
          feed.push(u.book, u.lastTicks, u.lowTicks, u.highTicks, u.highFirst),
        ),
      );
      this.stoppers.push(() => feed.stop());
    }
    const core = this.core;
    if (want.has('market-data')) {
      this.marketData = await startMarketDataService({
        instruments: this.instruments,
        bus: this.bus,
        metrics: rowSink ?? undefined,
        host,
        port: ports['market-data'],
        security: o.security,
        limits: o.limits,
        maxTickAheadMs: o.maxTickAheadMs,
      });
      this.handles['market-data'] = this.marketData;
      if (nats) this.stoppers.push(serveMarketBars(this.bus, this.marketData.state));
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
      } else if (nats) {
        // The only engine (no --symbols): it owns every symbol; the api's agent endpoints reach it over the bus.
        this.stoppers.push(
          serveOrderRoutes({
            bus: this.bus,
            partition: Partition.whole(this.instruments),
            instruments: this.instruments,
            gateway: core.gateway,
            counters: core.counters,
            bookOf: (i) => core.bookOf(i),
          }),
        );
        await this.bus.sync?.();
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
        bus: this.bus,
        risk: this.riskHealth(),
        lease: leaseHealth,
      });
    }
    const node = this.riskNode;
    if (node !== null) {
      this.handles['risk-manager'] = await startRiskManagerService({
        risk: node.risk,
        updateLimits: (patch) => node.updateLimits(patch),
        gateway: node,
        central: () => node.stats(),
        bus: this.bus,
        lease: leaseHealth,
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
        bus: this.bus,
        host,
        port: ports['risk-manager'],
        security: o.security,
        limits: o.limits,
      });
    }
    if (this.marketData !== null && rowSink !== null) {
      const writer = this.metrics;
      const persister = new BarPersister(
        this.marketData.state,
        rowSink,
        o.barPersistMs ?? 1000,
        writer === null ? undefined : () => writer.stats().failedFlushes,
      );
      this.persister = persister;
      this.stoppers.push(() => persister.stop());
    }
    const view = this.cluster;
    const localOrders =
      core !== null && want.has('execution-engine')
        ? () => core.counters.stats(core.liveOrders())
        : undefined;
    if (want.has('api')) {
      const metrics = this.metrics!;
      const store = this.store!;
      const riskHere = this.riskHere();
      const providers: Partial<StatsProviders> = {
        database: (q) => countedDatabaseStats(store, metrics, this.ingest, q?.fresh === true),
      };
      const md = this.marketData;
      if (md !== null) providers.marketData = () => md.stats();
      if (localOrders !== undefined) providers.orders = localOrders;
      // Self metrics: this process's own sections (the api's may be the whole cluster's).
      const ownProviders = { ...providers };
      let steps: Partial<AgentSteps> | undefined;
      let remoteBars: ((req: BarsRequest) => Promise<BarsResult>) | undefined;
      let lastPrice: ((symbol: string) => number | null) | undefined;
      const history = new BarHistory(
        (sql) => store.query(sql),
        md?.state.barCapacity('1m') ?? 1440,
        store.kind,
      );
      if (view !== null) {
        this.receiver = new RowReceiver(this.bus, metrics);
        const receiver = this.receiver;
        this.stoppers.push(() => receiver.close());
        this.clusterProviders(view, providers, md === null ? undefined : () => md.stats(), localOrders);
        const prices = new LastPriceMirror(this.bus);
        this.stoppers.push(() => prices.close());
        const remote = createRemoteSteps({
          bus: this.bus,
          prices,
          deps: { instruments: this.instruments, history },
        });
        if (md === null) {
          remoteBars = (req) => remote.data(req, NEVER_ABORTED);
          lastPrice = (symbol) => prices.price(symbol);
        }
        steps = {
          ...(md === null ? { data: remote.data } : {}),
          ...(core === null ? { risk: remote.risk, execute: remote.execute } : {}),
        };
      }
      this.api = await startApiService({
        bus: this.bus,
        providers,
        // /metrics: this process's own sections; the other processes export theirs.
        metricsProviders: ownProviders,
        ingest: {
          ingest: async (records: unknown) => {
            const batch = parseMetricBatch(records);
            // While PostgreSQL is known to be away a new batch is refused at once (503, Retry-After,
            // nothing stored): queued, its request waited as long as the outage lasted.
            const ws = store.writeStats();
            if (ws.state === 'retrying') {
              throw new TradingError(
                TradingErrorCode.SERVICE_UNAVAILABLE,
                `metrics store unreachable (${ws.lastError}; ${ws.bufferedRows} rows buffered): ` +
                  `these ${batch.length} rows were not stored, retry later`,
              );
            }
            const t0 = performance.now();
            // refused (503) rather than held if PostgreSQL fails under it: see InsertOptions
            await this.ingestBound.run(batch.length, () => store.insert(batch, { refuseWhileDown: true }));
            this.ingest.latency.recordMs(performance.now() - t0);
            this.ingest.rate.add(batch.length);
            return { accepted: batch.length };
          },
        },
        query: (sql) =>
          this.queryGuard !== null
            ? this.queryGuard.query(sql)
            : this.pgQueries(() => store.queryLimited(sql, this.pgQueryLimits)),
        queryStats: () => this.queryGuard?.stats(),
        security: o.security,
        limits: o.limits,
        isKnownSymbol: (s) => this.instruments.find(s) !== undefined,
        unknownSymbolMessage: (s) => this.instruments.unknownSymbolMessage(s),
        host,
        port: ports.api,
        agents: {
          ...o.agents,
          steps: steps === undefined ? o.agents?.steps : { ...steps, ...o.agents?.steps },
          maxConcurrentRequests: o.apiMaxInFlight,
          deps: {
            instruments: this.instruments,
            market: md?.state,
            core: core === null ? undefined : { risk: core.risk, gateway: core.gateway },
            history,
            bars: remoteBars,
            lastPrice,
          },
        },
        memory: this.memoryOptions(),
        performanceMode: o.performanceMode,
        cluster:
          view === null
            ? undefined
            : {
                service: (name) => serviceStatus(view, name),
                bus: () => ({
                  ...busStatus(this.bus.state()),
                  state: this.bus.state(),
                  instanceId: this.bus.instanceId,
                }),
                instances: () => view.rows(),
              },
        health: {
          services: {
            'market-data': md === null ? undefined : () => md.stats(),
            'execution-engine': localOrders,
            'risk-manager': riskHere === null ? undefined : () => riskHere.getLimits(),
          },
          // degraded while the metrics writer's flushes fail (and for a minute after the last one)
          store: async () => {
            const problem = this.storeFailures?.problem() ?? null;
            if (problem !== null) throw new Error(problem);
            return store.probe();
          },
        },
      });
      this.handles.api = this.api;
      const sampler = this.sampler;
      if (sampler !== null) ownProviders.system = () => sampler.stats();
      this.stoppers.push(startSelfMetrics(metrics, ownProviders, o.selfMetricsIntervalMs ?? 1000));
    } else if (rowSink !== null && this.sampler !== null) {
      // A process without the api (NATS bus): its own sections and system figures, by row.
      const sampler = this.sampler;
      const md = this.marketData;
      this.stoppers.push(
        startSelfMetrics(
          rowSink,
          {
            marketData: md === null ? undefined : () => md.stats(),
            orders: localOrders,
            system: () => sampler.stats(),
          },
          o.selfMetricsIntervalMs ?? 1000,
        ),
      );
    }
    if (view !== null) this.stoppers.push(this.startHeartbeats(view, want, localOrders));
    this.stoppers.push(
      trackProcessMetrics({
        marketData: this.marketData,
        orders: want.has('execution-engine') ? core : null,
        api: this.api,
        writer: this.metrics,
        database:
          this.store === null
            ? undefined
            : () => countedDatabaseStats(this.store!, this.metrics!, this.ingest),
        ingestLatency: this.ingest.latency,
        replicaHold: this.store instanceof DuckDbMetricsStore ? this.store.replica?.holdLatency : undefined,
      }),
    );
  }

  /** Closed 1m bars into the store (or over the bus), when market data runs here. */
  persister: BarPersister | null = null;

  /** The api's sections for the whole system: every UP instance's, from the cluster view. */
  private clusterProviders(
    view: ClusterView,
    providers: Partial<StatsProviders>,
    md: (() => MarketDataStats) | undefined,
    orders: (() => OrderStats) | undefined,
  ): void {
    providers.marketData = () => clusterMarketData(view, md);
    providers.orders = () => clusterOrders(view, orders);
    const sampler = this.sampler!;
    providers.system = () => {
      const { values, instances } = sectionOf(view, 'system', () => sampler.stats());
      return { ...sampler.stats(), instances: instances.map((c, i) => ({ ...c, ...values[i] })) };
    };
    const local = providers.database!;
    providers.database = async () => {
      const { values, instances } = sectionOf(view, 'rows', undefined);
      return {
        ...(await local()),
        received: this.receiver?.stats(),
        senders: instances.map((c, i) => ({ ...c, ...values[i] })),
      };
    };
  }

  /** Rows this process sent on (forwarder) or wrote (its own writer). */
  private rowsSummary(): RowsSummary | undefined {
    if (this.forwarder !== null) {
      const f = this.forwarder.stats();
      return { mode: 'forward', rows: f.forwarded, dropped: f.dropped, failedRows: 0, pending: f.pending };
    }
    if (this.metrics === null) return undefined;
    const w = this.metrics.stats();
    return {
      mode: 'writer',
      rows: w.rowsWritten,
      dropped: w.dropped,
      failedRows: w.failedRows,
      pending: w.pending,
    };
  }

  private startHeartbeats(
    view: ClusterView,
    want: Set<ServiceName>,
    orders: (() => OrderStats) | undefined,
  ): () => void {
    const core = this.core;
    const md = this.marketData;
    const sampler = this.sampler!;
    const failures = this.storeFailures;
    const risk = this.riskHere();
    const src: HeartbeatSource = {
      services: [...want].filter((s) => this.handles[s] !== undefined),
      symbols: this.o.symbols,
      urls: () => Object.fromEntries(Object.entries(this.handles).map(([k, h]) => [k, h.url])),
      marketData: md === null ? undefined : () => md.stats(),
      orders,
      risk: risk === null ? undefined : () => ({ accounts: risk.accounts.size, limits: risk.getLimits() }),
      system: () => sampler.stats(),
      rows: () => this.rowsSummary(),
      journal:
        core === null
          ? undefined
          : () => {
              const j = core.journalStats();
              return { healthy: j.healthy, writeErrors: j.writeErrors, durability: j.durability };
            },
      // The api's process reports its store on /health itself; a PostgreSQL writer elsewhere reports it here.
      store:
        failures === null || this.api !== null
          ? undefined
          : () => {
              const problem = failures.problem();
              return problem === null ? { ok: true } : { ok: false, detail: problem };
            },
    };
    return startHeartbeats(this.bus, src, { local: (hb) => view.note(hb) });
  }

  /** The risk engine this process's risk-manager service runs on: the risk node's, or the core's; null when none runs here. */
  private riskHere(): RiskEngine | null {
    if (this.riskNode !== null) return this.riskNode.risk;
    return this.core !== null && this.handles['risk-manager'] !== undefined ? this.core.risk : null;
  }

  private memoryOptions(): MemoryGuardOptions | undefined {
    const limitBytes = this.o.memoryLimitBytes ?? this.o.memoryGuard?.limitBytes;
    return limitBytes === undefined ? undefined : { ...this.o.memoryGuard, limitBytes };
  }

  /**
   * Graceful stop; idempotent. Every step runs even when an earlier one fails (the bus last,
   * so a NATS connection never outlives its system); the first failure is thrown at the end.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      let first: unknown;
      const step = async (f: () => Promise<unknown> | unknown) => {
        try {
          await f();
        } catch (err) {
          first ??= err;
        }
      };
      // A POST /api/metrics in flight waits for its rows to be committed: with PostgreSQL down
      // the api's server would wait for it forever. The store's buffer gets the 10 s a close
      // gives it, counted from the stop; then what is left is dropped (counted) and those
      // requests are answered 503 TRD_ERR_SHUTTING_DOWN, so the stop goes on.
      const store = this.store;
      const storeDeadline =
        store?.kind === 'postgres'
          ? setTimeout(() => void store.close(0).catch(() => {}), STORE_STOP_WAIT_MS)
          : undefined;
      // Servers first, all at once: none accepts a connection once the stop has begun, and
      // each answers every request it has read (http/graceful-drain.ts) before the engine stops.
      const order: ServiceName[] = ['api', 'market-data', 'execution-engine', 'risk-manager'];
      await Promise.all(order.map((name) => step(() => this.handles[name]?.close())));
      for (const stop of this.stoppers.reverse()) await step(stop);
      await step(() => this.core?.close());
      await step(() => this.metrics?.close());
      clearTimeout(storeDeadline);
      await step(() => this.bus.close());
      this.dirLock?.release();
      if (first !== undefined) throw first;
    })();
    return this.closing;
  }
}
