/**
 * `tickstorm run FILE.ts|FILE.js`: runs a k6-style script (options + default function).
 *
 *   const r = await runScriptFile({ file: '/abs/load.ts', version: '0.1.0', files: { json: 'out.json' } });
 *   process.exitCode = r.exitCode;
 *
 * Order: the file, TLS and -e/--env flags are checked; the script is imported in this thread
 * with the built-in modules registered and __ENV set (a throw, a syntax error or no default
 * function: exit 107); `options` and every threshold are validated against the metrics the
 * script declared (exit 104 with every problem); setup(), when exported, runs once here
 * (lifecycle.ts; a throw, a timeout or data JSON cannot carry: exit 107, nothing else runs);
 * the scenarios run at the same time (each from its startTime) on the lab's executors, their
 * functions called as fn(data, ctx) when there is a setup(), else fn(ctx); thresholds with
 * abortOnFail are checked each second and stop the run (exit 108), and exec.test.abort() ends
 * it at once (108: no iteration starts after it, those in flight interrupted); teardown(data) runs once
 * after them, however they ended; the summary is k6's metrics, the thresholds, and the lab's
 * blocks per scenario, or what the script's handleSummary(data) returns (handle-summary.ts).
 * Exit: 0 passed, 99 a threshold failed, 105 interrupted, 107 teardown() or handleSummary()
 * failed (when nothing else did), 1 the run could not finish.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import {
  EXIT_ABORTED,
  EXIT_ERROR,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  EXIT_THRESHOLD_ABORTED,
  EXIT_THRESHOLDS_FAILED,
} from '../gates/exit-codes.ts';
import { evaluateThresholds } from '../gates/thresholds.ts';
import { type ExecutionSegment, segmentLabel, segmentShare, WHOLE } from '../generator/execution-segment.ts';
import { normalizeExecutor } from '../generator/executor-options.ts';
import { liveScriptSection } from '../generator/live-parts.ts';
import { type RunOutcome, runScenario } from '../generator/run-scenario.ts';
import type { RunReport, ScenarioResult } from '../model/result.ts';
import { type LoadMetricsServer, startLoadMetricsServer } from '../monitor/prometheus-exporter.ts';
import { latencyLines, outcomeLines, renderScenarioBlock } from '../report/console.ts';
import { commas, pyFixed } from '../report/format.ts';
import { K6JsonOut } from '../report/k6-json-out.ts';
import { renderSampleResults } from '../report/locust-table.ts';
import { createProgress } from '../report/progress.ts';
import { writeReports } from '../report/write-reports.ts';
import { thresholdLines } from '../run/run-output.ts';
import type { RequestEvents } from '../stats/events.ts';
import { nameLatencyOf } from '../stats/slice-detail.ts';
import { nowUs, usToEpochMs } from '../util/clock.ts';
import type { ScriptParams } from './factory.ts';
import { DEFAULT_TREND_STATS, runHandleSummary, summaryData } from './handle-summary.ts';
import {
  allMetrics,
  EXPECTED_DURATION,
  evaluateK6,
  type K6ThresholdResult,
  type MetricPart,
  MetricView,
} from './k6-metrics.ts';
import type { LifecyclePart } from './lifecycle.ts';
import { liveSectionBuilder } from './live-section.ts';
import { startLiveWatch } from './live-watch.ts';
import type { ScriptScenario } from './options.ts';
import { runtime } from './runtime.ts';
import { loadScriptRun, type ScriptRunInput, setupOf, teardownOf } from './script-load.ts';
import { scriptSection, thresholdRows } from './script-section.ts';
import {
  checkRows,
  type ScriptRunResult,
  type ScriptSummary,
  summaryLines,
  verdict,
} from './script-summary.ts';
import { declareSubmetrics } from './submetrics.ts';
import { exportSummary } from './summary-export.ts';
import { listenForAbort } from './test-abort.ts';
import { VusOut } from './vus-out.ts';
import { vusPlan } from './vus-plan.ts';

/** What setup() or teardown() recorded, as the exporter adds it (LoadMetricsServer.addPart). */
const exporterPart = (p: LifecyclePart) => ({
  requests: p.stats.requests,
  failures: p.stats.failures,
  latency: p.stats.entries.map((e) => nameLatencyOf(e.name, e.latency)),
  counters: p.counters,
});

/** The iteration stores of setup() and teardown() (lifecycle.ts): no scenario's. */
const LIFECYCLE = /^\((setup|teardown)\)$/;
const INTERNAL_KEY = /^(trend:|metric:|check:|gauge:|vus:|vus_max:)/;

