/**
 * What this process reports to Prometheus beyond one service's own JSON: the services
 * running here register their sections (stats providers, the order outcomes) and their
 * latency histograms while they run, and every HTTP app of the process serves them at
 * `/metrics` (http-app.ts's listen mounts it where a service has none of its own). So each
 * process, whether it runs one service or all four, is scraped as one target, and any of
 * its ports gives the same text. Histograms are rendered here in the Prometheus text
 * format (`_bucket{le}` cumulative, `_sum`, `_count`, seconds) from LatencyHistogram's
 * buckets; several histograms with one name and labels (two systems in one test process)
 * are added together.
 */
import type { FastifyInstance } from 'fastify';
import { beforeListenHooks } from '../http/http-app.ts';
import { type LatencyHistogram, PROM_BUCKETS_SECONDS } from '../stats/latency-histogram.ts';
import type { StatsProviders } from '../stats/stats-types.ts';
import { createPrometheusExporter, type PrometheusExporter, sendExposition } from './prometheus.ts';
import { type SystemSampler, startSystemSampler } from './system-stats.ts';
import type { WsHubStats } from './ws-hub/ws-hub-options.ts';

export interface TrackedHistogram {
  /** Metric name, ending in `_seconds`. */
  name: string;
  help: string;
  labels?: Record<string, string>;
  hist: LatencyHistogram;
}

/** Counts keyed `type|status` (orders answered by type and final HTTP outcome). */
export interface OutcomeCounts {
  readonly byTypeStatus: ReadonlyMap<string, number>;
}

export interface ProcessSections extends Partial<StatsProviders> {
  hub?: () => WsHubStats;
  orderOutcomes?: OutcomeCounts;
}

const sections = new Set<ProcessSections>();
const histograms = new Set<TrackedHistogram>();

/** Registers the sections of a running service; call the result when it stops. */
export function trackSections(s: ProcessSections): () => void {
  sections.add(s);
  return () => {
    sections.delete(s);
  };
}

/** Registers latency histograms; call the result when their owner stops. */
export function trackHistograms(...hs: TrackedHistogram[]): () => void {
  for (const h of hs) histograms.add(h);
  return () => {
    for (const h of hs) histograms.delete(h);
  };
}

/** The providers of every tracked section merged (the first registered wins per key). */
export function trackedProviders(): Partial<StatsProviders> & Pick<ProcessSections, 'hub'> {
  const out: Partial<StatsProviders> & Pick<ProcessSections, 'hub'> = {};
  for (const s of sections) {
    out.marketData ??= s.marketData;
    out.orders ??= s.orders;
    out.database ??= s.database;
    out.hub ??= s.hub;
  }
  return out;
}

function labelText(labels: Record<string, string> | undefined, le?: string): string {
  // the text format's escapes: backslash, double quote, newline
  const parts = Object.entries(labels ?? {}).map(
    ([k, v]) => `${k}="${v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
  );
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The tracked histograms and order outcomes in the Prometheus text format. */
export function renderProcessExtras(): string {
  const byName = new Map<string, { help: string; series: Map<string, TrackedHistogram[]> }>();
  for (const h of histograms) {
    let e = byName.get(h.name);
    if (e === undefined) byName.set(h.name, (e = { help: h.help, series: new Map() }));
    const key = labelText(h.labels);
    const list = e.series.get(key) ?? [];
    list.push(h);
    e.series.set(key, list);
  }
  let out = '';
  for (const [name, e] of byName) {
    out += `# HELP ${name} ${e.help}\n# TYPE ${name} histogram\n`;
    for (const list of e.series.values()) {
      const labels = list[0].labels;
      const buckets = new Float64Array(PROM_BUCKETS_SECONDS.length + 1);
      let count = 0;
      let sum = 0;
      for (const h of list) {
        for (let i = 0; i < buckets.length; i++) buckets[i] += h.hist.promBuckets[i];
        count += h.hist.promCount;
        sum += h.hist.promSumSeconds;
      }
      let cum = 0;
      for (let i = 0; i < PROM_BUCKETS_SECONDS.length; i++) {
        cum += buckets[i];
        out += `${name}_bucket${labelText(labels, String(PROM_BUCKETS_SECONDS[i]))} ${cum}\n`;
      }
      out += `${name}_bucket${labelText(labels, '+Inf')} ${count}\n`;
      out += `${name}_sum${labelText(labels)} ${sum}\n`;
      out += `${name}_count${labelText(labels)} ${count}\n`;
    }
  }
  const outcomes = new Map<string, number>();
  for (const s of sections) {
    for (const [k, n] of s.orderOutcomes?.byTypeStatus ?? []) outcomes.set(k, (outcomes.get(k) ?? 0) + n);
  }
  if (outcomes.size > 0) {
    const name = 'tickstorm_orders_total';
    out += `# HELP ${name} Orders answered, by order type and outcome (new, filled, ..., rejected)\n`;
    out += `# TYPE ${name} counter\n`;
    for (const [k, n] of outcomes) {
      const [type, status] = k.split('|');
      out += `${name}${labelText({ type, status })} ${n}\n`;
    }
  }
  return out;
}

let sampler: SystemSampler | undefined;
const exporters = new Map<string, PrometheusExporter>();

/**
 * The exposition of this process from the tracked sections (any service's port). One
 * exporter per set of sections present, so prom-client's default metrics keep their state
 * between scrapes.
 */
export async function scrapeProcess(): Promise<{ text: string; contentType: string }> {
  const p = trackedProviders();
  const key = `${p.marketData ? 'm' : ''}${p.orders ? 'o' : ''}${p.database ? 'd' : ''}${p.hub ? 'h' : ''}`;
  let e = exporters.get(key);
  if (e === undefined) {
    sampler ??= startSystemSampler();
    const s = sampler;
    // Providers resolved at scrape time: the sections present now (same key, same shape).
    const now = () => trackedProviders();
    const providers: StatsProviders = { system: () => s.stats() };
    if (p.marketData) providers.marketData = () => now().marketData!();
    if (p.orders) providers.orders = () => now().orders!();
    if (p.database) providers.database = () => now().database!();
    e = createPrometheusExporter({ providers, hub: p.hub ? () => now().hub!() : undefined });
    exporters.set(key, e);
  }
  return { text: await e.scrape(), contentType: e.contentType };
}

/** Mounts `GET /metrics` with this process's exposition (used by http-app.ts's listen). */
export function mountProcessMetrics(app: FastifyInstance): void {
  app.get('/metrics', async (req, reply) => sendExposition(req, reply, (await scrapeProcess()).text));
}

// Every service's app without a /metrics of its own serves the process's.
beforeListenHooks.push((_name, app) => {
  if (!app.hasRoute({ method: 'GET', url: '/metrics' })) mountProcessMetrics(app);
});
