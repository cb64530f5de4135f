/**
 * The api's /api/metrics sections for the whole system, from the instances that run each
 * service (the cluster view's UP instances; this process's own from its live providers).
 *
 * - Counters and rates are summed; `connections`, `liveOrders` summed too; `symbols` is the
 *   largest (instances of one feed see the same symbols) .
 * - Latency summaries: `count` summed, `mean` weighted by count; p50/p95/p99/max are the
 *   LARGEST of the instances' percentiles: an upper bound of the true merged percentile
 *   (the merged distribution's p99 is never above the worst instance's p99), exact with one
 *   instance. Heartbeats carry summaries, not histograms, so no exact merge is possible.
 * - `instances` lists who contributed: [{instanceId, host, pid}]; `merge` names the rule.
 *
 * A stopped instance drops out of the sums: Prometheus counters built on them can go down
 * (a counter reset to Prometheus; rate() handles it).
 */
import type { LatencySummary, MarketDataStats, OrderStats } from '../stats/stats-types.ts';
import type { ClusterView } from './cluster-view.ts';
import type { HeartbeatStats } from './heartbeat.ts';

export const LATENCY_MERGE =
  'counts and rates summed; percentiles: the largest instance value (an upper bound)';

export interface Contributor {
  instanceId: string;
  host: string;
  pid: number;
}

export type Merged<T> = T & { instances: Contributor[]; merge: string };

export function mergeLatency(list: readonly LatencySummary[]): LatencySummary {
  let count = 0;
  let sum = 0;
  const out = { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  for (const l of list) {
    count += l.count;
    sum += l.mean * l.count;
    out.p50 = Math.max(out.p50, l.p50);
    out.p95 = Math.max(out.p95, l.p95);
    out.p99 = Math.max(out.p99, l.p99);
    out.max = Math.max(out.max, l.max);
  }
  out.count = count;
  out.mean = count === 0 ? 0 : Math.round((sum / count) * 1000) / 1000;
  return out;
}

function sumRecords(list: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of list) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

const sum = <T>(list: readonly T[], f: (x: T) => number) => list.reduce((n, x) => n + (f(x) || 0), 0);

export function mergeMarketData(list: readonly MarketDataStats[]): MarketDataStats {
  return {
    ticksReceived: sum(list, (s) => s.ticksReceived),
    ticksProcessed: sum(list, (s) => s.ticksProcessed),
    ticksRejected: sum(list, (s) => s.ticksRejected),
    rejectedByReason: sumRecords(list.map((s) => s.rejectedByReason)),
    framesReceived: sum(list, (s) => s.framesReceived),
    ticksPerSecond: sum(list, (s) => s.ticksPerSecond),
    connections: sum(list, (s) => s.connections),
    symbols: list.reduce((m, s) => Math.max(m, s.symbols), 0),
    processingLatencyMs: mergeLatency(list.map((s) => s.processingLatencyMs)),
  };
}

export function mergeOrders(list: readonly OrderStats[]): OrderStats {
  return {
    ordersReceived: sum(list, (s) => s.ordersReceived),
    ordersAccepted: sum(list, (s) => s.ordersAccepted),
    ordersRejected: sum(list, (s) => s.ordersRejected),
    rejectedByReason: sumRecords(list.map((s) => s.rejectedByReason)),
    ordersFilled: sum(list, (s) => s.ordersFilled),
    ordersCancelled: sum(list, (s) => s.ordersCancelled),
    trades: sum(list, (s) => s.trades),
    ordersPerSecond: sum(list, (s) => s.ordersPerSecond),
    liveOrders: sum(list, (s) => s.liveOrders),
    latencyMs: mergeLatency(list.map((s) => s.latencyMs)),
  };
}

/**
 * A section of every UP instance: this process's from `local` (current), the others' from
 * their last beat.
 */
export function sectionOf<K extends keyof HeartbeatStats>(
  view: ClusterView,
  key: K,
  local: (() => NonNullable<HeartbeatStats[K]>) | undefined,
): { values: NonNullable<HeartbeatStats[K]>[]; instances: Contributor[] } {
  const values: NonNullable<HeartbeatStats[K]>[] = [];
  const instances: Contributor[] = [];
  for (const s of view.instances()) {
    if (!s.up) continue;
    const mine = s.hb.instanceId === view.self;
    const v = mine && local !== undefined ? local() : s.hb.stats[key];
    if (v === undefined || v === null) continue;
    values.push(v as NonNullable<HeartbeatStats[K]>);
    instances.push({ instanceId: s.hb.instanceId, host: s.hb.host, pid: s.hb.pid });
  }
  return { values, instances };
}

export function clusterMarketData(view: ClusterView, local?: () => MarketDataStats): Merged<MarketDataStats> {
  const { values, instances } = sectionOf(view, 'marketData', local);
  return { ...mergeMarketData(values), instances, merge: LATENCY_MERGE };
}

export function clusterOrders(view: ClusterView, local?: () => OrderStats): Merged<OrderStats> {
  const { values, instances } = sectionOf(view, 'orders', local);
  return { ...mergeOrders(values), instances, merge: LATENCY_MERGE };
}
