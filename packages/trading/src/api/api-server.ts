/**
 * The api service (docs/spec.md, "api, port 8000"): /api/metrics/* JSON, POST /api/metrics batch
 * ingest, Prometheus /metrics, /health, and the /ws/metrics WebSocket hub fed by the bus's
 * MarketUpdates. It only reads the StatsProviders other services fill; the system section
 * defaults to this process's own sampler. With `agents`, the agent workload's
 * endpoints (../workflow/agent-routes.ts); with `memory` (ABC_MEMORY_LIMIT) a memory guard that
 * sheds the agent endpoints and POST /api/metrics before the limit; /health reports every
 * service, the store, memory and performance mode (./service-health.ts). Closing closes every
 * WebSocket client with 1001, then the HTTP server, then the sampler and the guard.
 *
 *   const api = await startApiService({ bus, providers, ingest, isKnownSymbol, port: 8000 });
 *   api.hub.stats(); await api.close();
 */
import { DEFAULT_PORTS } from '@tickstorm/protocol';
import { authorizeUpgrade, installAuth, type Refusal, type SecurityOptions } from '../auth/request-auth.ts';
import type { Bus } from '../bus/bus.ts';
import type { ServiceName } from '../config/service-config.ts';
import { TradingErrorCode } from '../errors.ts';
import { MemoryGuard, type MemoryGuardOptions } from '../guards/memory-guard.ts';
import { shed } from '../guards/shed.ts';
import { createHttpApp, listen, type ServiceHandle } from '../http/http-app.ts';
import type { HttpLimits } from '../http/http-limits.ts';
import type { LatencyHistogram } from '../stats/latency-histogram.ts';
import type { StatsProviders } from '../stats/stats-types.ts';
import { type ApiAgentOptions, type MountedAgents, mountAgents } from '../workflow/mount-agents.ts';
import { type MetricsIngestSink, type QueryAnswer, registerMetricsRoutes } from './metrics-routes.ts';
import { createPrometheusExporter, registerPrometheusRoute } from './prometheus.ts';
import { type ComponentHealth, SystemHealth, type SystemHealthOptions } from './service-health.ts';
import { startSystemSampler } from './system-stats.ts';
import { WsHub } from './ws-hub/ws-hub.ts';
import type { WsHubOptions, WsHubStats } from './ws-hub/ws-hub-options.ts';

export interface ApiServiceOptions {
  bus: Bus;
  /** Sections of the services running in this process; `system` defaults to this process's sampler. */
  providers?: Partial<StatsProviders>;
  /**
   * The sections `GET /metrics` renders (default: `providers`). With a bus, `providers` are the
   * whole system's, which every other process already exports for itself: give this process's
   * own, so that summing over every scraped port counts each tick and order once.
   */
  metricsProviders?: Partial<StatsProviders>;
  ingest?: MetricsIngestSink;
  /** Read-only SQL on the metrics store (GET /api/metrics/query; guards/query-guard.ts). */
  query?: (sql: string) => Promise<QueryAnswer>;
  /** The queries' counts and where they run (/health's `queries`). */
  queryStats?: () => unknown;
  /** Keys / protected mode (auth/request-auth.ts). */
  security?: SecurityOptions;
  /** Timeouts and connection cap (default cap 22,000: above the hub's 20,000 clients). */
  limits?: Partial<HttpLimits>;
  isKnownSymbol: (symbol: string) => boolean;
  /** /ws/metrics' message for an unknown symbol (InstrumentTable.unknownSymbolMessage). */
  unknownSymbolMessage?: (symbol: string) => string;
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** WebSocket hub settings (see ws-hub/ws-hub-options.ts). */
  ws?: Partial<Omit<WsHubOptions, 'isKnownSymbol'>>;
  /** Largest request body (default 16 MiB: a 100,000-record batch). */
  bodyLimit?: number;
  /** System sampling interval (default 1000 ms). */
  systemSampleMs?: number;
  /** The agent endpoints (docs/agent-endpoints.md); absent = not served. */
  agents?: ApiAgentOptions;
  /** ABC_MEMORY_LIMIT: shed the agent endpoints and POST /api/metrics before it. */
  memory?: MemoryGuardOptions;
  /** ABC_PERFORMANCE_MODE: analysis cache per bar, /health's store probe reused for 1 s. */
  performanceMode?: boolean;
  /** With a NATS bus: the cluster view's services, this process's bus, every instance. */
  cluster?: ApiClusterView;
  /** What /health probes besides the api itself: the other services and the store. */
  health?: Omit<SystemHealthOptions, 'api' | 'storeCacheMs'>;
}

/** What the api reads of the cluster view (cluster/cluster-view.ts), when the bus is NATS. */
export interface ApiClusterView {
  service: (name: Exclude<ServiceName, 'api'>) => ComponentHealth;
  /** This process's bus: degraded unless connected. */
  bus: () => ComponentHealth & { state: string; instanceId: string };
  /** Every instance heard (up or down), for /health and `tickstorm_instance_up`. */
  instances: () => readonly { instanceId: string; services: readonly string[]; status: 'up' | 'down' }[];
}

