/**
 * `tickstorm run --master` / `run --worker`: the built-in scenarios or a script on many
 * machines, k6's execution segments. The master's command line is the test: it sends it to
 * each worker as it joins (RunTest), the worker checks it can run it (prepared, or an error
 * with exit code 104/107: refused, counted missing, not toward --expect-workers: the master
 * waits on for one that can), and `go` gives each of the N prepared
 * workers part i of N of the load (every arrival rate, VU count and iteration count; the
 * parts add up exactly). Each sends its part so far every PART_SNAPSHOT_MS (cumulative) and
 * its whole report at the end, histograms encoded. The master waits for --expect-workers,
 * watches heartbeats (a missing worker is logged and counted, the run goes on with the rest;
 * its part is not redone, and its last snapshot stands for it), merges the reports exactly
 * (stats/merge-results.ts), gates the merged figures with its own --threshold, writes its
 * report files and quits the workers.
 *
 * A script's options.thresholds are the whole test's: the master loaded the script (its
 * gates) and checks them on the merged report, the workers' script metrics added
 * (script/script-section.ts): a Counter summed, a Rate's and check()'s passes and totals
 * summed, a Trend's histograms added. Each worker still checks them on its part alone; a
 * part that misses them is named, but only the whole decides the exit code (99). Built-in
 * scenarios keep their per-part targets: a part that misses them fails the run (99). Any
 * other worker exit (an abortOnFail abort on its part, 108; 104, 105, 107) is the master's.
 */

import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { LabError, LabErrorCode } from '../errors.ts';
import {
  EXIT_ABORTED,
  EXIT_ERROR,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  EXIT_THRESHOLD_ABORTED,
  EXIT_THRESHOLDS_FAILED,
} from '../gates/exit-codes.ts';
import type { Threshold } from '../gates/threshold-parse.ts';
import { evaluateThresholds, exitCodeFor } from '../gates/thresholds.ts';
import { type ExecutionSegment, segmentLabel } from '../generator/execution-segment.ts';
import { collectLiveParts, livePartResults, liveSection } from '../generator/live-parts.ts';
import type { RunReport, ScriptScenarioMetrics } from '../model/result.ts';
import { renderSampleResults } from '../report/locust-table.ts';
import { type ReportFiles, writeReports } from '../report/write-reports.ts';
import { thresholdLines, verdictLine } from '../run/run-output.ts';
import { runHandleSummary, type SummaryOptions, summaryData } from '../script/handle-summary.ts';
import type { K6Threshold } from '../script/k6-metrics.ts';
import type { MetricKind } from '../script/runtime.ts';
import { checkScriptOnWhole } from '../script/script-section.ts';
import { checkRows } from '../script/script-summary.ts';
import { exportSummary } from '../script/summary-export.ts';
import { scriptWholeLines } from '../script/whole-lines.ts';
import { mergeRunReports } from '../stats/merge-results.ts';
import { MasterPool } from './master-pool.ts';
import type { MasterWorkerPlan } from './master-worker-flags.ts';
import { mergeableParts } from './part-check.ts';
import { serveMaster } from './remote-link.ts';
import { PART_SNAPSHOT_MS, type RunTest, type ToMaster } from './remote-protocol.ts';
import { requestsOf } from './run-parts.ts';

/** How long the master waits for the joined workers to say they can run the test. */
export const PREPARE_WAIT_MS = 60_000;

export interface RunMasterOptions {
  plan: MasterWorkerPlan;
  /** What every worker runs its segment of. */
  test: RunTest;
  /** The lab's thresholds, checked on the merged report: --threshold, and a script's strings. */
  thresholds: readonly Threshold[];
  /** A script's options.thresholds (k6's shape) and custom metrics: checked on the merged whole. */
  script?: {
    k6: readonly K6Threshold[];
    declared: ReadonlyMap<string, MetricKind>;
    /** options.thresholds as the lab's strings (checked among `thresholds`; carried in the report). */
    labStrings?: readonly string[];
    /** What setup() recorded on the master (its requests and metrics count in the merged whole). */
    setupPart?: ScriptScenarioMetrics;
    /**
     * teardown(): called once after the workers' reports are in, before the whole is checked
     * (or, when the test did not run, at the end); its problem, if any, and what it recorded.
     */
    teardown?: () => Promise<{ problem?: string; part?: ScriptScenarioMetrics }>;
    /** The script's handleSummary(), called on the merged whole after teardown(); it replaces the merged summary. */
    handleSummary?: { fn: unknown; options: SummaryOptions };
    /** --summary-export FILE: k6's summary export of the merged whole, shaped by `options`. */
    summaryExport?: { file: string; options: SummaryOptions };
  };
  files: ReportFiles;
  version: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
  signal?: AbortSignal;
}

