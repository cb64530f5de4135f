/**
 * A `tickstorm swarm` session from a validated plan. Headless: start at once, print a
 * progress line per second, stop at -t (or Ctrl-C), then the "Sample Results" table, the
 * thresholds, the files and the verdict. Web UI: serve it and let the page start and stop
 * tests (or --autostart), until Ctrl-C or --autoquit seconds after a test ends; the last
 * test's results are then printed, written and gated the same way.
 * Exit codes as in `tickstorm run`: 0, 99 thresholds failed, 1 error, 105 interrupted; and
 * Locust's --exit-code-on-error (default 1) when requests failed or user code raised but
 * every threshold passed (0 lets such a test pass).
 */

import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { hasTlsSettings } from '../clients/tls-options.ts';
import { EXIT_ABORTED, EXIT_ERROR, EXIT_OK } from '../gates/exit-codes.ts';
import { evaluateThresholds, exitCodeFor, type ThresholdResult } from '../gates/thresholds.ts';
import type { RunReport, ScenarioResult, TimeSlice, WorkersSection } from '../model/result.ts';
import type { LoadMetricsServer } from '../monitor/prometheus-exporter.ts';
import { renderErrorReport, renderPercentiles, renderSampleResults } from '../report/locust-table.ts';
import { createProgress, type ProgressOptions } from '../report/progress.ts';
import { writeReports } from '../report/write-reports.ts';
import { thresholdLines, verdictLine } from '../run/run-output.ts';
import type { SliceDetail } from '../stats/slice-detail.ts';
import { LiveHistory } from './live-history.ts';
import { MasterPool } from './master-pool.ts';
import { runSwarmWorker } from './remote-worker.ts';
import { SwarmController } from './swarm-controller.ts';
import type { SwarmPlan } from './swarm-plan.ts';

export interface SwarmSessionOptions {
  version: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
  progress?: ProgressOptions;
  /** Ctrl-C: stop the test, report what was measured, exit 105. */
  signal?: AbortSignal;
  /** Called with the web UI's URL once it listens. */
  onWebListening?: (url: string) => void;
  /** --master: called with the port workers join on once it listens. */
  onMasterListening?: (port: number) => void;
  /**
   * --metrics-port: the exporter this process's users feed (their requests per type and name,
   * scenario label the user file's base name), for every test of the session; the caller closes
   * it. Not a master's (it runs no users; each worker serves its own).
   */
  metrics?: LoadMetricsServer;
}

