/**
 * A script run's metrics as a report section, and the same metrics over many reports.
 *
 * k6's thresholds read more than the requests: the script's Counters, Rates and Trends,
 * check(), iterations. A run writes them per scenario into its report (`report.script`):
 * counters and rate/check passes and totals as sums, Trends as encoded HdrHistograms (like
 * the entries' latencies), Gauges as their threads' last value, min and max (gauges.ts). `tickstorm run --master` adds its workers' sections scenario by
 * scenario (sums added, histograms added: exact) and reads them, with the merged requests,
 * through the same MetricView a single run's thresholds read, so a threshold on the merged
 * whole is the threshold of one run that did all the parts.
 *
 *   const merged = mergeRunReports(inputs, version);   // inputs: [{ source: 'worker a', report }, ...]
 *   const whole = checkScriptOnWhole(merged, inputs, gates);   // gates: loadScriptGates(...)
 *   merged.script = whole.section;   // whole.failed: thresholds missed on the whole
 */
import {
  type EncodedLatency,
  LIFECYCLE_PARTS,
  type RunReport,
  type ScriptMetricsSection,
  type ScriptScenarioMetrics,
  type ScriptThresholdResult,
} from '../model/result.ts';
import { setTrendIsTime, trendIsTime } from '../monitor/script-figures.ts';
import { addCounters } from '../stats/gauge-counters.ts';
import { decodeSparse, encodeRecorder } from '../stats/latency-codec.ts';
import { entriesSnapshot, statsSnapshotOf } from '../stats/merge-results.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { entryStats } from '../stats/to-result.ts';
import {
  evaluateK6,
  type K6Threshold,
  type K6ThresholdResult,
  type MetricPart,
  MetricView,
} from './k6-metrics.ts';
import { type MetricKind, trendsFromCounters, trendsToCounters } from './runtime.ts';

/** k6 threshold results as the report's rows. */
export function thresholdRows(results: readonly K6ThresholdResult[]): ScriptThresholdResult[] {
  return results.map((t) => ({
    metric: t.key,
    threshold: t.source,
    actual: t.actual,
    ok: t.pass,
    abortOnFail: t.abortOnFail,
  }));
}

/** One run's section: its scenarios' counters and Trends, its options.thresholds as checked. */
export function scriptSection(
  parts: readonly MetricPart[],
  declared: ReadonlyMap<string, MetricKind>,
  results: readonly K6ThresholdResult[],
  abortedBy?: string,
  labThresholds: readonly string[] = [],
): ScriptMetricsSection {
  // a Trend of plain numbers (k6's `new Trend(name)`) is named, so a merge shows it as numbers
  const plainTrends = [...declared].filter(([n, k]) => k === 'trend' && !trendIsTime(n)).map(([n]) => n);
  return {
    declared: Object.fromEntries(declared),
    ...(plainTrends.length === 0 ? {} : { plainTrends }),
    scenarios: parts.map(partSection),
    thresholds: thresholdRows(results),
    ...(labThresholds.length === 0 ? {} : { labThresholds: [...labThresholds] }),
    ...(abortedBy === undefined ? {} : { abortedBy }),
  };
}

/** One part (a scenario's, setup()'s, teardown()'s) as the section's entry. */
export function partSection(p: MetricPart): ScriptScenarioMetrics {
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(p.counters)) if (!k.startsWith('trend:')) counters[k] = v;
  const trends: Record<string, EncodedLatency> = {};
  for (const [name, r] of trendsFromCounters(p.counters)) trends[name] = encodeRecorder(r);
  const m: ScriptScenarioMetrics = {
    scenario: p.scenario,
    counters,
    trends,
    iterations: p.iterations,
    dropped: p.dropped,
  };
  // setup()'s and teardown()'s requests are in no ScenarioResult: here (rates not computed)
  if (LIFECYCLE_PARTS.includes(p.scenario) && p.stats.entries.length > 0) {
    m.entries = entryStats(p.stats, 0);
    const failed = p.stats.failureRowList;
    if (failed.length > 0) m.failureRows = failed;
  }
  return m;
}

/** What setup() or teardown() recorded (lifecycle.ts) as the section's entry '(setup)' / '(teardown)'. */
export function lifecycleSection(
  name: 'setup' | 'teardown',
  part: { stats: RequestStats; counters: Record<string, number> },
): ScriptScenarioMetrics {
  return partSection({
    scenario: `(${name})`,
    stats: part.stats,
    counters: part.counters,
    iterations: 0,
    dropped: 0,
  });
}