type Teardown = () => Promise<{ problem?: string; part?: ScriptScenarioMetrics }>;

export async function runAsMaster(o: RunMasterOptions): Promise<number> {
  let tornDown = false;
  const teardown: Teardown = async () => {
    if (tornDown || o.script?.teardown === undefined) return {};
    tornDown = true;
    const r = await o.script.teardown();
    const problem = r.problem;
    if (problem !== undefined)
      (o.err ?? ((t: string) => process.stderr.write(`${t}\n`)))(
        `tickstorm run: script error in ${o.test.kind === 'script' ? o.test.file : 'the script'}: ${problem}`,
      );
    return r;
  };
  const code = await masterRun(o, teardown);
  const { problem } = await teardown();
  return problem !== undefined && code === EXIT_OK ? EXIT_SCRIPT_ERROR : code;
}

async function masterRun(o: RunMasterOptions, teardown: Teardown): Promise<number> {
  const out = o.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = o.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const p = o.plan;
  let pool: MasterPool;
  try {
    pool = await MasterPool.listenFor(p, {
      log: out,
      signal: o.signal,
      mode: 'run',
      test: o.test,
      version: o.version,
    });
  } catch (e) {
    err(`tickstorm run: ${(e as Error).message}`);
    return EXIT_ERROR;
  }
  out(
    `Master listening on ${p.masterBindHost}:${pool.port}; workers join with: tickstorm run --worker --master-host HOST --master-port ${pool.port}`,
  );
  out(`Test: ${describeTest(o.test)}; each of the N workers runs 1/N of it`);
  let reports: Awaited<ReturnType<MasterPool['collectReports']>>['reports'];
  let stoppedBy: string | undefined;
  let segments: Map<string, ExecutionSegment>;
  try {
    let ids: string[];
    try {
      ids = await pool.preparedWorkers(PREPARE_WAIT_MS);
    } catch (e) {
      // --expect-workers-max-wait ran out: the workers refused are why, and when none that can
      // run the test is here, their exit code is the master's
      if (pool.refusals.length === 0 || o.signal?.aborted === true) throw e;
      const none = pool.connected === 0;
      err(
        [
          none
            ? 'tickstorm run: no worker can run the test; nothing ran:'
            : `tickstorm run: ${(e as Error).message}`,
          ...pool.refusals.map((r) => `  - worker ${r.id} refused (exit ${r.code}): ${r.message}`),
        ].join('\n'),
      );
      await pool.close();
      return none ? pool.refusals[0].code : e instanceof LabError ? e.exitCode : EXIT_ERROR;
    }
    if (o.signal?.aborted) {
      await pool.close();
      return EXIT_ABORTED;
    }
    const told = pool.go(ids);
    segments = new Map(told.map((id, index) => [id, { index, count: told.length }]));
    // a part that stopped the test (108: exec.test.abort() or abortOnFail; 107: a script error)
    // stops the others, as the test would stop on one machine
    ({ reports, stoppedBy } = await pool.collectReports(
      told,
      (r) => r.exitCode === EXIT_THRESHOLD_ABORTED || r.exitCode === EXIT_SCRIPT_ERROR,
    ));
  } catch (e) {
    err(`tickstorm run: ${(e as Error).message}`);
    await pool.close();
    if (o.signal?.aborted) return EXIT_ABORTED;
    return e instanceof LabError ? e.exitCode : EXIT_ERROR;
  }
  await pool.close();
  const workers = pool.section();
  // a part that does not merge (corrupt, hostile) is left out, not the whole merge with it
  reports = mergeableParts(reports, workers.missing, o.version, err);
  if (reports.length === 0) {
    err('tickstorm run: no worker sent a report (see the lines above)');
    return o.signal?.aborted ? EXIT_ABORTED : EXIT_ERROR;
  }
  const partials = reports.filter((r) => r.partialAt !== undefined).length;
  const run: RunReport = mergeRunReports(
    reports.map((r) => ({ source: `worker ${r.id}`, report: r.report })),
    o.version,
  );
  // a lost worker's last part so far is in the merged figures: say so wherever it is listed
  for (const r of reports)
    if (r.partialAt !== undefined) {
      const m = workers.missing.find((x) => x.id === r.id);
      if (m !== undefined) m.partial = { at: r.partialAt, requests: requestsOf(r.report) };
    }
  run.workers = {
    ...workers,
    segments: [...segments.entries()].map(([id, seg]) => {
      const r = reports.find((x) => x.id === id);
      return {
        id,
        segment: segmentLabel(seg),
        requests: r === undefined ? null : requestsOf(r.report),
        ...(r?.partialAt === undefined ? {} : { partial: true as const, lastSnapshotAt: r.partialAt }),
      };
    }),
  };
  const thresholds = evaluateThresholds(run, o.thresholds);
  run.thresholds = thresholds;
  let code = exitCodeFor(run);
  const scriptText: string[] = [];
  let k6Failed = 0;
  let whole: ReturnType<typeof checkScriptOnWhole> | undefined;
  // k6's order: teardown() once every part ended, then the thresholds on the whole (its
  // requests and setup()'s count there, as on one machine), then handleSummary(data)
  const td = await teardown();
  const tdFailed = td.problem !== undefined;
  // A script whose gates the master knows: the merged whole decides, not each part.
  const wholeDecides = o.test.kind === 'script' && o.script !== undefined;
  if (wholeDecides && o.script !== undefined) {
    const inputs = reports.map((r) => ({ source: `worker ${r.id}`, report: r.report }));
    const lifecycleParts = [o.script.setupPart, td.part].filter((p) => p !== undefined);
    whole = checkScriptOnWhole(run, inputs, { ...o.script, lifecycleParts });
    run.script = whole.section;
    k6Failed = whole.failed;
    if (k6Failed > 0) code = EXIT_THRESHOLDS_FAILED;
    scriptText.push(
      ...scriptWholeLines(
        whole,
        o.script.declared,
        inputs,
        `on the merged whole (${reports.length} worker(s))`,
      ),
    );
  }
  // a part interrupted by the master's own Ctrl-C is no worker failure, nor one that its worker
  // ended when it learnt it had been dropped (it came back: what it measured is in the figures)
  const stopped = (r: { id: string; report: RunReport; returned?: true }) =>
    (o.signal?.aborted === true || r.returned === true || (stoppedBy !== undefined && r.id !== stoppedBy)) &&
    r.report.exitCode === EXIT_ABORTED;
  const failed = reports.find(
    (r) => r.report.exitCode !== EXIT_OK && r.report.exitCode !== EXIT_THRESHOLDS_FAILED && !stopped(r),
  );
  /** The parts that missed their own thresholds or targets, for the verdict line. */
  const partsMissed: string[] = [];
  if (failed !== undefined) {
    err(`tickstorm run: worker ${failed.id} ended with exit code ${failed.report.exitCode}`);
    code = failed.report.exitCode;
  } else if (!wholeDecides) {
    // A part that missed its scenario targets fails the test: the master never passes what
    // one of its parts did not.
    const missed = reports.filter((r) => r.report.exitCode === EXIT_THRESHOLDS_FAILED);
    for (const r of missed) partsMissed.push(`worker ${r.id}'s part`);
    if (missed.length > 0) {
      err(
        `tickstorm run: the part${missed.length > 1 ? 's' : ''} of worker${missed.length > 1 ? 's' : ''} ` +
          `${missed.map((r) => r.id).join(', ')} failed ${missed.length > 1 ? 'their' : 'its'} own thresholds or targets (exit 99)`,
      );
      code = EXIT_THRESHOLDS_FAILED;
    }
  }
  if (o.signal?.aborted) code = EXIT_ABORTED;
  if (tdFailed && code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  const hs = o.script?.handleSummary;
  const se = o.script?.summaryExport;
  const data =
    (hs !== undefined || se !== undefined) && whole !== undefined && o.script !== undefined
      ? summaryData({
          view: whole.view,
          declared: o.script.declared,
          k6: o.script.k6,
          results: whole.section.thresholds,
          checks: checkRows(whole.parts),
          options: (hs ?? se)!.options,
          durationMs: run.finishedAt - run.startedAt,
        })
      : undefined;
  const exported = data !== undefined && se !== undefined ? exportSummary(se.file, data, err) : undefined;
  const handled = hs !== undefined && data !== undefined ? await runHandleSummary(hs.fn, data) : undefined;
  if (handled?.ok === false) {
    err(
      `tickstorm run: script error in ${o.test.kind === 'script' ? o.test.file : ''}: ${handled.problem}\n(the summary below is tickstorm's own)`,
    );
    if (code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  }
  run.exitCode = code;
  // the merged summary, unless the script's handleSummary() replaced it
  const parts = (handled?.ok ? [] : run.scenarios).map(
    (s) =>
      `${s.scenario} (merged from ${reports.length} worker(s)${
        partials > 0 ? `; ${partials} of them lost, up to its last snapshot` : ''
      })\n${renderSampleResults(s)}`,
  );
  parts.push(
    [
      `Workers: ${workers.joined.length} joined (${workers.expected} expected), ${reports.length - partials} reported, ${workers.missing.length} missing`,
      ...workers.missing.map((m) => `  missing: ${m.id} (${m.reason})${partialNote(m.partial)}`),
      ...(workers.returned ?? []).map(
        (r) =>
          `  came back: ${r.id} (dropped: ${r.reason}); its report came after (${r.requests} requests) and is in the merged figures in place of its last snapshot (${r.snapshotRequests ?? 'none'})`,
      ),
    ].join('\n'),
  );
  if (scriptText.length > 0 && !handled?.ok) parts.push(scriptText.join('\n'));
  const th = thresholdLines(thresholds);
  if (th.length > 0 && !handled?.ok) parts.push(th.join('\n'));
  out(`\n${parts.join('\n\n')}`);
  for (const f of [o.files.json, o.files.html, o.files.junit, o.files.csv]) {
    if (f) makeDir(dirname(f));
  }
  const written = handled?.ok ? [...handled.written] : [];
  if (typeof exported === 'string') written.push(exported);
  written.push(...(await writeReports(run, o.files, { title: 'Tickstorm run report (master/worker)' })));
  if (written.length > 0) out(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
  const failing = handled?.ok === false ? 'handleSummary()' : tdFailed ? 'teardown()' : undefined;
  out(
    `\n${
      code === EXIT_SCRIPT_ERROR && failing !== undefined
        ? `ERROR: ${failing} failed (exit code ${code})`
        : verdictLine(code, thresholds.filter((t) => !t.pass).length + k6Failed, partsMissed)
    }`,
  );
  return code;
}

/** A lost worker's line: what of its part is in the merged figures. */
function partialNote(p: { at: number; requests: number } | undefined): string {
  if (p === undefined) return '; none of its part is in the merged figures';
  return `; its part up to its last snapshot (${new Date(p.at).toISOString()}, ${p.requests} requests) is in the merged figures`;
}

/** One line: the scenarios and their parameters, or the script. */
export function describeTest(t: RunTest): string {
  if (t.kind === 'script') {
    const x = t.execution;
    if (x === undefined) return `script ${t.file}`;
    const flags = [
      x.vus === undefined ? '' : ` --vus ${x.vus}`,
      x.duration === undefined ? '' : ` --duration ${x.duration}`,
      x.iterations === undefined ? '' : ` --iterations ${x.iterations}`,
      ...(x.stages ?? []).map((st) => ` --stage ${st.duration}:${st.target}`),
    ];
    return `script ${t.file}${flags.join('')}`;
  }
  const show = (v: unknown) =>
    Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v);
  return t.scenarios
    .map(
      (s) =>
        `${s.id} (${Object.entries(s.params)
          .map(([k, v]) => `${k}=${show(v)}`)
          .join(' ')})`,
    )
    .join(', ');
}

export interface RunWorkerOptions {
  plan: MasterWorkerPlan;
  version: string;
  /** Checks this worker can run the master's test: null when it can, else the exit code and why. */
  prepare: (test: RunTest) => Promise<{ code: number; message: string } | null>;
  /** Runs this worker's segment of the test when the master says go; null when it could not run. */
  run: (test: RunTest, segment: ExecutionSegment, signal: AbortSignal) => Promise<RunReport | null>;
  out?: (text: string) => void;
  err?: (text: string) => void;
  signal?: AbortSignal;
}

/**
 * Serves the master until it quits this worker; the exit code. A worker whose link ends with 1
 * (the master vanished, or dropped it) while its part runs stops the part, which prints its
 * report and INTERRUPTED: the process exits 105, as it printed, not 1.
 */
export async function runAsWorker(o: RunWorkerOptions): Promise<number> {
  const out = o.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = o.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const abort = new AbortController();
  let running: Promise<void> | null = null;
  let test: RunTest | null = null;
  /** The part's own exit code, once it ended; and whether the link's end stopped it. */
  let partCode: number | undefined;
  let cutShort = false;
  const code = await serveMaster({
    masterHost: o.plan.masterHost,
    masterPort: o.plan.masterPort,
    version: o.version,
    mode: 'run',
    out,
    err,
    signal: o.signal,
    cleanup: async () => {
      cutShort = running !== null && partCode === undefined;
      abort.abort();
      await running;
    },
    handle: async (m, link) => {
      if (m.t === 'test' && test === null) {
        const refused = await o.prepare(m.test);
        if (refused !== null) {
          link.send({ t: 'error', message: refused.message, code: refused.code });
          await link.finish(
            refused.code,
            `tickstorm run --worker: cannot run the master's test: ${refused.message} [${
              refused.code === EXIT_SCRIPT_ERROR ? LabErrorCode.SCRIPT_ERROR : LabErrorCode.WORKER_REFUSED
            }]`,
            true,
          );
          return;
        }
        test = m.test;
        out(`Ready to run the master's ${m.test.kind === 'script' ? `script ${m.test.file}` : 'scenarios'}`);
        link.send({ t: 'prepared' });
        return;
      }
      if (m.t === 'stop') {
        // Ctrl-C on the master: end this part now; its report (so far) goes back as usual
        abort.abort();
        return;
      }
      if (m.t !== 'go' || running !== null || test === null) return;
      const seg = m.segment;
      out(
        `The master said go: running execution segment ${segmentLabel(seg)} (part ${seg.index + 1} of ${seg.count} of the load)`,
      );
      const sendPart = partSender(o.version, test, (m) => link.send(m));
      running = o.run(test, seg, abort.signal).then(
        (report) => {
          sendPart.stop();
          partCode = report?.exitCode ?? EXIT_ERROR;
          if (report !== null) link.send({ t: 'report', report });
          else link.send({ t: 'error', message: 'the run ended without a report (see its output)' });
        },
        (e: unknown) => {
          sendPart.stop();
          partCode = EXIT_ERROR;
          link.send({ t: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        },
      );
    },
  });
  return code === EXIT_ERROR && cutShort && partCode === EXIT_ABORTED ? EXIT_ABORTED : code;
}

/**
 * Sends the part so far every PART_SNAPSHOT_MS (cumulative: every scenario's requests and
 * histograms, packed, and a script's section, its checks, custom metrics, Trends' histograms
 * and iterations, as the final report holds them), so that a worker lost mid-run (killed, its
 * machine gone) leaves the master its part up to its last snapshot. A scenario's per-second
 * series goes as it grows: each part carries the seconds closed since the previous one, which
 * the master appends. The final report replaces them; `stop` ends the snapshots before it is
 * sent.
 */
function partSender(version: string, test: RunTest, send: (m: ToMaster) => void): { stop: () => void } {
  collectLiveParts(true);
  let stopped = false;
  let busy = false;
  /** Seconds of each scenario's series sent so far. */
  const sent = new Map<string, number>();
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    const at = Date.now();
    livePartResults(at)
      .then((live) => {
        if (stopped || live.length === 0) return;
        const script = liveSection(live, at);
        const scenarios = live.map(({ result: s }) => ({
          ...s,
          timeseries: s.timeseries.slice(sent.get(s.scenario) ?? 0),
          // an ended scenario's are in its script section; the master merges no other
          extra: s.extra.partial === true ? s.extra : {},
        }));
        const report: RunReport = {
          tool: 'tickstorm',
          version,
          startedAt: Math.min(...scenarios.map((s) => s.startedAt)),
          finishedAt: at,
          target: test.kind === 'script' ? test.file : "the master's scenarios",
          scenarios,
          thresholds: [],
          exitCode: EXIT_OK,
          ...(script === undefined ? {} : { script }),
        };
        send({ t: 'part', at, report });
        for (const { result: s } of live) sent.set(s.scenario, s.timeseries.length);
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  }, PART_SNAPSHOT_MS);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      collectLiveParts(false);
    },
  };
}