export async function runSwarmSession(plan: SwarmPlan, opts: SwarmSessionOptions): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = opts.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const name = plan.file.path.replace(/^.*\//, '').replace(/\.[cm]?[jt]s$/, '');
  if (plan.role === 'worker') {
    const ownTls = hasTlsSettings(plan.tls);
    return runSwarmWorker({
      file: plan.file,
      masterHost: plan.masterHost,
      masterPort: plan.masterPort,
      version: opts.version,
      tls: ownTls ? plan.tls : undefined,
      out,
      err,
      signal: opts.signal,
      metrics: opts.metrics,
      scenario: name,
    });
  }
  let pool: MasterPool | null = null;
  if (plan.role === 'master') {
    try {
      pool = await MasterPool.listenFor(plan, {
        log: out,
        signal: opts.signal,
        version: opts.version,
      });
    } catch (e) {
      err(`tickstorm swarm: ${(e as Error).message}`);
      return EXIT_ERROR;
    }
    out(
      `Master listening on ${plan.masterBindHost}:${pool.port}; workers join with: tickstorm swarm --worker --master-host HOST --master-port ${pool.port} -f ${plan.file.path}`,
    );
    opts.onMasterListening?.(pool.port);
  }
  const swarm = new SwarmController({
    file: plan.file,
    classNames: plan.classNames,
    classPicker: plan.classPicker,
    host: plan.host,
    processes: plan.processes,
    runTimeSec: plan.runTimeSec,
    seed: plan.seed,
    timeoutMs: plan.timeoutMs,
    stopTimeoutMs: plan.stopTimeoutMs,
    tls: plan.tls,
    taskFilter: plan.taskFilter,
    name,
    ...(pool === null ? {} : { provider: pool, enableRebalancing: plan.enableRebalancing, log: out }),
    sliceDetail: pool === null && opts.metrics !== undefined,
    fullHistory: plan.fullHistory,
  });
  const metrics = pool === null ? opts.metrics : undefined;
  const aborted = () => opts.signal?.aborted === true;
  let ran = false;
  const progress = createProgress(opts.progress);
  let requests = 0;
  let failures = 0;
  const history = plan.files.csv === undefined ? null : new LiveHistory(plan.files.csv, err);
  swarm.on('state', (s) => {
    if (s === 'starting') {
      requests = failures = 0; // a new test, not a re-target
      history?.start();
    }
    if (s === 'spawning' || s === 'running') ran = true;
    // 'running' follows 'spawning' only: every user of the target is started (Locust's spawning_complete)
    if (s === 'running' && plan.resetStats && swarm.resetStats()) out('Resetting stats (--reset-stats)');
    if (s === 'stopped') metrics?.finished(name);
  });
  // StopTest or runner.quit() in user code: the swarm stops the test; quit ends the session too
  let quitAsked: (() => void) | null = null;
  let quitByUser = false;
  swarm.on('stop-test', (e: { reason: string; quit: boolean }) => {
    out(`${e.reason}: stopping the test${e.quit && !plan.headless ? ' and quitting' : ''}`);
    if (e.quit) {
      quitByUser = true;
      quitAsked?.();
    }
  });
  swarm.on('slice', (slice: TimeSlice, detail?: SliceDetail) => {
    metrics?.observe(name, slice, detail);
    if (history !== null) {
      history.append(slice);
      history.totals(swarm.result());
    }
    if (plan.onlySummary) return;
    requests += slice.requests;
    failures += slice.failures;
    progress.tick({
      scenario: name,
      elapsedSec: (slice.t * 1000 - (swarm.testStartedAt ?? 0)) / 1000 + 1,
      durationSec: plan.runTimeSec,
      requests,
      failures,
      // Locust's current figures: the last 10 closed seconds
      currentRps: slice.current?.requests ?? slice.requests,
      p95Ms: slice.current?.p95 ?? slice.p95,
      p99Ms: slice.current?.p99 ?? slice.p99,
      active: slice.active,
    });
  });

  const stopped = () => new Promise<void>((resolve) => swarm.once('stopped', () => resolve()));
  const onAbort = () => void swarm.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (plan.headless) {
      out(
        `Swarm: ${plan.file.shape === null ? `${plan.users} users at ${plan.spawnRate}/s` : `users from the load shape ${plan.file.shape.constructor.name} (-u/-r ignored)`} against ${targetHosts(plan, swarm.classNames)}${plan.runTimeSec ? ` for ${plan.runTimeSec}s` : plan.file.shape === null ? ' until Ctrl-C' : ' until its tick() answers null (or Ctrl-C)'} (${swarm.classNames.join(', ')}; ${pool === null ? `${plan.processes} thread${plan.processes > 1 ? 's' : ''}` : `on ${plan.expectWorkers}+ worker(s)`})`,
      );
      const end = stopped();
      await swarm.start({ users: plan.users, spawnRate: plan.spawnRate });
      if (aborted()) await swarm.stop();
      await end;
    } else {
      const { startSwarmWeb } = await import('./web/swarm-web.ts');
      const master = pool;
      const web = await startSwarmWeb({
        controller: swarm,
        host: plan.webHost,
        port: plan.webPort,
        ...(master === null ? {} : { workers: () => master.workersReport() }),
        report: () => swarmRunReport(swarm.result(), plan, opts.version, master?.section()).run,
      });
      out(`Web UI: ${web.url} (Ctrl-C to quit)`);
      opts.onWebListening?.(web.url);
      try {
        const quit = new Promise<void>((resolve) => {
          quitAsked = resolve;
          if (quitByUser) resolve();
          opts.signal?.addEventListener('abort', () => resolve(), { once: true });
          if (aborted()) resolve();
          if (plan.autoquitSec !== undefined) {
            swarm.on('stopped', () => setTimeout(resolve, plan.autoquitSec! * 1000).unref());
          }
        });
        if (plan.autostart) await swarm.start({ users: plan.users, spawnRate: plan.spawnRate });
        await quit;
        await swarm.stop();
      } finally {
        await web.close();
      }
    }
  } catch (e) {
    err(`tickstorm swarm: ${(e as Error).message}`);
    await swarm.close();
    await pool?.close();
    return aborted() ? EXIT_ABORTED : EXIT_ERROR;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    progress.finish();
  }
  await swarm.close();
  // the final statistics are in: quit the workers
  await pool?.close();
  if (!ran) {
    out('No test was started: nothing to report.');
    return aborted() ? EXIT_ABORTED : EXIT_OK;
  }
  return report(swarm.result(), swarm.errors, plan, opts, out, err, pool?.section());
}

