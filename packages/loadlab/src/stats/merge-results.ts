/**
 * Merges results of runs made anywhere (`tickstorm merge A.json B.json …`): the scenarios
 * of the same name are added entry by entry from their encoded histograms, so the merged
 * percentiles, counts, failures and status counts are exactly those of one run that saw
 * every request. Rates count over the runs' wall-clock span (first start to last end).
 * The per-second series add counts and users per second; a merged second's percentiles are
 * the worst of the runs' (the series carry no histograms), so they are an upper bound.
 */
import { LabError, LabErrorCode } from '../errors.ts';
import type { EntryStats, GeneratorHealth, RunReport, ScenarioResult, TimeSlice } from '../model/result.ts';
import { decodeSparse } from './latency-codec.ts';
import { RequestStats, type StatsSnapshot } from './request-stats.ts';
import { toScenarioResult } from './to-result.ts';

/** A result to merge, with where it came from (named in errors). */
export interface MergeInput {
  source: string;
  result: ScenarioResult;
}

/** A result's entries as statistics (from their encoded histograms); `source` is named in errors. */
export function statsSnapshotOf(source: string, result: ScenarioResult): StatsSnapshot {
  return entriesSnapshot(source, result.scenario, result.entries, result.failureRows);
}

/** Report rows (a scenario's, or setup()'s in a script section) as statistics; `source` is named in errors. */
export function entriesSnapshot(
  source: string,
  scenario: string,
  rows: readonly EntryStats[],
  failures: StatsSnapshot['failures'] = [],
): StatsSnapshot {
  const result = { scenario };
  return {
    entries: rows.map((e) => {
      if (e.histogram === undefined)
        throw new LabError(
          LabErrorCode.INVALID_REPORT,
          `${source}: scenario ${result.scenario}, ${e.type} ${e.name} has no encoded histogram (a report from an older tickstorm?)`,
        );
      let latency: ReturnType<typeof decodeSparse>;
      try {
        latency = decodeSparse(e.histogram);
      } catch (cause) {
        throw new LabError(
          LabErrorCode.INVALID_REPORT,
          `${source}: scenario ${result.scenario}, ${e.type} ${e.name}: the histogram does not decode`,
          { cause },
        );
      }
      // the count (and with it the mean) must be the counters' own, or every figure is off
      const held = latency.cnt.reduce((a, c) => a + c, 0);
      if (held !== latency.count)
        throw new LabError(
          LabErrorCode.INVALID_REPORT,
          `${source}: scenario ${result.scenario}, ${e.type} ${e.name}: the histogram holds ${held} values, its count says ${latency.count}`,
        );
      return {
        type: e.type,
        name: e.name,
        requests: e.requests,
        failures: e.failures,
        bytes: e.bytes ?? e.avgContentLength * e.requests,
        latency,
        statusCounts: e.statusCounts,
      };
    }),
    failures: [...failures],
  };
}

export function mergeScenarioResults(inputs: readonly MergeInput[]): ScenarioResult {
  if (inputs.length === 0) throw new LabError(LabErrorCode.INVALID_REPORT, 'nothing to merge');
  const stats = new RequestStats();
  for (const { source, result } of inputs) stats.merge(statsSnapshotOf(source, result));
  const results = inputs.map((i) => i.result);
  const startedAt = Math.min(...results.map((r) => r.startedAt));
  const endedAt = Math.max(...results.map((r) => r.startedAt + r.durationSec * 1000));
  // Parts of one test (execution segments) merge into more than any one part: drop the label.
  const { executionSegment: _part, ...params } = results[0].params;
  const merged = toScenarioResult(stats, {
    scenario: results[0].scenario,
    params: {
      ...(inputs.length === 1 ? results[0].params : params),
      mergedFrom: inputs.map((i) => i.source),
    },
    startedAt,
    durationSec: Math.max(0, (endedAt - startedAt) / 1000),
    generator: mergeGenerators(results.map((r) => r.generator)),
    extra: { runs: results.length, mergedFrom: inputs.map((i) => i.source) },
  });
  if (results[0].title !== undefined) merged.title = results[0].title;
  merged.timeseries = mergeSeries(results.map((r) => r.timeseries));
  return merged;
}

/** Merges whole runs: each scenario name once, its results from every run added. */
export function mergeRunReports(
  runs: readonly { source: string; report: RunReport }[],
  version: string,
): RunReport {
  const byName = new Map<string, MergeInput[]>();
  for (const { source, report } of runs) {
    for (const result of report.scenarios) {
      const list = byName.get(result.scenario) ?? [];
      list.push({ source, result });
      byName.set(result.scenario, list);
    }
  }
  const scenarios = [...byName.values()].map((inputs) => mergeScenarioResults(inputs));
  return {
    tool: 'tickstorm',
    version,
    startedAt: Math.min(...runs.map((r) => r.report.startedAt)),
    finishedAt: Math.max(...runs.map((r) => r.report.finishedAt)),
    target: [...new Set(runs.map((r) => r.report.target))].join(', '),
    scenarios,
    thresholds: [],
    exitCode: 0,
  };
}

function mergeGenerators(gs: readonly GeneratorHealth[]): GeneratorHealth {
  return {
    cpuPercent: Math.round(gs.reduce((a, g) => a + g.cpuPercent, 0) * 10) / 10,
    eventLoopLagMs: {
      p50: Math.max(...gs.map((g) => g.eventLoopLagMs.p50)),
      p99: Math.max(...gs.map((g) => g.eventLoopLagMs.p99)),
      max: Math.max(...gs.map((g) => g.eventLoopLagMs.max)),
    },
    droppedIterations: gs.reduce((a, g) => a + g.droppedIterations, 0),
    workers: gs.reduce((a, g) => a + g.workers, 0),
    saturated: gs.some((g) => g.saturated),
    warnings: [...new Set(gs.flatMap((g) => g.warnings))],
  };
}

function mergeSeries(series: readonly TimeSlice[][]): TimeSlice[] {
  const byT = new Map<number, TimeSlice>();
  for (const s of series.flat()) {
    const t = Math.floor(s.t);
    const m = byT.get(t);
    if (m === undefined) {
      // a part's running totals and per-name rows are not the whole's (reports carry no
      // per-second histograms)
      const { total: _, names: _n, ...rest } = s;
      byT.set(t, { ...rest, t, more: s.more === undefined ? undefined : { ...s.more } });
      continue;
    }
    m.requests += s.requests;
    m.failures += s.failures;
    m.active += s.active;
    m.p50 = Math.max(m.p50, s.p50);
    m.p95 = Math.max(m.p95, s.p95);
    m.p99 = Math.max(m.p99, s.p99);
    m.max = Math.max(m.max, s.max);
    if (s.more !== undefined) {
      if (m.more === undefined) m.more = { ...s.more };
      else
        for (const k of Object.keys(s.more) as (keyof typeof s.more)[])
          m.more[k] = Math.max(m.more[k], s.more[k]);
    }
  }
  return [...byT.values()]
    .sort((a, b) => a.t - b.t)
    .map((s) => (s.more === undefined ? (({ more: _, ...r }) => r)(s) : s));
}
