/**
 * One call for `tickstorm run`: writes every report file the flags asked for and returns the
 * paths written. `--json FILE`, `--csv PREFIX`, `--html FILE`, `--junit FILE`. (The per-request
 * `--results-csv FILE` streams during the run: see ResultsCsvWriter.)
 */
import type { RunReport } from '../model/result.ts';
import { type HtmlReportOptions, writeHtmlReport } from './html.ts';
import { writeJsonReport } from './json.ts';
import { writeJUnit } from './junit.ts';
import { writeLocustCsv } from './locust-csv.ts';

export interface ReportFiles {
  json?: string;
  /** Locust CSV prefix. */
  csv?: string;
  html?: string;
  junit?: string;
}

export async function writeReports(
  report: RunReport,
  files: ReportFiles,
  htmlOptions: HtmlReportOptions = {},
): Promise<string[]> {
  const written: string[] = [];
  if (files.json !== undefined) {
    writeJsonReport(files.json, report);
    written.push(files.json);
  }
  if (files.csv !== undefined) written.push(...writeLocustCsv(files.csv, report));
  if (files.html !== undefined) {
    await writeHtmlReport(files.html, report, htmlOptions);
    written.push(files.html);
  }
  if (files.junit !== undefined) {
    writeJUnit(files.junit, report);
    written.push(files.junit);
  }
  return written;
}
