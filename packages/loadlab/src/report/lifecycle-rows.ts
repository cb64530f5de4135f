/**
 * A script's setup()'s and teardown()'s requests in the lab's reports (`--csv`, `--html`).
 *
 * k6 counts them in http_reqs and the rest but in no scenario; the report carries them in its
 * script section as the parts '(setup)' and '(teardown)' (entries with encoded histograms,
 * failure rows). Here they become rows named after their part, `(setup) /login`, and results
 * of their own, so a report's totals are the run's http_reqs:
 *
 *   const parts = lifecycleResults(report);          // [] without setup()/teardown() requests
 *   const whole = withLifecycle(report.scenarios[0], parts);   // its rows and Aggregated count them
 */
import {
  type EntryStats,
  type FailureRow,
  LIFECYCLE_PARTS,
  type RunReport,
  type ScenarioResult,
} from '../model/result.ts';
import { decodeSparse } from '../stats/latency-codec.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { recorderSummaryMs } from '../stats/to-result.ts';

const rate = (n: number, sec: number) => (sec > 0 ? Math.round((n / sec) * 100) / 100 : 0);

/** The latency of every row together (exact, from their histograms); undefined when one has none. */
function latencyOf(rows: readonly EntryStats[]): ScenarioResult['latency_ms'] | undefined {
  const all = new LatencyRecorder();
  for (const e of rows) {
    if (e.histogram === undefined) return undefined;
    all.addSparse(decodeSparse(e.histogram));
  }
  return recorderSummaryMs(all);
}

/**
 * setup()'s and teardown()'s requests as results named '(setup)' and '(teardown)' (those that
 * made requests): entries, failures and latency, no time series (they run outside the
 * scenarios' seconds), rates over the scenarios' span (`durationSec`), as http_reqs' rate is.
 */
export function lifecycleResults(report: RunReport, durationSec = spanSec(report)): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  for (const name of LIFECYCLE_PARTS) {
    const parts = (report.script?.scenarios ?? []).filter(
      (m) => m.scenario === name && m.entries !== undefined && m.entries.length > 0,
    );
    if (parts.length === 0) continue;
    // one part per report section (a merge's section holds each once, already added)
    const m = parts[0]!;
    const entries = (m.entries ?? []).map((e) => ({
      ...e,
      rps: rate(e.requests, durationSec),
      failuresPerSec: rate(e.failures, durationSec),
    }));
    const requests = entries.reduce((a, e) => a + e.requests, 0);
    const failures = entries.reduce((a, e) => a + e.failures, 0);
    const first = report.scenarios[0];
    out.push({
      scenario: name,
      params: {},
      startedAt: first?.startedAt ?? report.startedAt,
      durationSec,
      requests,
      failures,
      rps: rate(requests, durationSec),
      latency_ms: latencyOf(entries) ?? entries[0]!.latency_ms,
      entries,
      timeseries: [],
      failureRows: m.failureRows ?? [],
      targets: [],
      generator: {
        cpuPercent: 0,
        eventLoopLagMs: { p50: 0, p99: 0, max: 0 },
        droppedIterations: 0,
        workers: 0,
        saturated: false,
        warnings: [],
      },
      extra: {},
    });
  }
  return out;
}

/**
 * The results a run's reports list: with one scenario its own, setup()'s and teardown()'s
 * requests added as rows `(setup) NAME` (its totals are the run's http_reqs); with several,
 * each scenario's, then '(setup)' and '(teardown)' as results of their own.
 */
export function resultsWithLifecycle(report: RunReport): ScenarioResult[] {
  const parts = lifecycleResults(report);
  return report.scenarios.length === 1
    ? [withLifecycle(report.scenarios[0]!, parts)]
    : [...report.scenarios, ...parts];
}

/** First start to last end of the report's scenarios, seconds (what http_reqs' rate is over). */
export function spanSec(report: RunReport): number {
  if (report.scenarios.length === 0) return 0;
  const first = Math.min(...report.scenarios.map((s) => s.startedAt));
  const last = Math.max(...report.scenarios.map((s) => s.startedAt + s.durationSec * 1000));
  return (last - first) / 1000;
}

const named = (part: string, name: string) => `${part} ${name}`;

/**
 * A scenario with setup()'s and teardown()'s requests added (a script of one scenario: its
 * report is the whole test's): their rows named `(setup) NAME` / `(teardown) NAME`, their
 * failures likewise, and the totals (requests, failures, latency, rate) counting them. The
 * time series stays the scenario's.
 */
export function withLifecycle(s: ScenarioResult, parts: readonly ScenarioResult[]): ScenarioResult {
  if (parts.length === 0) return s;
  const extraRows = parts.flatMap((p) => p.entries.map((e) => ({ ...e, name: named(p.scenario, e.name) })));
  const failureRows: FailureRow[] = [
    ...s.failureRows,
    ...parts.flatMap((p) => p.failureRows.map((f) => ({ ...f, name: named(p.scenario, f.name) }))),
  ];
  const entries = [...s.entries, ...extraRows];
  const requests = s.requests + parts.reduce((a, p) => a + p.requests, 0);
  const failures = s.failures + parts.reduce((a, p) => a + p.failures, 0);
  return {
    ...s,
    requests,
    failures,
    rps: rate(requests, s.durationSec),
    latency_ms: latencyOf(entries) ?? s.latency_ms,
    entries,
    failureRows: failureRows.sort((a, b) => b.occurrences - a.occurrences),
  };
}
