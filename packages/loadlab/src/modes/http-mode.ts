/**
 * `tickstorm http URL`: a generic HTTP load mode with autocannon/wrk2-style knobs. With a
 * rate (-R) it is the open model (constant-arrival-rate over -c connections; as in wrk2 a
 * request due while every connection is busy waits for one, its latency counted from its
 * intended start; up to `maxVUs` requests (default: one second of the rate) may be in
 * flight or waiting, beyond that they are dropped and counted). Without a rate it is the
 * closed model (constant-vus = connections, each looping as fast as the target answers), with
 * read coalescing when asked for (clients/read-coalescing.ts).
 */
import type { HttpRequestSpec } from '../clients/http-request.ts';
import type { TlsOptions } from '../clients/tls-options.ts';
import type { ExecutorOptions } from '../generator/executor-options.ts';
import { type RunOutcome, runScenario } from '../generator/run-scenario.ts';
import type { SliceListener } from '../stats/slice-detail.ts';
import type { HttpLoadParams } from './http-load-script.ts';

export interface HttpModeOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** Requests per second (open model); undefined = closed model. */
  rate?: number;
  /** Open model: requests in flight or waiting for a connection before drops (default max(c, rate)). */
  maxVUs?: number;
  method?: string;
  headers?: [string, string][];
  body?: string;
  timeoutMs?: number;
  workers?: number | 'auto';
  /** Each second as it closes (and its detail with `sliceDetail`). */
  onSlice?: SliceListener;
  /** Each second also carries its detail (per-name latency buckets: a Prometheus exporter reads them). */
  sliceDetail?: boolean;
  signal?: AbortSignal;
  /** https: --insecure / --ca / --cert / --key. */
  tls?: TlsOptions;
  /** Closed model: nap after turns that read few responses (default false; clients/read-coalescing.ts). */
  coalesceReads?: boolean;
}

/** The --json document: the minimum fields first, then the rest. */
export interface HttpSummaryJson {
  requests: number;
  errors: number;
  rps: number;
  latency_ms: { p50: number; p90: number; p95: number; p99: number; max: number; min: number; mean: number };
  duration_s: number;
  url: string;
  model: 'open' | 'closed';
  connections: number;
  target_rps: number | null;
  dropped: number;
  /** Open model: how late the generator started requests (included in the latency). */
  start_lag_ms: { p50: number; p99: number; max: number } | null;
  timeouts: number;
  /**
   * Requests still in flight (or waiting for a connection) when the run ended, its graceful stop
   * (the --timeout, at most 2 s) included: neither answered nor failed, so in none of the counts
   * above (k6's interrupted iterations).
   */
  interrupted: number;
  /** Responses whose status is not 2xx (a timeout or a socket error is neither). */
  non2xx: number;
  /** Requests that got no response for another reason than the timeout: refused, reset, TLS, ... */
  socket_errors: number;
  status: Record<string, number>;
  bytes: number;
  generator: {
    cpu_s: number;
    /** cpu_s split: user space (the generator's own code and Node) and kernel (syscalls, TCP, scheduling). */
    cpu_user_s: number;
    cpu_system_s: number;
    cpu_percent: number;
    requests_per_cpu_s: number;
    workers: number;
    event_loop_lag_ms: { p50: number; p99: number; max: number };
    saturated: boolean;
    warnings: string[];
    /** Closed model: naps taken by read coalescing and the time they slept, measured (0 when off). */
    read_naps: number;
    read_nap_ms: number;
  };
}

export const HTTP_SCRIPT = new URL('./http-load-script.ts', import.meta.url);
/** The WebSocket send script (ws-send-script.ts), for runScenario's `script.module`. */
export const WS_SEND_SCRIPT = new URL('./ws-send-script.ts', import.meta.url);

