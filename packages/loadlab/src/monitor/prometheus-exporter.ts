/**
 * The load generator's own figures for Prometheus while a run goes on: `GET /metrics` on a
 * small HTTP server (no dependency: the text format written here). Fed once a second with
 * each scenario's time slice (the same per-second series as the live progress line):
 *
 *   loadlab_requests_total{scenario}            requests completed (counter)
 *   loadlab_request_failures_total{scenario}    of which failed (counter)
 *   loadlab_active{scenario}                    active users (closed model) or requests in flight
 *   loadlab_request_duration_seconds{scenario,name,le}
 *                                               latency of every request so far, a cumulative
 *                                               histogram per scenario and request name (bounded:
 *                                               duration-histograms.ts), with _sum and _count;
 *                                               the swarm's also has the request's type label
 *   loadlab_request_latency_seconds{scenario,quantile}
 *                                               latency of the last second's requests (0.5, 0.95,
 *                                               0.99, 1 = max), as the generator measured it: a
 *                                               summary, with _sum and _count (every request so
 *                                               far, as the histogram's); NaN
 *                                               after a second without requests, and once no
 *                                               second has come for 3 s (a finished scenario)
 *   loadlab_checks_total, loadlab_script_*      a script's checks and custom metrics
 *                                               (script-figures.ts)
 *   loadlab_scenario_running{scenario}          1 while the scenario runs, 0 after
 *   process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds
 *                                               the generator process itself
 *
 * The histograms and the script's figures need each second's detail (observe's third
 * argument: the run records it when given an exporter, RunOptions.sliceDetail).
 *
 * At the end of a run `close()` waits for one more scrape from each scraper that has been
 * scraping (final-scrape.ts: a scraper is an address and User-Agent seen twice or more, lately),
 * so the last second's figures reach Prometheus: at most 1.5x the longest such scraper's
 * interval plus 1 s, and never more than 30 s. That scrape is one asked for after close() was
 * called (one already being answered may hold older figures). Scrapes by anything else (a curl
 * meanwhile) neither shorten the wait nor end it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_TEXT_CONTENT_TYPE,
  prefersOpenMetrics,
  toOpenMetrics,
} from '@tickstorm/protocol';
import type { TimeSlice } from '../model/result.ts';
import type { NameLatency, SliceDetail } from '../stats/slice-detail.ts';
import { DurationHistograms, MAX_REQUEST_NAMES } from './duration-histograms.ts';
import { Scrapers } from './final-scrape.ts';
import { Exposition } from './prom-text.ts';
import { ScriptFigures } from './script-figures.ts';

interface ScenarioFigures {
  requests: number;
  failures: number;
  /** The latencies of every request so far (µs), from each second's detail. */
  sumUs: number;
  active: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** When the quantiles' second was observed (performance.now()). */
  at: number;
  running: number;
}

const newFigures = (at: number, running: number): ScenarioFigures => ({
  requests: 0,
  failures: 0,
  sumUs: 0,
  active: 0,
  p50: 0,
  p95: 0,
  p99: 0,
  max: 0,
  at,
  running,
});

export interface LoadMetricsServer {
  readonly port: number;
  readonly url: string;
  /**
   * One second's slice of `scenario` (latencies in ms, as in TimeSlice), and its detail (per-name
   * latency buckets and the script's counters) when the run records it.
   */
  observe(scenario: string, slice: TimeSlice, detail?: SliceDetail): void;
  /** The scenario finished (its running gauge drops to 0). */
  finished(scenario: string): void;
  /** Script counters of `scenario` that belong to no second (k6's VUs initialised before the start). */
  addCounters(scenario: string, counters: Readonly<Record<string, number>>): void;
  /**
   * Figures of a part that ran outside the scenarios' seconds (setup()'s and teardown()'s, under
   * the scenario label '(setup)' / '(teardown)'): its requests, failures, latencies by name and
   * script counters, added once; its running and active gauges stay 0.
   */
  addPart(
    scenario: string,
    part: {
      requests: number;
      failures: number;
      latency: readonly NameLatency[];
      counters: Record<string, number>;
    },
  ): void;
  /** The exposition text (what GET /metrics answers). */
  render(): string;
  /** How long close() will wait for a final scrape (ms; 0 when nothing has been scraping). */
  finalScrapeWaitMs(): number;
  /** Stops serving, after the final scrape (see above) unless `wait` is false; `note` hears of a wait. */
  close(opts?: { wait?: boolean; note?: (line: string) => void }): Promise<void>;
}

