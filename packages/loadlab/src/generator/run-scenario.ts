/**
 * runScenario (alias runDistributed): runs an executor + script on W generator threads and
 * returns the merged, exact statistics as a ScenarioResult.
 *
 * W = `workers` (1 = in this thread; a plain function script requires 1), or 'auto': enough
 * threads for the load, up to the cores (open model: one per `threadCapacity` iterations/s
 * of the peak rate; closed model: one per 250 VUs). The schedule's iterations (open) or the
 * VUs (closed) are interleaved over the threads (iteration g / VU v on thread g mod W), so
 * the whole equals the single-thread run; each worker streams its closed seconds raw and
 * ends with a snapshot, merged counter by counter.
 *
 * `segment` (execution-segment.ts) runs one part of the test, as a worker of `run --master`
 * or `--execution-segment` does: the threads split that part, so thread j of W in part i of
 * N runs the global units i + N*j (mod N*W), and the parts add up to the whole exactly.
 */
import { availableParallelism } from 'node:os';
import { redactParams, spawnTsWorker } from '@tickstorm/protocol';
import { LabError, LabErrorCode } from '../errors.ts';
import type { ScenarioResult } from '../model/result.ts';
import { assessHealth, ProcessCpu, type ThreadHealth } from '../monitor/health.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats } from '../stats/request-stats.ts';
import type { SliceListener } from '../stats/slice-detail.ts';
import { recorderSummaryMs, toScenarioResult } from '../stats/to-result.ts';
import { epochNowMs } from '../util/clock.ts';
import {
  composeSegment,
  type ExecutionSegment,
  segmentFraction,
  segmentLabel,
  segmentShare,
  WHOLE,
} from './execution-segment.ts';
import type { ExecutorOutcome } from './executor-base.ts';
import { type ExecutorOptions, type NormalizedExecutor, normalizeExecutor } from './executor-options.ts';
import { endLivePart, type LiveThread, liveParts, registerLivePart } from './live-parts.ts';
import { prepareThread } from './run-thread.ts';
import { isModuleRef, loadScript, type ScriptFactory, type ScriptModuleRef } from './script.ts';
import type { FromWorker, WorkerExec } from './worker-protocol.ts';

export interface RunOptions<P = Record<string, unknown>> {
  /** Scenario name in the result (default: the executor's name). */
  name?: string;
  executor: ExecutorOptions;
  /** The script: a factory (one thread only) or an importable module reference. */
  script: ScriptFactory<P> | ScriptModuleRef;
  /** Passed to the script factory in every thread (structured-cloneable for workers). */
  params?: P;
  /** Generator threads: a number, or 'auto' (default). */
  workers?: number | 'auto';
  /** 'auto': iterations/s one thread is assumed to sustain (default 20,000). */
  threadCapacity?: number;
  /** Open model spin window in µs (see OpenLoop; default 0 = timers only, ~1 ms granularity). */
  spinUs?: number;
  /** Live: each merged second of the time series (with its detail when `sliceDetail`). */
  onSlice?: SliceListener;
  /**
   * Every second also carries its detail to `onSlice` (stats/slice-detail.ts): each request
   * name's latency buckets, and the script's live counters (a Prometheus exporter reads them).
   */
  sliceDetail?: boolean;
  /** Aborted: no iteration starts any more; those in flight get the executor's gracefulStop. */
  signal?: AbortSignal;
  /**
   * Aborted: the run ends now, as k6's exec.test.abort() ends it: no iteration starts any more
   * and those in flight are interrupted (ExecutorBase.halt).
   */
  halt?: AbortSignal;
  /** Run only this part of the test (default: the whole). */
  segment?: ExecutionSegment;
  /** Keys of `params` the result never shows (a script's file, its TLS keys). */
  hideParams?: readonly string[];
}

export interface RunOutcome {
  result: ScenarioResult;
  /** Merged statistics (histograms per entry, failures, time series). */
  stats: RequestStats;
  /** Merged executor facts (all threads). */
  exec: ExecutorOutcome;
  counters: Record<string, number>;
}

