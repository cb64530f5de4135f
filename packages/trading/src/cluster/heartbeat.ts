/**
 * Heartbeats: with a NATS bus every process publishes `Subject.HEARTBEAT` every 500 ms
 * (HEARTBEAT_INTERVAL_MS): who it is (instanceId, pid, host, start), what it runs (services,
 * symbols, HTTP URLs), its bus state, the health of its own parts (journal, metrics store,
 * metric rows forwarded) and the stats sections it owns (market data, orders, risk,
 * system). The cluster view (./cluster-view.ts) keeps the last one per instance; nothing
 * else is needed to join: a restarted process (a new instanceId) just starts heartbeating.
 *
 * A section is read when the beat is built (every 500 ms): a few HdrHistogram percentiles,
 * well under a millisecond. A provider that throws leaves its section out and says why in
 * `health.problems` (the beat itself is never skipped: silence means "down").
 */
import { hostname } from 'node:os';
import type { Bus, BusState } from '../bus/bus.ts';
import type { ServiceName } from '../config/service-config.ts';
import type { MarketDataStats, OrderStats, SystemStats } from '../stats/stats-types.ts';
import { Subject } from './subjects.ts';

export const HEARTBEAT_INTERVAL_MS = 500;

/** The risk manager's summary: accounts known and the limits in force. */
export interface RiskSummary {
  accounts: number;
  limits: unknown;
}

/** A process's metrics writer (PostgreSQL: every process writes) or row forwarder (DuckDB elsewhere). */
export interface RowsSummary {
  /** 'writer': writes into the store itself; 'forward': publishes on Subject.METRIC_ROWS. */
  mode: 'writer' | 'forward';
  rows: number;
  dropped: number;
  failedRows: number;
  pending: number;
}

export interface HeartbeatHealth {
  journal?: { healthy: boolean; writeErrors: number; durability: string };
  store?: { ok: boolean; detail?: string };
  /** Anything wrong in this process (a provider that threw, a journal that refuses writes). */
  problems: string[];
}

export interface HeartbeatStats {
  marketData?: MarketDataStats;
  orders?: OrderStats;
  risk?: RiskSummary;
  system?: SystemStats;
  rows?: RowsSummary;
}

export interface Heartbeat {
  instanceId: string;
  /** Beats sent by this instance so far (an older one arriving late is ignored). */
  seq: number;
  pid: number;
  host: string;
  services: ServiceName[];
  /** The symbols its execution engine owns; null = all. */
  symbols: string[] | null;
  /** Epoch ms. */
  startedAt: number;
  sentAt: number;
  bus: BusState;
  urls: Partial<Record<ServiceName, string>>;
  health: HeartbeatHealth;
  stats: HeartbeatStats;
}

export interface HeartbeatSource {
  services: readonly ServiceName[];
  symbols?: readonly string[];
  urls: () => Partial<Record<ServiceName, string>>;
  marketData?: () => MarketDataStats;
  orders?: () => OrderStats;
  risk?: () => RiskSummary;
  system?: () => SystemStats;
  rows?: () => RowsSummary | undefined;
  journal?: () => { healthy: boolean; writeErrors: number; durability: string };
  store?: () => { ok: boolean; detail?: string };
}

export interface HeartbeatOptions {
  intervalMs?: number;
  /** Also handed every beat built here (the local cluster view: this process never waits on its own echo). */
  local?: (hb: Heartbeat) => void;
}

/** Builds one beat (exported for tests and for the first beat at start). */
export class HeartbeatBuilder {
  private seq = 0;
  readonly startedAt = Date.now();
  readonly host = hostname();

  constructor(
    private readonly bus: Bus,
    private readonly src: HeartbeatSource,
  ) {}

  build(): Heartbeat {
    const s = this.src;
    const problems: string[] = [];
    const read = <T>(what: string, fn: (() => T) | undefined): T | undefined => {
      if (fn === undefined) return undefined;
      try {
        return fn();
      } catch (err) {
        problems.push(`${what}: ${(err as Error)?.message ?? String(err)}`);
        return undefined;
      }
    };
    const journal = read('journal', s.journal);
    if (journal !== undefined && !journal.healthy) {
      problems.push(`journal refuses writes (${journal.writeErrors} write errors)`);
    }
    const store = read('store', s.store);
    if (store !== undefined && !store.ok) problems.push(`metrics store: ${store.detail ?? 'failing'}`);
    return {
      instanceId: this.bus.instanceId,
      seq: ++this.seq,
      pid: process.pid,
      host: this.host,
      services: [...s.services],
      symbols: s.symbols === undefined ? null : [...s.symbols],
      startedAt: this.startedAt,
      sentAt: Date.now(),
      bus: this.bus.state(),
      urls: read('urls', s.urls) ?? {},
      health: { journal, store, problems },
      stats: {
        marketData: read('market-data stats', s.marketData),
        orders: read('orders stats', s.orders),
        risk: read('risk summary', s.risk),
        system: read('system stats', s.system),
        rows: read('metric rows', s.rows),
      },
    };
  }
}

/** Publishes a beat now and every `intervalMs`; returns the stop function. */
export function startHeartbeats(bus: Bus, src: HeartbeatSource, o: HeartbeatOptions = {}): () => void {
  const builder = new HeartbeatBuilder(bus, src);
  const beat = (): void => {
    const hb = builder.build();
    o.local?.(hb);
    bus.publish(Subject.HEARTBEAT, hb);
  };
  beat();
  const timer = setInterval(beat, o.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  // Back on the bus: say so at once rather than at the next tick.
  const off = bus.onState((s) => {
    if (s === 'connected') beat();
  });
  return () => {
    clearInterval(timer);
    off();
  };
}
