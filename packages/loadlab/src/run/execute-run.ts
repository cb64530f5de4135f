/**
 * Runs a validated RunPlan: checks the target answers, optionally runs the suite's prelude,
 * runs each scenario in turn with a live progress line and a resource watch, prints each
 * scenario's results block, then the suite's tables and notes and the thresholds, writes the
 * requested files, and returns the exit code (gates/exit-codes.ts):
 *   0 all passed; 99 a threshold or scenario target failed (k6); 1 the target could not be
 *   reached or a scenario crashed; 105 interrupted (k6's external abort).
 */

import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { hasTlsSettings, useTlsForFetch } from '../clients/tls-options.ts';
import { LabErrorCode, labExitCode } from '../errors.ts';
import { EXIT_ABORTED, EXIT_ERROR, EXIT_OK } from '../gates/exit-codes.ts';
import { evaluateThresholds, exitCodeFor, type ThresholdResult } from '../gates/thresholds.ts';
import { segmentLabel } from '../generator/execution-segment.ts';
import type { RunReport, ScenarioResult, TimeSlice } from '../model/result.ts';
import { renderScenarioBlock } from '../report/console.ts';
import { K6JsonOut } from '../report/k6-json-out.ts';
import { renderSampleResults } from '../report/locust-table.ts';
import { createProgress, type ProgressOptions } from '../report/progress.ts';
import { ResultsCsvWriter } from '../report/results-csv.ts';
import { renderSummaryTables } from '../report/summary-table.ts';
import { writeReports } from '../report/write-reports.ts';
import { ResourceWatcher } from '../resources/resource-watch.ts';
import type { RequestRowSink } from '../scenario/scenario.ts';
import type { SliceDetail } from '../stats/slice-detail.ts';
import { parseDuration } from '../util/duration.ts';
import { paramSummary, resourceLines, thresholdLines, verdictLine } from './run-output.ts';
import type { PlannedScenario, RunPlan } from './run-plan.ts';

export interface ExecuteOptions {
  version: string;
  /** Results text (default: stdout). */
  out?: (text: string) => void;
  /** Errors and notes (default: stderr). */
  err?: (text: string) => void;
  progress?: ProgressOptions;
  signal?: AbortSignal;
  /** The caller already saw every service answer (tickstorm start). */
  skipReachability?: boolean;
  /**
   * Every scenario's per-second slice with its detail (per-name latency buckets), and its end
   * (a Prometheus exporter). Given, the scenarios record the detail.
   */
  onSlice?: (scenario: string, slice: TimeSlice, detail?: SliceDetail) => void;
  onScenarioEnd?: (scenario: string) => void;
}

export interface RunCommandResult {
  exitCode: number;
  report: RunReport | null;
  thresholds: ThresholdResult[];
  written: string[];
}

const ensureDir = (file: string) => makeDir(dirname(file));

