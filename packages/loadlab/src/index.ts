/**
 * @tickstorm/loadlab: a load tool for any system. It reaches the system under test only over
 * the wire (HTTP, WebSocket) and knows nothing of Tickstorm: a caller brings its scenarios as a
 * ScenarioSuite (scenario/suite.ts) and runs them with planRun + executeRun.
 *
 * ## Running a scenario
 *
 *   import { runScenario, iterations, HttpClient, prepareRequest } from '@tickstorm/loadlab';
 *
 *   const { result } = await runScenario({
 *     name: 'order-stress',
 *     executor: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '30s',
 *                 preAllocatedVUs: 50, maxVUs: 200 },
 *     script: { module: new URL('./order-stress-script.ts', import.meta.url) }, // or a factory (workers: 1)
 *     params: { url: 'http://127.0.0.1:8000' },   // structured-cloneable; reaches every thread
 *     workers: 'auto',                             // or a number; 1 = this thread
 *     onSlice: (s) => console.log(s.requests),     // live per-second series (merged)
 *   });
 *   // result: ScenarioResult (model/result.ts); add `targets`, write reports, gate.
 *
 * Executors (k6 names/options, `validateExecutor(opts): string[]` lists every problem;
 * runScenario throws ExecutorOptionsError, a LabError (errors.ts: every LAB_ERR_* code with its
 * HTTP status and exit code) whose `problems` the CLI maps to exit code 104):
 *   constant-arrival-rate { rate, timeUnit, duration, preAllocatedVUs, maxVUs, gracefulStop }
 *   ramping-arrival-rate  { startRate, timeUnit, stages: [{ target, duration }], preAllocatedVUs, maxVUs }
 *   constant-vus          { vus, duration, thinkTime? }
 *   ramping-vus           { startVUs, stages, gracefulRampDown, thinkTime? }
 * Open model: iteration g is due at the absolute time N(t) = g (no drift); a free VU slot
 * starts it; with no slot free and maxVUs reached it is dropped and counted, never queued.
 * Timing is timer-driven (~1 ms granularity, near-zero idle CPU; `spinUs` in RunOptions
 * spins for µs precision); the start lag is recorded in result.extra.startLagMs, and
 * latency counts from the intended time, so generator lateness is never hidden.
 * Closed model: VUs loop as fast as the target answers (optional thinkTime).
 * result.extra also carries iterations, droppedIterations, interruptedIterations, vusMax,
 * targetRate/achievedRate (open), generatorCpuSec, per-thread health, and the counters.
 *
 * ## Writing a script (one module, default export = factory; runs once per thread)
 *
 *   export default async function (ctx: ScriptContext<{ url: string }>): Promise<VuScript> {
 *     const reqs = [prepareRequest(ctx.params.url, { method: 'POST', path: '/orders', body })];
 *     const http = new HttpClient({ url: ctx.params.url, connections: ctx.maxVUs,
 *                                   events: ctx.events, onDone: ctx.done });   // done(vu) per request
 *     return { start: (vu, intendedUs) => http.submit(vu, reqs[vu % reqs.length], intendedUs),
 *              close: () => http.close() };
 *   }
 *
 * `start(vu, intendedUs)` begins an iteration; call `ctx.done(vu)` exactly once when it ends
 * (callbacks: nothing allocated per request). HttpClient.submit(tag, ...) takes a free
 * connection or waits in its FIFO (wrk2 style, the wait is in the latency), so a script may
 * use fewer connections than VU slots; `send` is the same call under its first name. Clients EMIT RequestEvents (latency from
 * `intendedUs`) to `ctx.events`; the thread's RequestStats collects them. Async style:
 * `iterations({ setup, iteration: async (it) => { await http.request(req, it.intendedUs) } })`
 * returns a factory. Custom work emits its own events (type 'WS' / 'DB', any name) and may
 * return `counters()` (summed into result.extra, e.g. ticksSent). A one-off global setup
 * (accounts, seeding) belongs before runScenario, its output passed in `params`; a listener
 * for per-request rows can subscribe to `ctx.events` inside the script (it runs per thread).
 *
 * ## Statistics
 * RequestStats: per (type, name) and total µs HdrHistograms (1 µs .. 1 h, 3 digits; fast
 * LatencyRecorder front, hdr-histogram-js for percentiles and encoding), counts, failures,
 * status counts, bytes, failure rows by (method, name, error), the per-second Timeline;
 * `snapshot()`/`merge()` are exact across threads. `toScenarioResult(stats, info)` builds the
 * model (startedAt = epoch ms). `stats.histogram(type?, name?)` gives an HdrHistogram for reports.
 *
 * ## Generator health
 * Every run measures its own event-loop delay, ELU, CPU (process.cpuUsage, all threads), start
 * lag and drops; result.generator.saturated + warnings say when the generator was the bottleneck.
 *
 * ## Clients and modes
 * HttpClient (raw HTTP/1.1 keep-alive over net, prebuilt requests, pooled, timeouts),
 * WsClient (ws handshake, prebuilt zero-masked frames coalesced into the socket, backpressure),
 * buildTickFrames (JSON tick / JSON array / binary batch frames), the http-load and ws-send
 * scripts, and runHttpMode (`tickstorm http`).
 */

