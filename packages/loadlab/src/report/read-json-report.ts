/**
 * Reads a `--json` report back (for `tickstorm merge`): the RunReport inside the JSON
 * report's summary, with a script run's metrics section (`script` in a master's or a merge's
 * report, `scriptMetrics` in a script run's k6-style summary, whose `script` is the file). A
 * file that is missing, not JSON, has no `scenarios` list or a malformed script section is a
 * LabError LAB_ERR_INVALID_REPORT naming the file.
 */
import { readFileSync } from 'node:fs';
import { LabError, LabErrorCode } from '../errors.ts';
import type { RunReport, ScriptMetricsSection } from '../model/result.ts';

export function readJsonReport(path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LabError(LabErrorCode.INVALID_REPORT, `${path}: cannot read it (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new LabError(LabErrorCode.INVALID_REPORT, `${path}: not JSON (give the files --json wrote)`);
  }
  const r = doc as Partial<RunReport>;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(r.scenarios))
    throw new LabError(
      LabErrorCode.INVALID_REPORT,
      `${path}: no "scenarios" list (not a tickstorm --json report)`,
    );
  for (const s of r.scenarios) {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.entries) || typeof s.scenario !== 'string')
      throw new LabError(LabErrorCode.INVALID_REPORT, `${path}: a scenario without "scenario" and "entries"`);
    for (const e of s.entries as unknown[]) {
      const r = e as { type?: unknown; name?: unknown } | null;
      if (typeof r !== 'object' || r === null || typeof r.type !== 'string' || typeof r.name !== 'string')
        throw new LabError(
          LabErrorCode.INVALID_REPORT,
          `${path}: scenario ${s.scenario} has an entry without "type" and "name" (not a tickstorm --json report)`,
        );
    }
  }
  const section = scriptSectionOf(path, doc as Record<string, unknown>);
  return {
    tool: 'tickstorm',
    version: String(r.version ?? ''),
    startedAt: Number(r.startedAt ?? Math.min(...r.scenarios.map((s) => s.startedAt))),
    finishedAt: Number(r.finishedAt ?? 0),
    target: String(r.target ?? ''),
    scenarios: r.scenarios,
    thresholds: labResultsOf(doc as Record<string, unknown>),
    exitCode: Number(r.exitCode ?? 0),
    ...(section === undefined ? {} : { script: section }),
  };
}

function scriptSectionOf(path: string, doc: Record<string, unknown>): ScriptMetricsSection | undefined {
  const raw = typeof doc.script === 'object' && doc.script !== null ? doc.script : doc.scriptMetrics;
  if (raw === undefined || raw === null) return undefined;
  const s = raw as Partial<ScriptMetricsSection>;
  const bad = (what: string) =>
    new LabError(LabErrorCode.INVALID_REPORT, `${path}: its script metrics section ${what}`);
  if (typeof s !== 'object' || !Array.isArray(s.scenarios) || !Array.isArray(s.thresholds))
    throw bad('has no "scenarios" and "thresholds" lists');
  if (typeof s.declared !== 'object' || s.declared === null) throw bad('has no "declared" metrics');
  for (const m of s.scenarios)
    if (
      typeof m !== 'object' ||
      m === null ||
      typeof m.scenario !== 'string' ||
      typeof m.counters !== 'object' ||
      typeof m.trends !== 'object' ||
      typeof m.iterations !== 'number' ||
      typeof m.dropped !== 'number'
    )
      throw bad('has a scenario without "scenario", "counters", "trends", "iterations" and "dropped"');
    else if (
      m.entries !== undefined &&
      !(
        Array.isArray(m.entries) &&
        m.entries.every(
          (e) =>
            typeof e === 'object' && e !== null && typeof e.type === 'string' && typeof e.name === 'string',
        )
      )
    )
      throw bad(`has "entries" of ${m.scenario} that are not a list of requests with "type" and "name"`);
    else if (
      m.failureRows !== undefined &&
      !(
        Array.isArray(m.failureRows) &&
        m.failureRows.every(
          (f) =>
            typeof f === 'object' &&
            f !== null &&
            typeof f.method === 'string' &&
            typeof f.name === 'string' &&
            typeof f.error === 'string' &&
            typeof f.occurrences === 'number',
        )
      )
    )
      throw bad(
        `has "failureRows" of ${m.scenario} that are not a list of failures with "method", "name", "error" and "occurrences"`,
      );
  if (
    s.labThresholds !== undefined &&
    !(Array.isArray(s.labThresholds) && s.labThresholds.every((e) => typeof e === 'string'))
  )
    throw bad('has "labThresholds" that is not a list of strings');
  for (const t of s.thresholds)
    if (
      typeof t !== 'object' ||
      t === null ||
      typeof t.metric !== 'string' ||
      typeof t.threshold !== 'string'
    )
      throw bad('has a threshold without "metric" and "threshold"');
  return s as ScriptMetricsSection;
}

/** The run's own verdicts on the lab's thresholds (shown as a part's; a merge checks its own). */
function labResultsOf(doc: Record<string, unknown>): RunReport['thresholds'] {
  const list = Array.isArray(doc.labThresholds) ? doc.labThresholds : doc.thresholds;
  if (!Array.isArray(list)) return [];
  return list.every(
    (t) =>
      typeof t === 'object' && t !== null && typeof t.expression === 'string' && typeof t.pass === 'boolean',
  )
    ? (list as RunReport['thresholds'])
    : [];
}