async function report(
  r: ScenarioResult,
  errors: readonly string[],
  plan: SwarmPlan,
  opts: SwarmSessionOptions,
  out: (t: string) => void,
  err: (t: string) => void,
  workers?: WorkersSection,
): Promise<number> {
  const { run, thresholds, onError } = swarmRunReport(r, plan, opts.version, workers);
  let code = run.exitCode;
  if (errors.length > 0) {
    for (const e of errors) err(`tickstorm swarm: ${e}`);
    code = EXIT_ERROR;
  }
  if (opts.signal?.aborted) code = EXIT_ABORTED;
  run.exitCode = code;
  const parts = [renderSampleResults(r)];
  const percentiles = renderPercentiles(r);
  if (percentiles !== '') parts.push(percentiles);
  const failed = renderErrorReport(r);
  if (failed !== '') parts.push(failed);
  const exceptions = exceptionRows(r);
  if (exceptions.length > 0) {
    parts.push(
      ['Exceptions (count, message):', ...exceptions.map((e) => `  ${e.count}  ${e.message}`)].join('\n'),
    );
  }
  const g = r.generator;
  parts.push(
    `Generator: ${g.cpuPercent}% of one core over ${r.durationSec.toFixed(1)} s, ${g.workers} ${workers === undefined ? 'thread(s)' : 'worker(s)'}${g.warnings.length ? `; ${g.warnings.join('; ')}` : ''}`,
  );
  if (workers !== undefined) parts.push(workersLine(workers));
  const th = thresholdLines(thresholds);
  if (th.length > 0) parts.push(th.join('\n'));
  out(`\n${parts.join('\n\n')}`);
  for (const f of [plan.files.json, plan.files.html, plan.files.junit, plan.files.csv]) {
    if (f) makeDir(dirname(f));
  }
  const written = await writeReports(run, plan.files, {
    title: `Tickstorm swarm report: ${r.scenario}`,
  });
  if (written.length > 0) out(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
  // the on-error line when that rule decided the code (no worker error, no Ctrl-C over it)
  const decided = onError !== null && errors.length === 0 && opts.signal?.aborted !== true;
  out(`\n${decided ? onErrorLine(onError, code, thresholds.length) : swarmVerdict(code, thresholds)}`);
  return code;
}

/** What Locust's rule saw: failed requests and exceptions raised by user code. */
interface OnError {
  failures: number;
  exceptions: number;
}

function exceptionRows(r: ScenarioResult): { count: number; message: string }[] {
  return (r.extra.exceptions as { count: number; message: string }[] | undefined) ?? [];
}

/**
 * The bottom line when no Locust on-error rule decided it. A swarm checks its thresholds, its
 * failed requests and its user code's exceptions (it has no scenario targets, unlike `run`).
 */
function swarmVerdict(code: number, thresholds: readonly ThresholdResult[]): string {
  const failed = thresholds.filter((t) => !t.pass).length;
  if (code === EXIT_OK)
    return thresholds.length > 0
      ? `PASSED: every threshold met, no request failed and user code raised no exception (exit code ${code})`
      : `PASSED: no request failed and user code raised no exception (no thresholds given; exit code ${code})`;
  if (code === EXIT_ERROR)
    return `ERROR: the test did not run as asked (the reason is above; exit code ${code})`;
  return verdictLine(code, failed, []);
}

function onErrorLine(e: OnError, code: number, thresholdCount: number): string {
  const what = [
    ...(e.failures > 0 ? [`${e.failures} request(s) failed`] : []),
    ...(e.exceptions > 0 ? [`user code raised ${e.exceptions} exception(s)`] : []),
  ].join(' and ');
  const gates = thresholdCount > 0 ? 'every threshold met' : 'no thresholds given';
  return code === EXIT_OK
    ? `PASSED: ${gates}; ${what}, not gated (--exit-code-on-error 0, exit code 0)`
    : `FAILED: ${what} (exit code ${code}, Locust's --exit-code-on-error; 0 lets such a test pass)`;
}

/**
 * The run report of a swarm's result (the last test's, or the running one's for the web UI's
 * HTML report): the plan's thresholds evaluated, the exit code they give, and Locust's
 * --exit-code-on-error when requests failed (or user code raised) and no threshold did.
 */
function swarmRunReport(
  r: ScenarioResult,
  plan: SwarmPlan,
  version: string,
  workers?: WorkersSection,
): { run: RunReport; thresholds: ThresholdResult[]; onError: OnError | null } {
  const run: RunReport = {
    tool: 'tickstorm',
    version,
    startedAt: r.startedAt,
    finishedAt: Date.now(),
    target: plan.host,
    scenarios: [r],
    thresholds: [],
    exitCode: EXIT_OK,
    ...(workers === undefined ? {} : { workers }),
  };
  const thresholds = evaluateThresholds(run, plan.thresholds);
  run.thresholds = thresholds;
  run.exitCode = exitCodeFor(run);
  // Locust's --exit-code-on-error (default 1): failed requests or exceptions fail a test no threshold failed
  const e: OnError = { failures: r.failures, exceptions: exceptionRows(r).reduce((n, x) => n + x.count, 0) };
  const onError = run.exitCode === EXIT_OK && (e.failures > 0 || e.exceptions > 0) ? e : null;
  if (onError !== null) run.exitCode = plan.exitCodeOnError;
  return { run, thresholds, onError };
}

function workersLine(w: WorkersSection): string {
  const lines = [
    `Workers: ${w.joined.length} joined (${w.expected} expected), ${w.connected} at the end, ${w.missing.length} missing`,
  ];
  for (const m of w.missing) lines.push(`  missing: ${m.id} (${m.reason}; it had ${m.users} users)`);
  return lines.join('\n');
}

/**
 * The hosts the test's users send to: a class's `static host` wins over -H (as its users do),
 * so a file whose classes all set one does not read as aimed at -H's default.
 */
function targetHosts(plan: SwarmPlan, classNames: readonly string[]): string {
  const hosts = [...new Set(classNames.map((n) => plan.file.classes.get(n)?.host ?? plan.host))];
  return hosts.length > 0 ? hosts.join(', ') : plan.host;
}
