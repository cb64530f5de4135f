/**
 * `--out json=FILE`: k6's JSON output, streamed while the run goes. One line per metric sample,
 * after one "Metric" line the first time a metric appears:
 *
 *   {"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}
 *   {"type":"Point","data":{"time":"2026-12-04T23:10:00.123Z","value":1.234,"tags":{"method":"GET","name":"/health","scenario":"s","status":"200"}},"metric":"http_req_duration"}
 *
 * Each HTTP request gives http_req_duration (ms), http_reqs (1) and http_req_failed (0/1) (a
 * script's requests also http_req_blocked, _connecting, _tls_handshaking, _sending, _waiting,
 * _receiving and data_sent; the whole test's vus and vus_max once a second, script/vus-out.ts);
 * other request types (WS, DB, ...) give `lab_request_duration` with a `type` tag. A script's
 * checks, iterations and custom metrics come through `sample`. Buffered,
 * written with writeSync in 1 MiB pieces.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { LabError, LabErrorCode } from '../errors.ts';

const HTTP = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const KINDS: Record<string, [type: string, contains: string]> = {
  http_req_duration: ['trend', 'time'],
  http_req_blocked: ['trend', 'time'],
  http_req_connecting: ['trend', 'time'],
  http_req_tls_handshaking: ['trend', 'time'],
  http_req_sending: ['trend', 'time'],
  http_req_waiting: ['trend', 'time'],
  http_req_receiving: ['trend', 'time'],
  data_sent: ['counter', 'data'],
  vus: ['gauge', 'default'],
  vus_max: ['gauge', 'default'],
  http_reqs: ['counter', 'default'],
  http_req_failed: ['rate', 'default'],
  lab_request_duration: ['trend', 'time'],
  data_received: ['counter', 'data'],
  dropped_iterations: ['counter', 'default'],
};

/** What fits instead of one of k6's outputs that is not here (`--out NAME[=...]`). */
const K6_OUTPUTS: Record<string, string> = {
  csv: '--results-csv FILE writes one row per request',
  'experimental-prometheus-rw': 'prometheus[=PORT] serves the figures for Prometheus to scrape',
  'experimental-opentelemetry': 'prometheus[=PORT] serves the figures for Prometheus to scrape',
  'web-dashboard': '--html FILE writes a report with charts',
  cloud: '--html FILE writes a report with charts',
};

/** Parses the value of --out; problems name the flag. */
export function parseOut(values: readonly string[], problems: string[]): { json?: string } {
  const out: { json?: string } = {};
  for (const v of values) {
    const m = /^json=(.+)$/.exec(v);
    if (m !== null && m[1] !== '-') {
      if (out.json === undefined) out.json = m[1];
      else
        problems.push(
          `--out json=${m[1]}: --out json= is given once a run (it already streams to ${out.json})`,
        );
      continue;
    }
    const name = /^[^=]*/.exec(v)?.[0] ?? v;
    const instead =
      name === 'json'
        ? "json=FILE needs a file: k6's stream to stdout (json, json=-) is not offered"
        : name in K6_OUTPUTS
          ? `k6's ${name} output is not here: ${K6_OUTPUTS[name]}`
          : undefined;
    problems.push(
      `--out must be json=FILE or prometheus[=PORT] (got '${v}')${instead === undefined ? '' : `; ${instead}`}`,
    );
  }
  return out;
}

export class K6JsonOut {
  private readonly fd: number;
  private chunks: string[] = [];
  private size = 0;
  private readonly declared = new Set<string>();
  /** The kinds of the metrics `sample` brought (the script's own). */
  private readonly kinds = new Map<string, [type: string, contains: string]>();
  private closed = false;

  /**
   * `thresholds`: each metric's threshold expressions, listed in its Metric line as k6 lists
   * them (a script's options.thresholds on the metric itself; a tagged key is not the metric's).
   */
  constructor(
    readonly path: string,
    private readonly thresholds: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    this.fd = openSync(path, 'w');
  }

  /**
   * One finished request: start (epoch s), latency (ms), outcome, "TYPE name", status,
   * scenario, and the run's own tags (a script's options.tags), under the request's.
   */
  request(
    startSec: number,
    latencyMs: number,
    ok: boolean,
    typeAndName: string,
    status: number,
    scenario: string,
    extra?: Record<string, string>,
  ) {
    if (this.closed) throw new LabError(LabErrorCode.INTERNAL, `K6JsonOut: write after close (${this.path})`);
    const cut = typeAndName.indexOf(' ');
    const type = cut < 0 ? typeAndName : typeAndName.slice(0, cut);
    const name = cut < 0 ? '' : typeAndName.slice(cut + 1);
    const time = new Date(startSec * 1000 + latencyMs).toISOString();
    const ms = Math.round(latencyMs * 1000) / 1000;
    if (HTTP.has(type)) {
      const tags = JSON.stringify({
        ...extra,
        method: type,
        name,
        scenario,
        status: String(status),
        expected_response: String(ok),
      });
      this.point('http_req_duration', time, ms, tags);
      this.point('http_reqs', time, 1, tags);
      this.point('http_req_failed', time, ok ? 0 : 1, tags);
    } else {
      const tags = JSON.stringify({ ...extra, type, name, scenario, ok: String(ok) });
      this.point('lab_request_duration', time, ms, tags);
    }
  }

  /**
   * Any other sample, as it happens: a script's checks (rate, `check` tag), iterations and
   * custom metrics (counter, rate 0/1, trend in ms).
   */
  sample(metric: string, kind: string, value: number, tags: Record<string, string>): void {
    if (this.closed) throw new LabError(LabErrorCode.INTERNAL, `K6JsonOut: write after close (${this.path})`);
    if (KINDS[metric] === undefined && !this.kinds.has(metric))
      this.kinds.set(metric, [kind, kind === 'trend' ? 'time' : 'default']);
    // a tag is text, as in k6 (a script's `add(1, { id: 5 })` streams "5")
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(tags)) if (v !== undefined && v !== null) text[k] = String(v);
    this.point(metric, new Date().toISOString(), Math.round(value * 1000) / 1000, JSON.stringify(text));
  }

  private point(metric: string, time: string, value: number, tags: string): void {
    if (!this.declared.has(metric)) {
      this.declared.add(metric);
      const [type, contains] = KINDS[metric] ?? this.kinds.get(metric)!;
      const thresholds = JSON.stringify(this.thresholds.get(metric) ?? []);
      this.push(
        `{"type":"Metric","data":{"name":"${metric}","type":"${type}","contains":"${contains}","thresholds":${thresholds},"submetrics":null},"metric":"${metric}"}\n`,
      );
    }
    this.push(
      `{"type":"Point","data":{"time":"${time}","value":${value},"tags":${tags}},"metric":"${metric}"}\n`,
    );
  }

  private push(line: string): void {
    this.chunks.push(line);
    this.size += line.length;
    if (this.size >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    writeSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