interface ThreadEnd {
  exec: ExecutorOutcome;
  counters: Record<string, number>;
  health: ThreadHealth;
  startEpochMs: number;
  endEpochMs: number;
}

const WORKER_ENTRY = new URL('./worker-entry.ts', import.meta.url);
const START_DELAY_MS = 30;

export function chooseWorkers(
  ex: NormalizedExecutor,
  workers: number | 'auto' | undefined,
  capacity = 20_000,
): number {
  const cores = availableParallelism();
  let w: number;
  if (typeof workers === 'number') w = Math.max(1, Math.floor(workers));
  else if (ex.model === 'open')
    w = Math.min(cores, Math.ceil(Math.max(...ex.segments.map((s) => Math.max(s.from, s.to))) / capacity));
  else w = Math.min(cores, Math.ceil(ex.maxVUs / 250));
  return Math.max(1, Math.min(w, ex.maxVUs));
}

/** A segment's own load, for choosing its threads: every rate scaled, its share of the VUs. */
export function segmentLoad(ex: NormalizedExecutor, seg: ExecutionSegment = WHOLE): NormalizedExecutor {
  if (seg.count === 1) return ex;
  const f = segmentFraction(seg);
  const segments = ex.segments.map((s) =>
    ex.model === 'open' ? { ...s, from: s.from * f, to: s.to * f } : s,
  );
  return { ...ex, segments, maxVUs: segmentShare(ex.maxVUs, seg) } as NormalizedExecutor;
}

export async function runScenario<P = Record<string, unknown>>(opts: RunOptions<P>): Promise<RunOutcome> {
  const ex = normalizeExecutor(opts.executor);
  const seg = opts.segment ?? WHOLE;
  const mine = segmentLoad(ex, seg);
  const count = chooseWorkers(mine, opts.workers, opts.threadCapacity);
  const params = (opts.params ?? {}) as P;
  const cpu = new ProcessCpu();
  const shown = redactParams(opts.params as Record<string, unknown>);
  for (const k of opts.hideParams ?? []) delete shown[k];
  const resultParams = {
    executor: opts.executor,
    workers: count,
    ...(seg.count > 1 ? { executionSegment: segmentLabel(seg) } : {}),
    // shown in reports: a URL's password (a PostgreSQL --db-path) never is
    ...shown,
  };
  let stats: RequestStats;
  let ends: ThreadEnd[];
  if (count === 1) {
    const factory = isModuleRef(opts.script) ? await loadScript<P>(opts.script) : opts.script;
    const part = composeSegment(seg, 0, 1);
    const prep = await prepareThread(factory, {
      executor: ex,
      index: part.index,
      count: part.count,
      params,
      spinUs: opts.spinUs,
      sliceDetail: opts.sliceDetail,
    });
    const onAbort = () => prep.stop();
    const onHalt = () => prep.halt();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.halt?.addEventListener('abort', onHalt, { once: true });
    // Aborted while the script loaded (a worker told to stop just after go): the listener came
    // too late to hear it, so stop now; the executor then ends as soon as it is run.
    if (opts.signal?.aborted === true) prep.stop();
    if (opts.halt?.aborted === true) prep.halt();
    cpu.start();
    let unregister = () => {};
    const out = await prep
      .start(epochNowMs() + 5, {
        onSlice: opts.onSlice,
        onStats: (st, startEpochMs, progress) => {
          unregister = registerLivePart(opts.name ?? ex.name, startEpochMs, resultParams, async () => ({
            threads: [{ stats: st.snapshot(), progress: progress() }],
            series: st.timeline.slices,
          }));
        },
      })
      .finally(() => unregister());
    opts.signal?.removeEventListener('abort', onAbort);
    opts.halt?.removeEventListener('abort', onHalt);
    stats = out.stats;
    ends = [out];
  } else {
    if (!isModuleRef(opts.script)) {
      throw new LabError(
        LabErrorCode.SCRIPT_LOAD,
        'runScenario: with workers > 1 the script must be a module reference { module, export }',
      );
    }
    ({ stats, ends } = await runWorkers(
      opts,
      opts.script,
      ex,
      seg,
      count,
      params,
      cpu,
      opts.name ?? ex.name,
      resultParams,
    ));
  }
  const used = cpu.stop();
  const exec = mergeExec(ends.map((e) => e.exec));
  const counters: Record<string, number> = {};
  for (const e of ends) for (const [k, v] of Object.entries(e.counters)) counters[k] = (counters[k] ?? 0) + v;
  const startedAt = Math.min(...ends.map((e) => e.startEpochMs));
  const durationSec = Math.max(0.001, (Math.max(...ends.map((e) => e.endEpochMs)) - startedAt) / 1000);
  const lag = recorderSummaryMs(exec.startLag);
  const generator = assessHealth({
    model: ex.model,
    cpuPercent: used.percent,
    wallSec: used.wallSec,
    threads: ends.map((e) => e.health),
    workers: count,
    dropped: exec.dropped,
    maxVUs: mine.maxVUs,
    planned: exec.planned,
    started: exec.started,
    startLagP99Ms: lag.p99,
  });
  for (const m of exec.errorSamples) generator.warnings.push(`iteration error: ${m}`);
  const durationPlan = ex.totalMs / 1000;
  const extra: Record<string, unknown> = {
    iterations: exec.started,
    completedIterations: exec.completed,
    droppedIterations: exec.dropped,
    interruptedIterations: exec.interrupted,
    iterationErrors: exec.errors,
    vusMax: exec.vusUsed,
    generatorCpuSec: Math.round(used.cpuSec * 1000) / 1000,
    generatorCpuUserSec: Math.round(used.userSec * 1000) / 1000,
    generatorCpuSystemSec: Math.round(used.systemSec * 1000) / 1000,
    threads: ends.map((e) => e.health),
    ...counters,
  };
  if (ex.model === 'open') {
    extra.scheduledIterations = exec.planned;
    extra.targetRate = Math.round((exec.planned / durationPlan) * 100) / 100;
    extra.achievedRate = Math.round((exec.started / durationPlan) * 100) / 100;
    extra.startLagMs = { p50: lag.p50, p99: lag.p99, max: lag.max };
  }
  const result = toScenarioResult(stats, {
    scenario: opts.name ?? ex.name,
    params: resultParams,
    startedAt,
    durationSec: Math.round(durationSec * 1000) / 1000,
    generator,
    extra,
  });
  endLivePart(result, { counters, iterations: exec.completed, dropped: exec.dropped });
  return { result, stats, exec, counters };
}

