/**
 * What /health on the api says about the whole system: every service (market-data,
 * execution-engine, risk-manager, api) and the metrics store, each "ok" | "degraded" |
 * "absent" (not running in this process).
 *
 * - With a NATS bus (`cluster`), a service's state is that of its instances' heartbeats:
 *   "degraded" with a "down: ..." detail when none is live (cluster/cluster-health.ts).
 * - Otherwise a service is probed by calling its in-process stats function under a time bound; a throw
 *   or no answer is "degraded" with the reason.
 * - The api is "degraded" while it sheds load (memory above the high-water mark) or its agent
 *   endpoints are at their in-flight limit.
 * - The store is probed with `SELECT 1` on its read connection; "degraded" when that fails or
 *   takes longer than `storeSlowMs` (default 500 ms). Its latency is reported. A probe result
 *   is reused for `storeCacheMs` (the api: 250 ms; 1 s in performance mode): a DuckDB round
 *   trip costs ~0.5 ms, and frequent health checks must not queue behind each other in DuckDB.
 *   Checks that arrive while a probe runs (the cache empty or expired) wait for that probe
 *   instead of starting their own: concurrent checks cost one `SELECT 1`.
 */
import type { ServiceName } from '../config/service-config.ts';

export type HealthState = 'ok' | 'degraded' | 'absent';

export interface ComponentHealth {
  status: HealthState;
  detail?: string;
  latencyMs?: number;
}

export interface SystemHealthOptions {
  /** In-process probes of the services other than the api (absent key = not in this process). */
  services?: Partial<Record<Exclude<ServiceName, 'api'>, () => unknown>>;
  /** A cheap store query; absent = no store in this process. */
  store?: () => Promise<unknown>;
  /** The api's own state. */
  api?: () => ComponentHealth;
  /**
   * With a NATS bus: each service's state from the cluster view's heartbeats (replaces the
   * in-process probes; cluster/cluster-health.ts).
   */
  cluster?: (name: Exclude<ServiceName, 'api'>) => ComponentHealth;
  timeoutMs?: number;
  storeSlowMs?: number;
  /** Reuse a store probe this long (0 = probe on every call). */
  storeCacheMs?: number;
}

export interface SystemHealthReport {
  services: Record<ServiceName, ComponentHealth>;
  store: ComponentHealth;
  degraded: boolean;
}

const OTHER_SERVICES = ['market-data', 'execution-engine', 'risk-manager'] as const;

export class SystemHealth {
  private storeCache: { at: number; value: ComponentHealth } | null = null;
  /** The store probe under way, shared by concurrent checks. */
  private storeProbe: Promise<ComponentHealth> | null = null;

  constructor(private readonly o: SystemHealthOptions) {}

  async report(): Promise<SystemHealthReport> {
    const timeoutMs = this.o.timeoutMs ?? 1000;
    const entries = await Promise.all(
      OTHER_SERVICES.map(
        async (name) =>
          [
            name,
            this.o.cluster !== undefined
              ? this.o.cluster(name)
              : await probe(this.o.services?.[name], timeoutMs),
          ] as const,
      ),
    );
    const services = Object.fromEntries(entries) as Record<ServiceName, ComponentHealth>;
    services.api = this.o.api?.() ?? { status: 'ok' };
    const store = await this.store(timeoutMs);
    const degraded =
      store.status === 'degraded' || Object.values(services).some((s) => s.status === 'degraded');
    return { services, store, degraded };
  }

  private store(timeoutMs: number): Promise<ComponentHealth> {
    const fn = this.o.store;
    if (fn === undefined) return Promise.resolve({ status: 'absent' });
    const cacheMs = this.o.storeCacheMs ?? 0;
    const now = performance.now();
    if (this.storeCache !== null && now - this.storeCache.at < cacheMs) {
      return Promise.resolve(this.storeCache.value);
    }
    // Checks arriving while a probe runs share it: one SELECT 1 however many ask.
    if (this.storeProbe !== null) return this.storeProbe;
    const p = (async (): Promise<ComponentHealth> => {
      try {
        const r = await probe(fn, timeoutMs);
        const value: ComponentHealth =
          r.status === 'ok' && r.latencyMs! > (this.o.storeSlowMs ?? 500)
            ? { ...r, status: 'degraded', detail: `SELECT 1 took ${r.latencyMs} ms` }
            : r;
        this.storeCache = { at: now, value };
        return value;
      } finally {
        this.storeProbe = null;
      }
    })();
    this.storeProbe = p;
    return p;
  }
}

async function probe(fn: (() => unknown) | undefined, timeoutMs: number): Promise<ComponentHealth> {
  if (fn === undefined) return { status: 'absent' };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([Promise.resolve().then(fn), timeout]);
    return { status: 'ok', latencyMs: Math.round((performance.now() - t0) * 1000) / 1000 };
  } catch (err) {
    return {
      status: 'degraded',
      detail: (err as Error)?.message ?? String(err),
      latencyMs: Math.round((performance.now() - t0) * 1000) / 1000,
    };
  } finally {
    clearTimeout(timer);
  }
}