export interface MergedScriptParts {
  /** One per merged scenario: its requests from the merged entries, its script metrics added. */
  parts: MetricPart[];
  /** First start to last end of the merged scenarios, seconds (a Counter's rate is per this). */
  durationSec: number;
  /** Sources whose report carries no script section (their custom metrics are not in `parts`). */
  without: string[];
}

/**
 * The metrics of `merged` (mergeRunReports of `inputs`) as one run's MetricParts: the merged
 * scenarios', then setup()'s and teardown()'s, from the inputs' sections and from `lifecycle`
 * (a master's own: it ran them).
 */
export function mergedScriptParts(
  merged: RunReport,
  inputs: readonly { source: string; report: RunReport }[],
  lifecycle: readonly ScriptScenarioMetrics[] = [],
): MergedScriptParts {
  const parts: MetricPart[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const sections = [
    ...inputs.flatMap(({ source, report }) => (report.script?.scenarios ?? []).map((m) => ({ source, m }))),
    ...lifecycle.map((m) => ({ source: 'the master', m })),
  ];
  const partOf = (scenario: string, stats: RequestStats): MetricPart => {
    const counters: Record<string, number> = {};
    const trends = new Map<string, LatencyRecorder>();
    let iterations = 0;
    let dropped = 0;
    for (const { source, m } of sections) {
      if (m.scenario !== scenario) continue;
      addCounters(counters, m.counters);
      for (const [name, e] of Object.entries(m.trends)) {
        let r = trends.get(name);
        if (r === undefined) {
          r = new LatencyRecorder();
          trends.set(name, r);
        }
        r.addSparse(decodeSparse(e));
      }
      iterations += m.iterations;
      dropped += m.dropped;
      if (LIFECYCLE_PARTS.includes(scenario) && m.entries !== undefined)
        stats.merge(entriesSnapshot(source, scenario, m.entries, m.failureRows));
    }
    trendsToCounters(trends, counters);
    return { scenario, stats, counters, iterations, dropped };
  };
  for (const s of merged.scenarios) {
    const stats = new RequestStats();
    stats.merge(statsSnapshotOf('the merged report', s));
    parts.push(partOf(s.scenario, stats));
    first = Math.min(first, s.startedAt);
    last = Math.max(last, s.startedAt + s.durationSec * 1000);
  }
  for (const name of LIFECYCLE_PARTS)
    if (sections.some(({ m }) => m.scenario === name)) parts.push(partOf(name, new RequestStats()));
  return {
    parts,
    durationSec: parts.length === 0 ? 0 : (last - first) / 1000,
    without: inputs.filter((i) => i.report.script === undefined).map((i) => i.source),
  };
}

export interface ScriptOnWhole {
  /** The merged whole's section, with each input's verdicts on its part (`parts`). */
  section: ScriptMetricsSection;
  /** The merged metrics, as a single run's thresholds and summary read them. */
  view: MetricView;
  parts: MetricPart[];
  /** The thresholds checked on the whole (their submetrics are shown with the metrics). */
  k6: readonly K6Threshold[];
  /** Thresholds missed on the whole. */
  failed: number;
  /** Inputs whose report carries no script section. */
  without: string[];
}

/** A script's options.thresholds (k6's shape) on `merged`, the mergeRunReports of `inputs`. */
export function checkScriptOnWhole(
  merged: RunReport,
  inputs: readonly { source: string; report: RunReport }[],
  gates: {
    k6: readonly K6Threshold[];
    declared: ReadonlyMap<string, MetricKind>;
    /** options.thresholds as the lab's strings: carried into the section (the caller checks them). */
    labStrings?: readonly string[];
    /** The declared Trends of plain numbers (not ms), as the reports name them. */
    plainTrends?: readonly string[];
    /** setup()'s and teardown()'s parts run here (a master's), counted in the whole. */
    lifecycleParts?: readonly ScriptScenarioMetrics[];
  },
): ScriptOnWhole {
  // without the script loaded here (a merge), the reports say which Trends are not times
  for (const name of gates.plainTrends ?? []) setTrendIsTime(name, false);
  const m = mergedScriptParts(merged, inputs, gates.lifecycleParts);
  const view = new MetricView(m.parts, m.durationSec);
  const results = evaluateK6(view, gates.k6);
  return {
    section: {
      ...scriptSection(m.parts, gates.declared, results, undefined, gates.labStrings),
      parts: inputs.map((i) => ({
        source: i.source,
        exitCode: i.report.exitCode,
        thresholds: i.report.script?.thresholds ?? [],
      })),
    },
    view,
    parts: m.parts,
    k6: gates.k6,
    failed: results.filter((t) => !t.pass).length,
    without: m.without,
  };
}