export function httpExecutor(o: HttpModeOptions): ExecutorOptions {
  const duration = `${o.durationSec}s`;
  const gracefulStop = `${Math.min(o.timeoutMs ?? 10_000, 2000)}ms`;
  if (o.rate !== undefined) {
    return {
      executor: 'constant-arrival-rate',
      rate: o.rate,
      timeUnit: '1s',
      duration,
      preAllocatedVUs: o.connections,
      maxVUs: Math.max(o.connections, o.maxVUs ?? Math.ceil(o.rate)),
      gracefulStop,
    };
  }
  return { executor: 'constant-vus', vus: o.connections, duration, gracefulStop };
}

export async function runHttpMode(
  o: HttpModeOptions,
): Promise<{ outcome: RunOutcome; json: HttpSummaryJson }> {
  const request: HttpRequestSpec = { method: o.method ?? 'GET', headers: o.headers ?? [] };
  if (o.body !== undefined) request.body = o.body;
  const params: HttpLoadParams = {
    url: o.url,
    requests: [request],
    timeoutMs: o.timeoutMs,
    connections: o.connections,
    tls: o.tls,
    coalesceReads: o.rate === undefined && o.coalesceReads === true,
  };
  const outcome = await runScenario({
    name: 'http',
    executor: httpExecutor(o),
    script: { module: HTTP_SCRIPT.href },
    params: params as unknown as Record<string, unknown>,
    workers: o.workers ?? 'auto',
    onSlice: o.onSlice,
    sliceDetail: o.sliceDetail,
    signal: o.signal,
  });
  return { outcome, json: httpSummaryJson(outcome, o) };
}

export function httpSummaryJson(outcome: RunOutcome, o: HttpModeOptions): HttpSummaryJson {
  const r = outcome.result;
  const status: Record<string, number> = {};
  let bytes = 0;
  let non2xx = 0;
  let socketErrors = 0;
  for (const e of outcome.stats.entries) {
    bytes += e.bytes;
    for (const [k, v] of Object.entries(e.statusCounts())) {
      status[k] = (status[k] ?? 0) + v;
      // a key is a status (503) or, for a request that got no response, its error (timeout, ECONNREFUSED)
      if (/^\d{3}$/.test(k)) {
        if (!k.startsWith('2')) non2xx += v;
      } else if (k !== 'timeout') socketErrors += v;
    }
  }
  const cpuSec = Number(r.extra.generatorCpuSec ?? 0);
  const l = r.latency_ms;
  return {
    requests: r.requests,
    errors: r.failures,
    rps: r.rps,
    latency_ms: { p50: l.p50, p90: l.p90, p95: l.p95, p99: l.p99, max: l.max, min: l.min, mean: l.mean },
    duration_s: r.durationSec,
    url: o.url,
    model: o.rate === undefined ? 'closed' : 'open',
    connections: o.connections,
    target_rps: o.rate ?? null,
    dropped: r.generator.droppedIterations,
    start_lag_ms: (r.extra.startLagMs as HttpSummaryJson['start_lag_ms']) ?? null,
    timeouts: outcome.counters.httpTimeouts ?? 0,
    interrupted: Number(r.extra.interruptedIterations ?? 0),
    non2xx,
    socket_errors: socketErrors,
    status,
    bytes,
    generator: {
      cpu_s: cpuSec,
      cpu_user_s: Number(r.extra.generatorCpuUserSec ?? 0),
      cpu_system_s: Number(r.extra.generatorCpuSystemSec ?? 0),
      cpu_percent: r.generator.cpuPercent,
      requests_per_cpu_s: cpuSec > 0 ? Math.round(r.requests / cpuSec) : 0,
      workers: r.generator.workers,
      event_loop_lag_ms: r.generator.eventLoopLagMs,
      saturated: r.generator.saturated,
      warnings: r.generator.warnings,
      read_naps: outcome.counters.readNaps ?? 0,
      read_nap_ms: (outcome.counters.readNapUs ?? 0) / 1000,
    },
  };
}
