/**
 * `GET /metrics`: Prometheus text exposition of the same figures as /api/metrics/*, from a
 * private prom-client Registry (never the global one, so several services in one process
 * do not collide). Values are collected at scrape time: the route takes one snapshot of
 * every provider, then each metric's `collect` callback reads that snapshot. Only the
 * sections this process runs are registered. prom-client's default process metrics
 * (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, ...) are in the same registry.
 * Latencies are histograms in seconds (`tickstorm_*_seconds_bucket{le}`, from process-metrics.ts).
 * Every name passes `promtool check metrics`: base units, `_total` only on counters, no
 * `quantile` label outside a summary. prom-client's `nodejs_active_{handles,requests,resources}_total`
 * are gauges named like counters, so they are left out (their per-type gauges stay: `sum()` them).
 */
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
  prefersOpenMetrics,
  toOpenMetrics,
} from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type {
  DatabaseStats,
  MarketDataStats,
  OrderStats,
  StatsProviders,
  SystemStats,
} from '../stats/stats-types.ts';
import { renderProcessExtras } from './process-metrics.ts';
import type { WsHubStats } from './ws-hub/ws-hub-options.ts';

interface Snapshot {
  marketData?: MarketDataStats;
  orders?: OrderStats;
  database?: DatabaseStats;
  system?: SystemStats;
  hub?: WsHubStats;
}

export interface PrometheusExporter {
  readonly registry: Registry;
  readonly contentType: string;
  /** Snapshots the providers and renders the exposition text. */
  scrape(): Promise<string>;
}

export interface PrometheusSources {
  providers: StatsProviders;
  hub?: () => WsHubStats;
  /** With a NATS bus: every instance heard, for `tickstorm_instance_up{service,instance_id}`. */
  instances?: () => readonly { instanceId: string; services: readonly string[]; status: 'up' | 'down' }[];
}