function plannedSeconds(s: PlannedScenario): number | undefined {
  const d = s.params.duration;
  if (typeof d === 'number') return d;
  const ms = typeof d === 'string' ? parseDuration(d) : Number.NaN;
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

async function runOne<T>(
  s: PlannedScenario<T>,
  plan: RunPlan<T>,
  opts: ExecuteOptions,
  rows: RequestRowSink | undefined,
): Promise<ScenarioResult> {
  const progress = createProgress(opts.progress);
  const watcher = new ResourceWatcher(plan.watch).start();
  const totals = { requests: 0, failures: 0 };
  let firstT: number | undefined;
  let result: ScenarioResult;
  try {
    result = await s.def.run(
      {
        urls: plan.urls,
        workers: plan.workers,
        rows,
        signal: opts.signal,
        tls: plan.tls,
        segment: plan.segment,
        sliceDetail: opts.onSlice !== undefined,
        onSlice: (slice, detail) => {
          opts.onSlice?.(s.def.id, slice, detail);
          firstT ??= slice.t;
          totals.requests += slice.requests;
          totals.failures += slice.failures;
          progress.tick({
            scenario: s.def.id,
            elapsedSec: slice.t - firstT + 1,
            durationSec: plannedSeconds(s),
            requests: totals.requests,
            failures: totals.failures,
            currentRps: slice.requests,
            p95Ms: slice.requests > 0 ? slice.p95 : undefined,
            p99Ms: slice.requests > 0 ? slice.p99 : undefined,
            active: slice.active,
          });
        },
      },
      s.params,
    );
  } finally {
    progress.finish();
    opts.onScenarioEnd?.(s.def.id);
    await watcher.stop();
  }
  if (plan.watch.length > 0) result.resources = watcher.result();
  result.title ??= s.def.title;
  return result;
}

export async function executeRun<T>(plan: RunPlan<T>, opts: ExecuteOptions): Promise<RunCommandResult> {
  const out = opts.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = opts.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const { suite } = plan;
  if (hasTlsSettings(plan.tls)) useTlsForFetch(plan.tls);
  if (opts.skipReachability !== true) {
    const down = await suite.target.unreachable(
      plan.urls,
      plan.scenarios.map((s) => ({ id: s.def.id, params: s.params })),
    );
    if (down.length > 0) {
      err(
        [
          `${suite.name}: cannot reach the target:`,
          ...down.map((d) => `  - ${d}`),
          ...(suite.target.hint === undefined ? [] : [suite.target.hint]),
        ].join('\n'),
      );
      return {
        exitCode: labExitCode(LabErrorCode.TARGET_UNREACHABLE),
        report: null,
        thresholds: [],
        written: [],
      };
    }
  }
  if (plan.prelude && suite.prelude !== undefined) {
    out(suite.prelude.describe);
    try {
      await suite.prelude.run();
    } catch (e) {
      err(`${suite.name}: ${(e as Error).message}`);
    }
  }
  const startedAt = Date.now();
  let rows: ResultsCsvWriter | undefined;
  if (plan.resultsCsv !== undefined) {
    ensureDir(plan.resultsCsv);
    rows = new ResultsCsvWriter(plan.resultsCsv, { startedAtSec: startedAt / 1000, scenarioColumn: true });
  }
  let jsonOut: K6JsonOut | undefined;
  if (plan.outJson !== undefined) {
    ensureDir(plan.outJson);
    jsonOut = new K6JsonOut(plan.outJson);
  }
  let current = '';
  const sink: RequestRowSink | undefined =
    rows === undefined && jsonOut === undefined
      ? undefined
      : {
          write(t, latencyMs, ok, name, status) {
            rows?.write(t, latencyMs, ok, name, current);
            jsonOut?.request(t, latencyMs, ok, name, status ?? 0, current);
          },
        };
  const results: ScenarioResult[] = [];
  let crashed = false;
  try {
    for (const s of plan.scenarios) {
      if (opts.signal?.aborted) break;
      const part =
        plan.segment === undefined || plan.segment.count === 1
          ? ''
          : ` [execution segment ${segmentLabel(plan.segment)}: this run's share of the load above]`;
      out(`\n▶ ${s.def.title} (${s.def.id}): ${paramSummary(s)}${part}`);
      let r: ScenarioResult;
      try {
        current = s.def.id;
        r = await runOne(s, plan, opts, sink);
      } catch (e) {
        crashed = true;
        err(`${suite.name}: scenario ${s.def.id} failed: ${(e as Error).message ?? e}`);
        continue;
      }
      results.push(r);
      const apiWatch = plan.watch.find((w) => w.kind === 'api');
      const parts = [renderScenarioBlock(r, { title: s.def.title, lines: s.def.summaryLines?.bind(s.def) })];
      if (r.entries.length > 0) parts.push(renderSampleResults(r));
      const res = resourceLines(r.resources, apiWatch?.kind === 'api' ? apiWatch.url : undefined);
      if (res.length > 0) parts.push(res.join('\n'));
      out(`\n${parts.join('\n\n')}`);
    }
  } finally {
    rows?.close();
    jsonOut?.close();
  }
  const report: RunReport = {
    tool: 'tickstorm',
    version: opts.version,
    startedAt,
    finishedAt: Date.now(),
    target: plan.target,
    scenarios: results,
    thresholds: [],
    exitCode: EXIT_OK,
  };
  const thresholds = evaluateThresholds(report, plan.thresholds);
  report.thresholds = thresholds;
  let code = exitCodeFor(report, { resources: plan.gateResources });
  if (crashed) code = EXIT_ERROR;
  if (opts.signal?.aborted) code = EXIT_ABORTED;
  report.exitCode = code;

  const failedTargets = results.flatMap((s) =>
    s.targets.filter((t) => !t.pass).map((t) => `${s.scenario}: ${t.name}`),
  );
  const tables = suite.tables?.(report) ?? [];
  const tail = [renderSummaryTables(tables), thresholdLines(thresholds).join('\n')].filter((x) => x !== '');
  out(`\n${tail.join('\n\n')}`);

  const written: string[] = [];
  for (const f of [plan.files.json, plan.files.html, plan.files.junit, plan.files.csv]) if (f) ensureDir(f);
  const titles = Object.fromEntries(plan.scenarios.map((s) => [s.def.id, s.def.title]));
  written.push(...(await writeReports(report, plan.files, { tables, titles })));
  if (rows !== undefined) written.push(rows.path);
  if (jsonOut !== undefined) written.push(jsonOut.path);
  if (written.length > 0) out(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
  for (const note of suite.notes?.(report) ?? []) out(`\n${note}`);
  out(`\n${verdictLine(code, thresholds.filter((t) => !t.pass).length, failedTargets)}`);
  return { exitCode: code, report, thresholds, written };
}