/** Alias with the name. */
export const runDistributed = runScenario;

async function runWorkers<P>(
  opts: RunOptions<P>,
  ref: ScriptModuleRef,
  ex: NormalizedExecutor,
  seg: ExecutionSegment,
  count: number,
  params: P,
  cpu: ProcessCpu,
  name: string,
  resultParams: Record<string, unknown>,
): Promise<{ stats: RequestStats; ends: ThreadEnd[] }> {
  const module = ref.module instanceof URL ? ref.module.href : ref.module;
  const workers = Array.from({ length: count }, (_, thread) => {
    const part = composeSegment(seg, thread, count);
    return spawnTsWorker(WORKER_ENTRY, {
      workerData: {
        module,
        export: ref.export,
        executor: ex,
        index: part.index,
        count: part.count,
        params,
        spinUs: opts.spinUs,
        sliceDetail: opts.sliceDetail,
      },
    });
  });
  let stats: RequestStats | undefined;
  const ends: ThreadEnd[] = [];
  // a run --worker's part so far: each thread's statistics and script metrics on request (its
  // final ones once done)
  const last: (LiveThread | undefined)[] = workers.map(() => undefined);
  const waiting: ((s: LiveThread) => void)[][] = workers.map(() => []);
  const settle = (i: number, snap: LiveThread) => {
    for (const f of waiting[i].splice(0)) f(snap);
  };
  const empty: LiveThread = {
    stats: { entries: [], failures: [] },
    progress: { counters: {}, trends: [], completed: 0, dropped: 0 },
  };
  let unregister = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      let ready = 0;
      let done = 0;
      const stop = () => {
        for (const w of workers) w.postMessage({ type: 'stop' });
      };
      const halt = () => {
        for (const w of workers) w.postMessage({ type: 'halt' });
      };
      opts.signal?.addEventListener('abort', stop, { once: true });
      opts.halt?.addEventListener('abort', halt, { once: true });
      // Aborted before this point: the threads get 'stop' first and end as soon as they start.
      if (opts.signal?.aborted === true) stop();
      if (opts.halt?.aborted === true) halt();
      workers.forEach((w, i) => {
        w.on('error', reject);
        w.on('exit', (code) => {
          settle(i, last[i] ?? empty);
          if (done < count)
            reject(
              new LabError(
                LabErrorCode.WORKER_CRASH,
                `generator worker exited with code ${code} before finishing`,
              ),
            );
        });
        w.on('message', (m: FromWorker) => {
          if (m.type === 'error')
            reject(new LabError(LabErrorCode.WORKER_CRASH, `generator worker: ${m.message}`));
          else if (m.type === 'slice') stats!.timeline.mergeRaw(m.slice);
          else if (m.type === 'snapshot') settle(i, { stats: m.snapshot, progress: m.progress });
          else if (m.type === 'ready' && ++ready === count) {
            const startEpochMs = epochNowMs() + START_DELAY_MS;
            stats = new RequestStats({ startEpochMs, reporters: count });
            if (opts.onSlice) stats.timeline.onSlice = opts.onSlice;
            cpu.start();
            for (const x of workers) x.postMessage({ type: 'start', startEpochMs });
            if (liveParts())
              unregister = registerLivePart(name, startEpochMs, resultParams, async () => ({
                threads: await Promise.all(
                  workers.map((x, j) =>
                    last[j] !== undefined
                      ? last[j]
                      : new Promise<LiveThread>((res) => {
                          waiting[j].push(res);
                          if (waiting[j].length === 1) x.postMessage({ type: 'snapshot' });
                        }),
                  ),
                ),
                // the seconds every thread closed (merged here as they come)
                series: stats!.timeline.slices,
              }));
          } else if (m.type === 'done') {
            last[i] = {
              stats: m.snapshot,
              // its Trends are in its counters (a part so far's section reads them there)
              progress: {
                counters: m.counters,
                trends: [],
                completed: m.exec.completed,
                dropped: m.exec.dropped,
              },
            };
            settle(i, last[i]);
            stats!.merge(m.snapshot);
            ends.push({ ...m, exec: fromWorkerExec(m.exec) });
            if (++done === count) {
              opts.signal?.removeEventListener('abort', stop);
              opts.halt?.removeEventListener('abort', halt);
              resolve();
            }
          }
        });
      });
    });
  } finally {
    unregister();
    for (let i = 0; i < workers.length; i++) settle(i, last[i] ?? empty);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  stats!.timeline.flush();
  return { stats: stats!, ends };
}

function fromWorkerExec(e: WorkerExec): ExecutorOutcome {
  const startLag = new LatencyRecorder();
  startLag.addSparse(e.startLag);
  return { ...e, startLag };
}

function mergeExec(all: ExecutorOutcome[]): ExecutorOutcome {
  const m = { ...all[0], startLag: new LatencyRecorder(), errorSamples: [] as string[] };
  for (const k of [
    'started',
    'completed',
    'dropped',
    'interrupted',
    'scheduled',
    'planned',
    'vusUsed',
    'errors',
  ] as const) {
    m[k] = all.reduce((a, e) => a + e[k], 0);
  }
  for (const e of all) {
    m.startLag.add(e.startLag);
    m.errorSamples.push(...e.errorSamples.slice(0, 5 - m.errorSamples.length));
  }
  m.endUs = Math.max(...all.map((e) => e.endUs));
  const haltedBy = all.find((e) => e.haltedBy !== undefined)?.haltedBy;
  if (haltedBy === undefined) delete m.haltedBy;
  else m.haltedBy = haltedBy;
  return m;
}