export async function runScriptFile(input: ScriptRunInput): Promise<ScriptRunResult> {
  const out = input.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = input.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const cmd = 'tickstorm run';
  const loaded = await loadScriptRun(input);
  if ('exitCode' in loaded) return { exitCode: loaded.exitCode, summary: null, report: null, written: [] };
  const { file, parsed, k6, lab, workers, aborting, outFiles, mod, env } = loaded;
  // a run's own exporter is closed at its end; one handed in (input.metrics) lives on. Opened
  // first: a port it cannot listen on ends the run before setup() and before the live watch's
  // timer and the abort channel exist (which, left open, kept the process from exiting)
  let ownExporter: LoadMetricsServer | undefined;
  if (input.metrics === undefined && input.metricsPort !== undefined) {
    try {
      ownExporter = await startLoadMetricsServer({ port: input.metricsPort });
    } catch (e) {
      const flag = input.metricsFlag ?? `--metrics-port ${input.metricsPort}`;
      err(`${cmd}: ${flag}: cannot serve there (${(e as Error).message})`);
      return { exitCode: EXIT_ERROR, summary: null, report: null, written: [] };
    }
    err(`generator metrics: ${ownExporter.url}`);
  }
  // k6's setup(): once, here, before any scenario; its data goes to every VU as a JSON copy
  // (or the master's, when setup() ran there: input.lifecycle)
  const here = input.lifecycle === undefined;
  const withSetup = input.lifecycle?.withSetup ?? typeof mod.setup === 'function';
  let dataJson = input.lifecycle?.dataJson;
  // the submetrics the thresholds name, recorded here too: setup()'s and teardown()'s samples count
  const submetrics = [
    ...new Set([
      EXPECTED_DURATION,
      ...k6.thresholds.flatMap((t) => (t.tags.sub === undefined ? [] : [t.tags.sub])),
    ]),
  ];
  declareSubmetrics(submetrics);
  // as k6's, setup()'s and teardown()'s samples carry the run's tags (options.tags, --tag): a
  // threshold on one takes them (their own parts' names stand for their scenario here)
  for (const part of ['(setup)', '(teardown)']) runtime().scenarioTags.set(part, parsed.options.tags);
  const tagsOf = new Map(parsed.options.scenarios.map((s) => [s.name, s.tags]));
  let jsonOut: K6JsonOut | undefined;
  // k6's vus and vus_max: once a second for the whole test, from the scenarios' start (./vus-out.ts)
  let vusOut: VusOut | undefined;
  let outHook: ((events: RequestEvents, scenario: string) => void) | undefined;
  // opened before setup(): its samples stream too, as k6's
  if (outFiles.json !== undefined) {
    makeDir(dirname(resolvePath(outFiles.json)));
    const own = new Map<string, string[]>();
    for (const t of k6.thresholds)
      if (t.key === t.metric) own.set(t.metric, [...(own.get(t.metric) ?? []), t.source]);
    const w = new K6JsonOut(outFiles.json, own);
    jsonOut = w;
    // HTTP requests stream from tickstorm/http itself, with k6's tags (group, url, proto,
    // params.tags): here only the other request types (a ws.connect() handshake)
    outHook = (events, scenario) => {
      events.on((ev) => {
        if (ev.type !== 'WS') return;
        const endMs = usToEpochMs(ev.timeUs === 0 ? nowUs() : ev.timeUs);
        const latencyMs = ev.latencyUs / 1000;
        w.request(
          (endMs - latencyMs) / 1000,
          latencyMs,
          ev.ok,
          `${ev.type} ${ev.name}`,
          ev.status,
          scenario,
          tagsOf.get(scenario),
        );
      });
    };
    runtime().onEvents.push(outHook);
    runtime().sink = (metric, kind, value, scenario, tags) => {
      if (metric === 'vus' || metric === 'vus_max') vusOut?.set(scenario, metric, value);
      // as k6's: a VU's samples carry its group, '' outside any (dropped_iterations is the executor's)
      // setup()'s and teardown()'s (their own '(setup)', '(teardown)'): the run's tags and their
      // group, no scenario, as k6's
      else if (LIFECYCLE.test(scenario)) w.sample(metric, kind, value, { ...parsed.options.tags, ...tags });
      else w.sample(metric, kind, value, { ...tagsOf.get(scenario), ...vuGroup(metric), ...tags, scenario });
    };
  }

  const closeOut = () => {
    if (outHook !== undefined) runtime().onEvents = runtime().onEvents.filter((h) => h !== outHook);
    runtime().sink = null;
    jsonOut?.close();
  };
  let setupPart: LifecyclePart | undefined;
  if (here && withSetup) {
    const r = await setupOf(loaded, input.err, input.signal);
    setupPart = r.part;
    if (r.interrupted === true) {
      // Ctrl-C during setup() (a slow or hanging target): cut it, as k6 does; nothing ran
      err(`${cmd}: interrupted during setup(): no scenario was run.`);
      await ownExporter?.close({ wait: false });
      closeOut();
      return { exitCode: EXIT_ABORTED, summary: null, report: null, written: [] };
    }
    if (r.aborted !== undefined) {
      err(`${cmd}: test aborted: ${r.aborted} (exec.test.abort() in setup())\nno scenario was run.`);
      await ownExporter?.close({ wait: false });
      closeOut();
      return { exitCode: EXIT_THRESHOLD_ABORTED, summary: null, report: null, written: [] };
    }
    if (r.problem !== undefined) {
      err(`${cmd}: script error in ${input.file}: ${r.problem}\nno scenario was run.`);
      await ownExporter?.close({ wait: false });
      closeOut();
      return { exitCode: EXIT_SCRIPT_ERROR, summary: null, report: null, written: [] };
    }
    dataJson = r.dataJson;
    // its requests and metrics are the run's: on the generator's /metrics too
    if (setupPart !== undefined) (input.metrics ?? ownExporter)?.addPart('(setup)', exporterPart(setupPart));
  }
  const tls = loaded.tls;
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  input.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (input.signal?.aborted) stop.abort(); // interrupted during setup(): no scenario starts
  let abortedBy: K6ThresholdResult | undefined;
  const live =
    aborting.length > 0
      ? startLiveWatch(aborting, (r) => {
          abortedBy ??= r;
          stop.abort();
        })
      : undefined;
  // exec.test.abort() in any generator thread: its thread halted its scenarios at once, the
  // others as they heard it; the reason comes here (and in the halted scenarios' outcomes, when
  // they end first) and halts every scenario, those whose threads had not heard it included
  let scriptAbort: string | undefined;
  const halt = new AbortController();
  const testAborted = (reason: string) => {
    if (scriptAbort === undefined) err(`${cmd}: test aborted: ${reason}`);
    scriptAbort ??= reason;
    halt.abort();
    stop.abort();
  };
  // ... and a script error found while it runs (an iteration not awaiting its requests): 107
  let scriptError: string | undefined;
  const abortChannel = `tickstorm.script.abort:${randomUUID()}`;
  const abortListen = listenForAbort(abortChannel, (reason, isError) => {
    if (!isError) return testAborted(reason);
    if (scriptError === undefined) err(`${cmd}: script error in ${input.file}: ${reason}`);
    scriptError ??= reason;
    stop.abort();
  });
  runtime().abortChannel = abortChannel;
  const vuBase = vuBases(parsed.options.scenarios, input.segment ?? WHOLE);

  const part =
    input.segment === undefined || input.segment.count === 1
      ? ''
      : ` [execution segment ${segmentLabel(input.segment)}: this run's share of the load above]`;
  out(`\n▶ script ${input.file}: ${parsed.options.scenarios.map(scenarioLine).join('; ')}${part}`);
  const exporter = input.metrics ?? ownExporter;
  const progress = createProgress(input.progress);
  const totals = { requests: 0, failures: 0, first: undefined as number | undefined };
  const startedAt = Date.now();
  // k6's vus_max: the VUs it initialises before the start (every scenario's, ./vus-plan.ts) count
  // from the test's first second to its end; the threads add those beyond preAllocatedVUs
  const plan = vusPlan(parsed.options.scenarios, input.segment ?? WHOLE);
  const planKey = `vus_max:d:${Math.floor(startedAt / 1000)}`;
  for (const [name, share] of plan.shares) exporter?.addCounters(name, { [planKey]: share });
  if (jsonOut !== undefined) vusOut = new VusOut(jsonOut, parsed.options.tags, plan.total);
  let crashed: string | undefined;
  // a run --worker's part so far carries the script section its final report would
  const unLive = liveScriptSection(
    liveSectionBuilder({
      declared: runtime().metrics,
      labThresholds: parsed.options.labThresholds,
      planKey,
      shares: plan.shares,
    }),
  );
  const outcomes = await Promise.all(
    parsed.options.scenarios.map(async (s): Promise<RunOutcome | undefined> => {
      if (s.startTimeMs > 0 && !(await delay(s.startTimeMs, stop.signal))) return undefined;
      const params: ScriptParams = {
        ...{ file, exec: s.exec, scenario: s.name, tls, env, withSetup, dataJson, tags: s.tags },
        ...{ scenarioEnv: s.env, vus: vuBase.get(s.name), abortChannel, execution: input.execution },
        submetrics,
      };
      try {
        return await runScenario({
          name: s.name,
          executor: s.executor,
          script: { module: new URL('./factory.ts', import.meta.url) },
          params: params as unknown as Record<string, unknown>,
          workers,
          signal: stop.signal,
          halt: halt.signal,
          segment: input.segment,
          // never in a report (nor in a run --worker's part so far): the path, the TLS keys
          hideParams: ['file', 'tls', 'execution'],
          sliceDetail: exporter !== undefined,
          onSlice: (slice, detail) => {
            exporter?.observe(s.name, slice, detail);
            totals.first ??= slice.t;
            totals.requests += slice.requests;
            totals.failures += slice.failures;
            progress.tick({
              scenario: parsed.options.scenarios.length === 1 ? s.name : 'script',
              elapsedSec: slice.t - totals.first + 1,
              requests: totals.requests,
              failures: totals.failures,
              currentRps: slice.requests,
              p95Ms: slice.requests > 0 ? slice.p95 : undefined,
              p99Ms: slice.requests > 0 ? slice.p99 : undefined,
              active: slice.active,
            });
          },
        });
      } catch (e) {
        crashed ??= `scenario ${s.name}: ${e instanceof Error ? e.message : String(e)}`;
        stop.abort();
        return undefined;
      } finally {
        exporter?.finished(s.name);
      }
    }),
  );
  unLive();
  progress.finish();
  // a scenario halted by exec.test.abort() may end before the channel's message came here
  for (const o of outcomes) if (o?.exec.haltedBy !== undefined) testAborted(o.exec.haltedBy);
  vusOut?.stop();
  // the test is over: its VUs leave an exporter that lives on (run --worker's, for the next run)
  const endKey = `vus_max:end:${Math.floor(Date.now() / 1000) + 1}`;
  for (const [name, share] of plan.shares) exporter?.addCounters(name, { [endKey]: -share });
  for (const o of outcomes)
    if (o !== undefined)
      exporter?.addCounters(o.result.scenario, {
        [endKey]: -Object.entries(o.counters).reduce(
          (a, [k, v]) => a + (k.startsWith('vus_max:d:') ? v : 0),
          0,
        ),
      });
  live?.stop();
  input.signal?.removeEventListener('abort', onOuterAbort);
  // k6's teardown(data): once, after every scenario ended (however the run ended); its
  // figures reach the run's own exporter before its last scrape
  const td = here ? await teardownOf(loaded, dataJson, input.err) : undefined;
  if (td !== undefined) exporter?.addPart('(teardown)', exporterPart(td.part));
  await ownExporter?.close({ note: err });
  closeOut();
  abortListen.close();
  runtime().abortChannel = null;
  if (td?.aborted !== undefined) err(`${cmd}: test aborted: ${td.aborted} (exec.test.abort() in teardown())`);
  scriptAbort ??= td?.aborted;
  const teardownProblem = td?.aborted === undefined ? td?.problem : undefined;
  const finishedAt = Date.now();

  const parts: MetricPart[] = [];
  const results: ScenarioResult[] = [];
  // the planned VUs of a scenario that never started (the run stopped before its startTime) go
  // to the first that did: k6 had initialised them too
  const ran = outcomes.filter((o) => o !== undefined).map((o) => o.result.scenario);
  const planned = (name: string) =>
    (plan.shares.get(name) ?? 0) +
    (name === ran[0] ? [...plan.shares].reduce((a, [n, v]) => a + (ran.includes(n) ? 0 : v), 0) : 0);
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  for (const o of outcomes) {
    if (o === undefined) continue;
    const r = o.result;
    for (const k of Object.keys(r.extra)) if (INTERNAL_KEY.test(k)) delete r.extra[k];
    results.push(r);
    parts.push({
      scenario: r.scenario,
      stats: o.stats,
      counters: { ...o.counters, [planKey]: (o.counters[planKey] ?? 0) + planned(r.scenario) },
      iterations: o.exec.completed,
      dropped: o.exec.dropped,
    });
    firstStart = Math.min(firstStart, r.startedAt);
    lastEnd = Math.max(lastEnd, r.startedAt + r.durationSec * 1000);
  }
  // k6 counts setup()'s and teardown()'s requests, checks and metrics in the run's (tagged
  // group ::setup / ::teardown, in no scenario), never as iterations
  for (const [scenario, lp] of [
    ['(setup)', setupPart],
    ['(teardown)', td?.part],
  ] as const)
    if (lp !== undefined)
      parts.push({ scenario, stats: lp.stats, counters: lp.counters, iterations: 0, dropped: 0 });
  const view = new MetricView(parts, parts.length === 0 ? 0 : (lastEnd - firstStart) / 1000);
  const k6Results = evaluateK6(view, k6.thresholds);
  const report: RunReport = {
    tool: 'tickstorm',
    version: input.version,
    startedAt,
    finishedAt,
    target: input.file,
    scenarios: results,
    thresholds: [],
    exitCode: EXIT_OK,
  };
  const labResults = evaluateThresholds(report, lab.thresholds);
  report.thresholds = labResults;

  let code: number = EXIT_OK;
  if (k6Results.some((t) => !t.pass) || labResults.some((t) => !t.pass)) code = EXIT_THRESHOLDS_FAILED;
  if (scriptError !== undefined) code = EXIT_SCRIPT_ERROR;
  else if (abortedBy !== undefined || scriptAbort !== undefined) code = EXIT_THRESHOLD_ABORTED;
  else if (input.signal?.aborted) code = EXIT_ABORTED;
  else if (crashed !== undefined) code = EXIT_ERROR;
  if (teardownProblem !== undefined && code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  report.exitCode = code;
  const abortText =
    scriptError !== undefined
      ? `script error: ${scriptError}`
      : scriptAbort !== undefined
        ? `exec.test.abort(): ${scriptAbort}`
        : abortedBy === undefined
          ? undefined
          : `${abortedBy.key}: ${abortedBy.source}`;
  report.script = scriptSection(parts, runtime().metrics, k6Results, abortText, parsed.options.labThresholds);

  const metrics = allMetrics(
    view,
    runtime().metrics,
    k6.thresholds.map((t) => t.metric),
    k6.thresholds,
  );
  const checks = checkRows(parts);
  // k6's handleSummary(data) and --summary-export: here (not on a master's worker), after
  // teardown(), whatever the verdict; options.summaryTrendStats other than the default also
  // choose the trends' figures in the text summary, as in k6 (from the same data)
  const stats = parsed.options.summary.summaryTrendStats;
  const ownStats = stats.join() !== DEFAULT_TREND_STATS.join();
  const data =
    (here && (typeof mod.handleSummary === 'function' || input.summaryExport !== undefined)) || ownStats
      ? summaryData({
          view,
          declared: runtime().metrics,
          k6: k6.thresholds,
          results: report.script.thresholds,
          checks,
          options: parsed.options.summary,
          durationMs: finishedAt - startedAt,
        })
      : undefined;
  const exported =
    here && data !== undefined && input.summaryExport !== undefined
      ? exportSummary(input.summaryExport, data, err)
      : undefined;
  const handled =
    here && data !== undefined && typeof mod.handleSummary === 'function' && input.noSummary !== true
      ? await runHandleSummary(mod.handleSummary, data)
      : undefined;
  const shown = handled?.ok !== true && input.noSummary !== true;
  if (handled?.ok === false) {
    err(`${cmd}: script error in ${input.file}: ${handled.problem}\n(the summary below is tickstorm's own)`);
    if (code === EXIT_OK) code = EXIT_SCRIPT_ERROR;
  }
  report.exitCode = code;
  const summary: ScriptSummary = {
    tool: 'tickstorm',
    version: input.version,
    script: file,
    startedAt,
    finishedAt,
    exitCode: code,
    requests: (metrics.http_reqs.values as { count: number }).count,
    metrics,
    checks,
    thresholds: thresholdRows(k6Results),
    labThresholds: labResults,
    ...(abortText === undefined ? {} : { abortedBy: abortText }),
    scenarios: results,
    scriptMetrics: report.script,
  };

  // the lab's own summary, unless handleSummary() replaced it (or failed: then it is shown)
  for (const r of shown ? results : []) {
    const parts2 = [renderScenarioBlock(r, { title: `Scenario ${r.scenario}`, lines: scriptBlockLines })];
    if (r.entries.length > 0) parts2.push(renderSampleResults(r));
    out(`\n${parts2.join('\n\n')}`);
  }
  // what went wrong while it ran (iteration errors, a late generator) is no part of the summary
  // that handleSummary() replaces: k6 logs it on stderr as it happens; here, once, at the end
  if (!shown)
    for (const r of results)
      for (const w of r.generator.warnings) err(`${cmd}: scenario ${r.scenario}: ⚠ generator: ${w}`);
  const trendStats =
    ownStats && data !== undefined
      ? Object.fromEntries(
          Object.entries(data.metrics)
            .filter(([, m]) => m.type === 'trend')
            .map(([k, m]) => [k, m.values]),
        )
      : undefined;
  if (shown) out(`\n${summaryLines(summary, trendStats, parsed.options.summary.summaryTimeUnit).join('\n')}`);
  const th = thresholdLines(labResults);
  if (th.length > 0 && shown) out(`\n${th.join('\n')}`);

  const written: string[] = handled?.ok ? [...handled.written] : [];
  if (typeof exported === 'string') written.push(exported);
  if (jsonOut !== undefined) written.push(jsonOut.path);
  const files = input.files ?? {};
  if (files.json !== undefined) {
    makeDir(dirname(files.json));
    writeFileSync(files.json, `${JSON.stringify(summary, null, 2)}\n`);
    written.push(files.json);
  }
  for (const f of [files.html, files.junit, files.csv]) if (f) makeDir(dirname(f));
  written.push(...(await writeReports(report, { csv: files.csv, html: files.html, junit: files.junit })));
  if (written.length > 0) out(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
  if (crashed !== undefined) err(`${cmd}: ${crashed}`);
  if (teardownProblem !== undefined) err(`${cmd}: script error in ${input.file}: ${teardownProblem}`);
  out(
    `\n${
      code === EXIT_OK && input.noThresholds === true
        ? `DONE: thresholds not checked (--no-thresholds) (exit code ${code})`
        : verdict(code, summary, teardownProblem === undefined ? 'handleSummary()' : 'teardown()')
    }`,
  );
  return { exitCode: code, summary, report, written };
}

function scenarioLine(s: ScriptScenario): string {
  const { executor, ...rest } = s.executor as unknown as Record<string, unknown>;
  const opts = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${s.name} (${executor}${opts ? ` ${opts}` : ''}${s.exec !== 'default' ? ` exec=${s.exec}` : ''}${
    s.startTimeMs > 0 ? ` startTime=${s.startTimeMs / 1000}s` : ''
  })`;
}

/**
 * Where each scenario's VU ids start (factory.ts): after the VUs (maxVUs) of the scenarios
 * before it, in the whole test and in this run's part of it.
 */
function vuBases(
  scenarios: readonly ScriptScenario[],
  segment: ExecutionSegment,
): Map<string, NonNullable<ScriptParams['vus']>> {
  const out = new Map<string, NonNullable<ScriptParams['vus']>>();
  let base = 0;
  let baseInInstance = 0;
  for (const s of scenarios) {
    out.set(s.name, { base, baseInInstance, segment });
    const max = normalizeExecutor(s.executor).maxVUs;
    base += max;
    baseInInstance += segmentShare(max, segment);
  }
  return out;
}

/** Waits `ms` unless `signal` aborts first; true when the time passed. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((res) => {
    if (signal.aborted) return res(false);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      res(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      res(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** k6's `group` tag on a VU's samples outside any group() (inside one, the sample's own tags say it). */
const TOP_GROUP: Readonly<Record<string, string>> = Object.freeze({ group: '' });
const NO_GROUP: Readonly<Record<string, string>> = Object.freeze({});
/** Constants, not an object per sample: this runs for every sample --out json writes. */
const vuGroup = (metric: string): Readonly<Record<string, string>> =>
  metric === 'dropped_iterations' ? NO_GROUP : TOP_GROUP;

/**
 * A scenario's block: the lab's figures, then its iterations as k6 ends its run with them
 * (`349 complete and 23 interrupted iterations`): interrupted are those gracefulStop, a
 * ramping-vus VU's gracefulRampDown or exec.test.abort() cut.
 */
function scriptBlockLines(r: ScenarioResult): string[] {
  const done = r.extra.completedIterations;
  const cut = r.extra.interruptedIterations;
  return [
    ...outcomeLines(r, 'requests'),
    `Throughput: ${pyFixed(r.rps, 2)} requests/sec`,
    ...(typeof done === 'number' && typeof cut === 'number'
      ? [`Iterations: ${commas(done)} complete and ${commas(cut)} interrupted`]
      : []),
    '',
    ...latencyLines(r),
  ];
}
