/**
 * A script's k6-style gates read back from its reports, for `tickstorm merge`.
 *
 * A script run's report is self-contained: its `script` section lists the custom metrics the
 * script declared (`declared`) and every options.thresholds expression as it was checked
 * (`thresholds`: the key as written, the expression, abortOnFail), and options.thresholds given
 * as the lab's strings (`labThresholds`). That is all a merge needs to check them again on the
 * merged whole, without the script file.
 *
 * Reports that disagree (different scripts, or a script edited between runs): every
 * threshold that any report carries is checked on the whole (the union), and `differ` names
 * which reports lack which thresholds. A custom metric declared with different kinds (a
 * Counter in one report, a Trend in another) cannot be added up, nor a Trend of times (ms) in
 * one and of plain numbers in another: a problem naming the reports (the caller refuses the
 * merge, exit 104).
 *
 *   const g = scriptGatesOfReports(inputs, merged.scenarios.map((s) => s.scenario));
 *   if (g.problems.length > 0) ... // 104
 *   const whole = checkScriptOnWhole(merged, inputs, g.gates);
 */
import type { RunReport } from '../model/result.ts';
import { type K6Threshold, parseK6Thresholds } from './k6-metrics.ts';
import type { MetricKind } from './runtime.ts';

const KINDS: readonly string[] = ['counter', 'rate', 'trend', 'gauge'];

export interface ReportGates {
  gates: {
    k6: K6Threshold[];
    declared: ReadonlyMap<string, MetricKind>;
    labStrings: string[];
    /** Trends a report names as plain numbers (k6's `new Trend(name)`), not times. */
    plainTrends: string[];
  };
  /** One line per threshold some script reports lack: "'key: expr' only in a.json (not in b.json)". */
  differ: string[];
  /** Reasons the sections cannot be checked together (exit 104), each naming the reports. */
  problems: string[];
}

/** The union of the k6-style thresholds and custom metrics that `inputs`' script sections carry. */
export function scriptGatesOfReports(
  inputs: readonly { source: string; report: RunReport }[],
  scenarioNames: readonly string[],
): ReportGates {
  const scripted = inputs.filter((i) => i.report.script !== undefined);
  const problems: string[] = [];
  const declared = new Map<string, MetricKind>();
  const declaredBy = new Map<string, string>();
  for (const { source, report } of scripted)
    for (const [name, kind] of Object.entries(report.script?.declared ?? {})) {
      if (!KINDS.includes(kind)) {
        problems.push(`${source}: custom metric '${name}' has an unknown kind '${kind}'`);
        continue;
      }
      const had = declared.get(name);
      if (had === undefined) {
        declared.set(name, kind as MetricKind);
        declaredBy.set(name, source);
      } else if (had !== kind)
        problems.push(
          `custom metric '${name}' is a ${had} in ${declaredBy.get(name)} but a ${kind} in ${source}: they cannot be added up`,
        );
    }
  // Union by key and expression, in the order first seen; abortOnFail is kept as written.
  const union = new Map<string, { key: string; threshold: string; abortOnFail: boolean; in: string[] }>();
  for (const { source, report } of scripted)
    for (const t of report.script?.thresholds ?? []) {
      const id = `${t.metric}: ${t.threshold}`;
      const u = union.get(id) ?? { key: t.metric, threshold: t.threshold, abortOnFail: false, in: [] };
      u.abortOnFail ||= t.abortOnFail === true;
      if (!u.in.includes(source)) u.in.push(source);
      union.set(id, u);
    }
  const labIn = new Map<string, string[]>();
  for (const { source, report } of scripted)
    for (const e of report.script?.labThresholds ?? []) {
      const list = labIn.get(e) ?? [];
      if (!list.includes(source)) list.push(source);
      labIn.set(e, list);
    }
  const differ: string[] = [];
  const lacking = (present: readonly string[]) =>
    scripted.map((s) => s.source).filter((s) => !present.includes(s));
  for (const [id, u] of union)
    if (u.in.length < scripted.length)
      differ.push(`'${id}' only in ${u.in.join(', ')} (not in ${lacking(u.in).join(', ')})`);
  for (const [e, present] of labIn)
    if (present.length < scripted.length)
      differ.push(`'${e}' only in ${present.join(', ')} (not in ${lacking(present).join(', ')})`);
  const raw: Record<string, { threshold: string; abortOnFail: boolean }[]> = {};
  for (const u of union.values())
    (raw[u.key] ??= []).push({ threshold: u.threshold, abortOnFail: u.abortOnFail });
  const parsed = parseK6Thresholds(raw, declared, scenarioNames);
  problems.push(...parsed.problems.map((p) => `the reports' ${p}`));
  const plainTrends = new Set<string>();
  for (const { report } of scripted)
    for (const name of report.script?.plainTrends ?? [])
      if (declared.get(name) === 'trend') plainTrends.add(name);
  problems.push(...trendUnitProblems(scripted, declared));
  return {
    gates: { k6: parsed.thresholds, declared, labStrings: [...labIn.keys()], plainTrends: [...plainTrends] },
    differ,
    problems,
  };
}

/**
 * A custom Trend of times (ms, k6's `new Trend(name, true)`) in one report and of plain numbers
 * (`new Trend(name)`) in another: its values are in different units and cannot be added up.
 */
function trendUnitProblems(
  scripted: readonly { source: string; report: RunReport }[],
  declared: ReadonlyMap<string, MetricKind>,
): string[] {
  const problems: string[] = [];
  const unitOf = new Map<string, { plain: boolean; source: string }>();
  for (const { source, report } of scripted) {
    const plain = new Set(report.script?.plainTrends ?? []);
    for (const [name, kind] of Object.entries(report.script?.declared ?? {})) {
      if (kind !== 'trend' || declared.get(name) !== 'trend') continue;
      const here = plain.has(name);
      const had = unitOf.get(name);
      if (had === undefined) unitOf.set(name, { plain: here, source });
      else if (had.plain !== here) {
        const unit = (p: boolean) =>
          p ? 'of plain numbers (declared without isTime)' : 'of times in ms (isTime)';
        problems.push(
          `custom Trend '${name}' is ${unit(had.plain)} in ${had.source} but ${unit(here)} in ${source}: values in different units cannot be added up`,
        );
      }
    }
  }
  return problems;
}