type Row = [[string, string][], number];

export interface LoadMetricsOptions {
  /** 0 (default): a free port. */
  port?: number;
  /**
   * The address to listen on (default: env TICKSTORM_METRICS_HOST, else 127.0.0.1): 0.0.0.0 for
   * every interface, so that a Prometheus on another machine or in a container can scrape it.
   */
  host?: string;
  /** Request names a scenario's histogram keeps apart (default 100); the rest under name="(other)". */
  maxRequestNames?: number;
  /** Label the histogram's series with the request type too (the swarm's: Locust's type and name). */
  requestTypes?: boolean;
  /** The last second's quantiles are NaN once no second has been observed for this long (default 3,000 ms). */
  quantileMaxAgeMs?: number;
}

export async function startLoadMetricsServer(opts: LoadMetricsOptions = {}): Promise<LoadMetricsServer> {
  const figures = new Map<string, ScenarioFigures>();
  const durations = new DurationHistograms(
    opts.maxRequestNames ?? MAX_REQUEST_NAMES,
    opts.requestTypes === true,
  );
  const script = new ScriptFigures();
  const quantileMaxAgeMs = opts.quantileMaxAgeMs ?? 3000;
  const startSeconds = Date.now() / 1000 - process.uptime();
  const render = (): string => {
    const out = new Exposition();
    const family = (name: string, type: 'counter' | 'gauge' | 'summary', help: string, rows: Row[]) => {
      out.declare(name, type, help);
      for (const [labels, v] of rows) out.sample(name, type, help, labels, v);
    };
    const per = (pick: (f: ScenarioFigures) => number): Row[] =>
      [...figures].map(([s, f]) => [[['scenario', s]], pick(f)]);
    family(
      'loadlab_requests_total',
      'counter',
      'Requests completed by the generator',
      per((f) => f.requests),
    );
    family(
      'loadlab_request_failures_total',
      'counter',
      'Requests that failed',
      per((f) => f.failures),
    );
    family(
      'loadlab_active',
      'gauge',
      'Active users or requests in flight',
      per((f) => f.active),
    );
    family(
      'loadlab_scenario_running',
      'gauge',
      '1 while the scenario runs',
      per((f) => f.running),
    );
    durations.render(out);
    // a summary (a quantile label belongs to one): the quantiles of the last second's
    // requests, and the sum and count of every request so far (rate(_sum) / rate(_count) is
    // the mean, as of any summary); each scenario's samples together (OpenMetrics' MetricPoint)
    const summary = 'loadlab_request_latency_seconds';
    const summaryHelp = "Latency of the last second's requests, as measured by the generator";
    out.declare(summary, 'summary', summaryHelp);
    const now = performance.now();
    for (const [s, f] of figures) {
      // the last second's quantiles: none once no second has come for a while (the scenario ended)
      const old = now - f.at > quantileMaxAgeMs;
      for (const [quantile, ms] of [
        ['0.5', old ? Number.NaN : f.p50],
        ['0.95', old ? Number.NaN : f.p95],
        ['0.99', old ? Number.NaN : f.p99],
        ['1', old ? Number.NaN : f.max],
      ] as const) {
        const labels: [string, string][] = [
          ['scenario', s],
          ['quantile', quantile],
        ];
        out.sample(summary, 'summary', summaryHelp, labels, ms / 1000);
      }
      out.sample(summary, 'summary', summaryHelp, [['scenario', s]], f.sumUs / 1e6, '_sum');
      out.sample(summary, 'summary', summaryHelp, [['scenario', s]], f.requests, '_count');
    }
    script.render(out);
    const cpu = process.cpuUsage();
    family('process_cpu_seconds_total', 'counter', 'Generator CPU time (user + system)', [
      [[], (cpu.user + cpu.system) / 1e6],
    ]);
    family('process_resident_memory_bytes', 'gauge', 'Generator resident set size', [
      [[], process.memoryUsage.rss()],
    ]);
    family('process_start_time_seconds', 'gauge', 'Generator start, epoch seconds', [[[], startSeconds]]);
    return out.text();
  };
  const scrapers = new Scrapers();
  let onScrape: ((scraper: string) => void) | undefined;
  let closing = false;
  const server: Server = createServer((req, res) => {
    const metrics = (req.url ?? '').split('?')[0] === '/metrics';
    // OpenMetrics when the scraper prefers it (Prometheus does), else the text format
    const om = prefersOpenMetrics(req.headers.accept);
    const head = {
      'content-type': om ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_TEXT_CONTENT_TYPE,
      vary: 'Accept',
    };
    if (metrics && req.method === 'GET') {
      const scraper = scrapers.seen(req);
      // only a scrape asked for after close() holds the final figures
      const final = closing;
      res.writeHead(200, head);
      res.end(om ? toOpenMetrics(render()) : render(), () => {
        if (final) onScrape?.(scraper);
      });
    } else if (metrics && req.method === 'HEAD') {
      // what a GET would answer, without the body (and not a scrape: no figures were read)
      res.writeHead(200, head);
      res.end();
    } else if (metrics) {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
      res.end('GET /metrics only\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('only GET /metrics here\n');
    }
  });
  const host = opts.host ?? (process.env.TICKSTORM_METRICS_HOST || '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    observe(scenario, s, detail) {
      let f = figures.get(scenario);
      if (f === undefined) {
        f = newFigures(0, 1);
        figures.set(scenario, f);
      }
      f.requests += s.requests;
      f.failures += s.failures;
      f.active = s.active;
      f.running = 1;
      // a second without requests has no quantiles (NaN, as Prometheus' clients write an
      // empty summary window), not the last busy second's held on
      const none = s.requests > 0 ? undefined : Number.NaN;
      f.p50 = none ?? s.p50;
      f.p95 = none ?? s.p95;
      f.p99 = none ?? s.p99;
      f.max = none ?? s.max;
      f.at = performance.now();
      if (detail !== undefined) {
        f.sumUs += sumUsOf(detail.latency);
        durations.add(scenario, detail.latency);
        script.add(scenario, detail.counters);
      }
    },
    addCounters(scenario, counters) {
      script.add(scenario, counters);
    },
    addPart(scenario, part) {
      let f = figures.get(scenario);
      if (f === undefined) {
        // its quantiles are of no second (NaN): `at` is long past
        f = newFigures(-Infinity, 0);
        figures.set(scenario, f);
      }
      f.requests += part.requests;
      f.failures += part.failures;
      f.sumUs += sumUsOf(part.latency);
      durations.add(scenario, part.latency);
      script.add(scenario, part.counters);
    },
    finished(scenario) {
      const f = figures.get(scenario);
      if (f !== undefined) {
        f.running = 0;
        f.active = 0;
      }
    },
    render,
    finalScrapeWaitMs,
    async close({ wait = true, note }: { wait?: boolean; note?: (line: string) => void } = {}) {
      closing = true;
      const ms = wait ? finalScrapeWaitMs() : 0;
      if (ms > 0) {
        note?.(`generator metrics: waiting up to ${(ms / 1000).toFixed(1)} s for the last scrape`);
        const pending = scrapers.regular();
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          onScrape = (scraper) => {
            pending.delete(scraper);
            if (pending.size > 0) return;
            clearTimeout(t);
            resolve();
          };
        });
      }
      onScrape = undefined;
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  function finalScrapeWaitMs(): number {
    return scrapers.finalWaitMs();
  }
}

function sumUsOf(latency: readonly NameLatency[]): number {
  let us = 0;
  for (const n of latency) us += n.sumUs;
  return us;
}