/** prom-client default metrics that are gauges with a counter's `_total` suffix. */
const GAUGES_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createPrometheusExporter(src: PrometheusSources): PrometheusExporter {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_TOTAL) registry.removeSingleMetric(name);
  let snap: Snapshot = {};
  const registers = [registry];

  function gauge<K extends keyof Snapshot>(key: K, name: string, help: string, pick: Read<K>): void {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const s = snap[key];
        if (s !== undefined) this.set(pick(s as NonNullable<Snapshot[K]>));
      },
    });
  }
  function counter<K extends keyof Snapshot>(key: K, name: string, help: string, pick: Read<K>): void {
    new Counter({
      name,
      help,
      registers,
      collect() {
        const s = snap[key];
        if (s === undefined) return;
        this.reset();
        this.inc(Math.max(0, pick(s as NonNullable<Snapshot[K]>) || 0));
      },
    });
  }
  function byReason<K extends keyof Snapshot>(key: K, name: string, help: string, pick: ReadMap<K>): void {
    new Counter({
      name,
      help,
      labelNames: ['reason'],
      registers,
      collect() {
        const s = snap[key];
        if (s === undefined) return;
        this.reset();
        for (const [reason, n] of Object.entries(pick(s as NonNullable<Snapshot[K]>))) {
          this.inc({ reason }, Math.max(0, n || 0));
        }
      },
    });
  }

  const p = src.providers;
  const md = 'tickstorm_market_data_';
  if (p.marketData !== undefined) {
    counter('marketData', `${md}ticks_received_total`, 'Ticks received', (s) => s.ticksReceived);
    counter('marketData', `${md}ticks_processed_total`, 'Ticks applied', (s) => s.ticksProcessed);
    counter('marketData', `${md}ticks_rejected_total`, 'Ticks rejected', (s) => s.ticksRejected);
    byReason(
      'marketData',
      `${md}ticks_rejected_by_reason_total`,
      'Rejected ticks',
      (s) => s.rejectedByReason,
    );
    counter('marketData', `${md}frames_received_total`, 'Ingest frames received', (s) => s.framesReceived);
    gauge('marketData', `${md}ticks_per_second`, 'Ticks per second (5 s window)', (s) => s.ticksPerSecond);
    gauge('marketData', `${md}connections`, 'Ingest connections', (s) => s.connections);
    gauge('marketData', `${md}symbols`, 'Symbols with market state', (s) => s.symbols);
  }
  const o = 'tickstorm_orders_';
  if (p.orders !== undefined) {
    counter('orders', `${o}received_total`, 'Orders received', (s) => s.ordersReceived);
    counter('orders', `${o}accepted_total`, 'Orders accepted', (s) => s.ordersAccepted);
    counter('orders', `${o}rejected_total`, 'Orders rejected', (s) => s.ordersRejected);
    byReason('orders', `${o}rejected_by_reason_total`, 'Rejected orders', (s) => s.rejectedByReason);
    counter('orders', `${o}filled_total`, 'Orders filled', (s) => s.ordersFilled);
    counter('orders', `${o}cancelled_total`, 'Orders cancelled', (s) => s.ordersCancelled);
    counter('orders', 'tickstorm_trades_total', 'Trades', (s) => s.trades);
    gauge('orders', `${o}per_second`, 'Orders per second (5 s window)', (s) => s.ordersPerSecond);
    gauge('orders', `${o}live`, 'Resting orders', (s) => s.liveOrders);
  }
  const db = 'tickstorm_database_';
  if (p.database !== undefined) {
    gauge('database', `${db}rows`, 'Rows in trading_metrics', (s) => s.rows);
    gauge('database', `${db}inserts_per_second`, 'Rows inserted per second', (s) => s.insertsPerSecond);
    gauge('database', `${db}pending`, 'Records waiting for a batch insert', (s) => s.pending);
    counter('database', `${db}dropped_total`, 'Records dropped', (s) => s.dropped);
    counter('database', `${db}failed_rows_total`, 'Rows lost in failed flushes', (s) => s.failedRows ?? 0);
    counter('database', `${db}failed_flushes_total`, 'Failed batch inserts', (s) => s.failedFlushes ?? 0);
  }
  const sy = 'tickstorm_system_';
  gauge('system', `${sy}rss_bytes`, 'Resident set size', (s) => s.rssBytes);
  gauge('system', `${sy}heap_used_bytes`, 'V8 heap used', (s) => s.heapUsedBytes);
  gauge('system', `${sy}heap_total_bytes`, 'V8 heap total', (s) => s.heapTotalBytes);
  gauge(
    'system',
    `${sy}event_loop_utilization`,
    'Event-loop utilisation 0..1',
    (s) => s.eventLoopUtilization,
  );
  const ws = 'tickstorm_ws_';
  if (src.hub !== undefined) {
    gauge('hub', `${ws}clients`, 'WebSocket clients', (s) => s.clients);
    gauge('hub', `${ws}subscriptions`, 'Symbol subscriptions', (s) => s.subscriptions);
    counter(
      'hub',
      `${ws}updates_received_total`,
      'Bus updates for subscribed symbols',
      (s) => s.updatesReceived,
    );
    counter(
      'hub',
      `${ws}updates_coalesced_total`,
      'Updates replaced before a flush',
      (s) => s.updatesCoalesced,
    );
    counter('hub', `${ws}messages_sent_total`, 'Update frames written', (s) => s.messagesSent);
    counter('hub', `${ws}bytes_sent_total`, 'Update bytes written', (s) => s.bytesSent);
    counter('hub', `${ws}conflated_total`, 'Writes withheld from slow clients', (s) => s.conflated);
    gauge('hub', `${ws}slow_clients`, 'Clients behind right now', (s) => s.slowClients);
    counter('hub', `${ws}slow_disconnects_total`, 'Slow clients disconnected', (s) => s.slowDisconnects);
    counter(
      'hub',
      `${ws}credit_waits_total`,
      'Times a client ran out of round-trip credit (conflated until its pong)',
      (s) => s.creditWaits,
    );
    counter(
      'hub',
      `${ws}paced_total`,
      'Writes held back by a paced client (it got the latest at its interval end)',
      (s) => s.paced,
    );
    gauge('hub', `${ws}paced_clients`, 'Clients paced by slow round trips', (s) => s.pacedClients);
  }

  const instances = src.instances;
  if (instances !== undefined) {
    new Gauge({
      name: 'tickstorm_instance_up',
      help: 'An instance of a service heard on the bus: 1 up (a heartbeat within 1.5 s), 0 down',
      // Not `instance`: Prometheus sets that label to the scrape target and would rename this one.
      labelNames: ['service', 'instance_id'],
      registers,
      collect() {
        this.reset();
        for (const i of instances()) {
          for (const service of i.services)
            this.set({ service, instance_id: i.instanceId }, i.status === 'up' ? 1 : 0);
        }
      },
    });
  }

  return {
    registry,
    contentType: registry.contentType,
    async scrape(): Promise<string> {
      snap = {
        marketData: p.marketData?.(),
        orders: p.orders?.(),
        database: p.database === undefined ? undefined : await p.database(),
        system: p.system(),
        hub: src.hub?.(),
      };
      try {
        // Base-unit latency histograms and orders by type and outcome (process-metrics.ts).
        return (await registry.metrics()) + renderProcessExtras();
      } finally {
        snap = {};
      }
    },
  };
}

type Read<K extends keyof Snapshot> = (s: NonNullable<Snapshot[K]>) => number;
type ReadMap<K extends keyof Snapshot> = (s: NonNullable<Snapshot[K]>) => Record<string, number>;

export function registerPrometheusRoute(app: FastifyInstance, exporter: PrometheusExporter): void {
  app.get('/metrics', async (req, reply) => sendExposition(req, reply, await exporter.scrape()));
}

/**
 * Answers a scrape with `text` (the text format) as the scraper's Accept prefers: OpenMetrics
 * 1.0.0 (Prometheus's first choice) or the text format (@tickstorm/protocol open-metrics.ts).
 */
export function sendExposition(req: FastifyRequest, reply: FastifyReply, text: string): FastifyReply {
  reply.header('vary', 'Accept');
  if (prefersOpenMetrics(req.headers.accept)) {
    return reply.header('content-type', OPENMETRICS_CONTENT_TYPE).send(toOpenMetrics(text));
  }
  return reply.header('content-type', PROMETHEUS_TEXT_CONTENT_TYPE).send(text);
}
