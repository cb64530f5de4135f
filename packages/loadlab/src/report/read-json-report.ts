/**
 * Reads a `--json` report back (for `tickstorm merge`): the RunReport inside the JSON
 * report's summary. A file that is missing, not JSON, or has no `scenarios` list is a
 * LabError LAB_ERR_INVALID_REPORT naming the file.
 */
import { readFileSync } from 'node:fs';
import { LabError, LabErrorCode } from '../errors.ts';
import type { RunReport } from '../model/result.ts';

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
  }
  return {
    tool: 'tickstorm',
    version: String(r.version ?? ''),
    startedAt: Number(r.startedAt ?? Math.min(...r.scenarios.map((s) => s.startedAt))),
    finishedAt: Number(r.finishedAt ?? 0),
    target: String(r.target ?? ''),
    scenarios: r.scenarios,
    thresholds: [],
    exitCode: Number(r.exitCode ?? 0),
  };
}