export interface ApiService extends ServiceHandle {
  readonly hub: {
    stats(): WsHubStats;
    readonly clientCount: number;
    readonly fanoutLatency: LatencyHistogram;
  };
  readonly memory: MemoryGuard | undefined;
  readonly agents: MountedAgents | undefined;
}

export async function startApiService(opts: ApiServiceOptions): Promise<ApiService> {
  const sampler =
    opts.providers?.system === undefined
      ? startSystemSampler({ intervalMs: opts.systemSampleMs })
      : undefined;
  const providers: StatsProviders = {
    ...opts.providers,
    system: opts.providers?.system ?? (() => sampler!.stats()),
  };
  const app = createHttpApp({
    bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024,
    limits: { maxConnections: 22_000, ...opts.limits },
  });
  installAuth(app, opts.security);
  const performanceMode = opts.performanceMode === true;
  const memory = opts.memory === undefined ? undefined : new MemoryGuard(opts.memory);
  if (memory !== undefined) {
    app.addHook('onRequest', async (req, reply) => {
      if (memory.shedding && req.method === 'POST' && req.routeOptions.url === '/api/metrics') {
        memory.refused();
        return shed(reply, TradingErrorCode.MEMORY_PRESSURE, 'memory above its high-water mark; retry later');
      }
    });
  }
  let agents: MountedAgents | undefined;
  try {
    agents =
      opts.agents === undefined ? undefined : mountAgents(app, opts.agents, { performanceMode, memory });
  } catch (err) {
    memory?.stop();
    sampler?.stop();
    throw err;
  }
  const systemHealth = new SystemHealth({
    ...opts.health,
    storeCacheMs: performanceMode ? 1000 : 250,
    cluster: opts.cluster?.service,
    api: () => {
      const bus = opts.cluster?.bus();
      return bus !== undefined && bus.status !== 'ok'
        ? { status: 'degraded', detail: bus.detail }
        : apiHealth(memory, agents);
    },
  });
  const hub = new WsHub(opts.bus, {
    ...opts.ws,
    isKnownSymbol: opts.isKnownSymbol,
    unknownSymbolMessage: opts.unknownSymbolMessage,
  });
  hub.authorize = (req) => {
    const r = authorizeUpgrade(opts.security, req, hub.opts.path);
    return r !== undefined && 'status' in r ? (r as Refusal) : undefined;
  };
  hub.attach(app.server);
  const hubStats = () => hub.stats();
  registerMetricsRoutes(app, {
    providers,
    ingest: opts.ingest,
    query: opts.query,
    hub: hubStats,
    service: 'api',
    health: async () => {
      const h = await systemHealth.report();
      return {
        degraded: h.degraded,
        fields: {
          services: h.services,
          store: h.store,
          bus: opts.cluster?.bus() ?? {
            status: 'ok',
            state: opts.bus.state(),
            instanceId: opts.bus.instanceId,
          },
          instances: opts.cluster?.instances(),
          queries: opts.queryStats?.(),
          memory: memory?.state() ?? { status: 'unlimited' },
          performanceMode,
          agents:
            agents === undefined
              ? undefined
              : {
                  ...agents.limiter.stats(),
                  stepTimeoutMs: agents.stepTimeoutMs,
                  cache: agents.cache?.stats(),
                },
        },
      };
    },
  });
  registerPrometheusRoute(
    app,
    createPrometheusExporter({
      providers:
        opts.metricsProviders === undefined
          ? providers
          : { ...opts.metricsProviders, system: opts.metricsProviders.system ?? providers.system },
      hub: hubStats,
      instances: opts.cluster?.instances,
    }),
  );
  let handle: ServiceHandle;
  try {
    handle = await listen('api', app, opts.host ?? '127.0.0.1', opts.port ?? DEFAULT_PORTS.api, async () => {
      await hub.close();
    });
  } catch (err) {
    await hub.close();
    sampler?.stop();
    memory?.stop();
    await app.close();
    throw err;
  }
  return {
    name: handle.name,
    host: handle.host,
    port: handle.port,
    url: handle.url,
    hub,
    memory,
    agents,
    async close(): Promise<void> {
      try {
        await handle.close();
      } finally {
        sampler?.stop();
        memory?.stop();
      }
    },
  };
}

/** The api degrades while it sheds load for memory or its agent endpoints are full. */
function apiHealth(memory: MemoryGuard | undefined, agents: MountedAgents | undefined): ComponentHealth {
  if (memory?.shedding === true) {
    return {
      status: 'degraded',
      detail: `shedding load: RSS ${memory.rssBytes} >= high water ${memory.highWaterBytes}`,
    };
  }
  if (agents?.limiter.saturated === true) {
    return {
      status: 'degraded',
      detail: `agent endpoints at their limit of ${agents.limiter.max} in flight`,
    };
  }
  return { status: 'ok' };
}