export * from './clients/client-cert.ts';
export * from './clients/http-client.ts';
export * from './clients/http-parser.ts';
export * from './clients/http-request.ts';
export { envSigner, RequestSigner, readKeyFile, useKeyFile } from './clients/request-signer.ts';
export * from './clients/tls-check.ts';
export * from './clients/tls-options.ts';
export * from './clients/ws-client.ts';
export * from './clients/ws-frames.ts';
export * from './errors.ts';
export * from './gates/exit-codes.ts';
export * from './gates/thresholds.ts';
export * from './generator/closed-loop.ts';
export * from './generator/execution-segment.ts';
export * from './generator/executor-base.ts';
export * from './generator/executor-options.ts';
export * from './generator/open-loop.ts';
export * from './generator/run-scenario.ts';
export * from './generator/run-thread.ts';
export * from './generator/schedule.ts';
export * from './generator/script.ts';
export type * from './model/result.ts';
export { default as httpLoadScript, type HttpLoadParams } from './modes/http-load-script.ts';
export * from './modes/http-mode.ts';
export * from './modes/http-summary.ts';
export { default as wsSendScript, type WsSendParams } from './modes/ws-send-script.ts';
export * from './monitor/duration-histograms.ts';
export * from './monitor/health.ts';
export * from './monitor/prometheus-exporter.ts';
export * from './report/index.ts';
export type { WatchTarget } from './resources/resource-watch.ts';
export * from './run/execute-run.ts';
export * from './run/param-flags.ts';
export * from './run/run-output.ts';
export * from './run/run-plan.ts';
export * from './scenario/params.ts';
export * from './scenario/run-helpers.ts';
export * from './scenario/scenario.ts';
export * from './scenario/suite.ts';
export * from './script/execution-shortcuts.ts';
export { type K6Threshold, parseK6Thresholds } from './script/k6-metrics.ts';
export { parseScriptOptions, type ScriptOptions } from './script/options.ts';
export { BUILTIN_MODULES } from './script/register.ts';
export * from './script/report-gates.ts';
export * from './script/run-script.ts';
export * from './script/script-load.ts';
export * from './script/script-section.ts';
export * from './script/script-summary.ts';
export * from './script/whole-lines.ts';
export * from './stats/events.ts';
export { addCounters, gaugesFromCounters, gaugesToCounters, mergeGauge } from './stats/gauge-counters.ts';
export * from './stats/histogram.ts';
export * from './stats/latency-codec.ts';
export * from './stats/merge-results.ts';
export * from './stats/percentile-distribution.ts';
export * from './stats/recorder.ts';
export * from './stats/request-stats.ts';
export * from './stats/slice-detail.ts';
export * from './stats/timeline.ts';
export * from './stats/to-result.ts';
export * from './swarm/index.ts';
export { MasterPool, type MasterPoolOptions } from './swarm/master-pool.ts';
export * from './swarm/master-worker-flags.ts';
export * from './swarm/remote-protocol.ts';
export { runSwarmWorker, type SwarmWorkerOptions } from './swarm/remote-worker.ts';
export * from './swarm/run-remote.ts';
export {
  SwarmController,
  type SwarmOptions,
  type SwarmState,
  type SwarmView,
} from './swarm/swarm-controller.ts';
export { planSwarm, type SwarmInput, type SwarmPlan } from './swarm/swarm-plan.ts';
export { runSwarmSession } from './swarm/swarm-session.ts';
export { loadUserFile, type UserFile, UserFileError } from './swarm/user-file.ts';
export {
  CPU_WARNING_PERCENT,
  type WorkerState,
  type WorkerStatus,
  type WorkersReport,
} from './swarm/worker-status.ts';
export * from './util/clock.ts';
export * from './util/duration.ts';
