/** The load lab's results side: console tables, report files, charts. */
export { renderSvg, svgToPng } from './charts.ts';
export {
  type BlockOptions,
  type ConsoleReportOptions,
  latencyLines,
  outcomeLines,
  renderConsoleReport,
  renderScenarioBlock,
  scenarioTitle,
} from './console.ts';
export { commas, humanBytes, humanMs, pickNumber, pyFixed } from './format.ts';
export { type HtmlReportOptions, type LatencyBin, renderHtmlReport, writeHtmlReport } from './html.ts';
export { type JsonReport, toJsonReport, writeJsonReport } from './json.ts';
export { toJUnitXml, writeJUnit } from './junit.ts';
export * from './k6-json-out.ts';
export {
  LOCUST_EXCEPTIONS_COLUMNS,
  LOCUST_FAILURES_COLUMNS,
  LOCUST_HISTORY_COLUMNS,
  LOCUST_STATS_COLUMNS,
  locustFailuresCsv,
  locustHistoryCsv,
  locustStatsCsv,
  splitCsvLines,
  writeLocustCsv,
} from './locust-csv.ts';
export { renderSampleResults } from './locust-table.ts';
export { displayWidth, markdownTable, statusMark } from './markdown-table.ts';
export { createProgress, formatProgressLine, type Progress, type ProgressTotals } from './progress.ts';
export { readJsonReport } from './read-json-report.ts';
export {
  RESULTS_CSV_COLUMNS,
  RESULTS_CSV_SCENARIO_COLUMNS,
  type ResultsCsvOptions,
  ResultsCsvWriter,
} from './results-csv.ts';
export { renderSummaryTables, type SummaryRow, type SummaryTable } from './summary-table.ts';
export { type ReportFiles, writeReports } from './write-reports.ts';
