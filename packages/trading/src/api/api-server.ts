/**
 * The api service (SPEC "api, port 8000"): /api/metrics/* JSON, POST /api/metrics batch
 * ingest, Prometheus /metrics, /health, and the /ws/metrics WebSocket hub fed by the bus's
 * MarketUpdates. It only reads the StatsProviders other services fill; the system section
 * defaults to this process's own sampler. Closing closes every WebSocket client with 1001,
 * then the HTTP server, then the sampler.
 *
 *   const api = await startApiService({ bus, providers, ingest, isKnownSymbol, port: 8000 });
 *   api.hub.stats(); await api.close();
 */
import type { Bus } from '../bus/bus.ts';
import { createHttpApp, listen, type ServiceHandle } from '../services/http-app.ts';
import type { StatsProviders } from '../stats/stats-types.ts';
import { type MetricsIngestSink, registerMetricsRoutes } from './metrics-routes.ts';
import { createPrometheusExporter, registerPrometheusRoute } from './prometheus.ts';
import { startSystemSampler } from './system-stats.ts';
import { WsHub } from './ws-hub.ts';
import type { WsHubOptions, WsHubStats } from './ws-hub-options.ts';

export interface ApiServiceOptions {
  bus: Bus;
  /** Sections of the services running in this process; `system` defaults to this process's sampler. */
  providers?: Partial<StatsProviders>;
  ingest?: MetricsIngestSink;
  /** Read-only SQL on the metrics store (GET /api/metrics/query). */
  query?: (sql: string) => Promise<unknown[]>;
  isKnownSymbol: (symbol: string) => boolean;
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** WebSocket hub settings (see ws-hub-options.ts). */
  ws?: Partial<Omit<WsHubOptions, 'isKnownSymbol'>>;
  /** Largest request body (default 16 MiB: a 100,000-record batch). */
  bodyLimit?: number;
  /** System sampling interval (default 1000 ms). */
  systemSampleMs?: number;
}

export interface ApiService extends ServiceHandle {
  readonly hub: { stats(): WsHubStats; readonly clientCount: number };
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
  const app = createHttpApp({ bodyLimit: opts.bodyLimit ?? 16 * 1024 * 1024 });
  const hub = new WsHub(opts.bus, { ...opts.ws, isKnownSymbol: opts.isKnownSymbol });
  hub.attach(app.server);
  const hubStats = () => hub.stats();
  registerMetricsRoutes(app, {
    providers,
    ingest: opts.ingest,
    query: opts.query,
    hub: hubStats,
    service: 'api',
  });
  registerPrometheusRoute(app, createPrometheusExporter({ providers, hub: hubStats }));
  let handle: ServiceHandle;
  try {
    handle = await listen('api', app, opts.host ?? '127.0.0.1', opts.port ?? 8000, async () => {
      await hub.close();
    });
  } catch (err) {
    await hub.close();
    sampler?.stop();
    await app.close();
    throw err;
  }
  return {
    name: handle.name,
    host: handle.host,
    port: handle.port,
    url: handle.url,
    hub,
    async close(): Promise<void> {
      try {
        await handle.close();
      } finally {
        sampler?.stop();
      }
    },
  };
}
