/** The load lab's results side: console tables, report files, charts. */
export { renderSvg, svgToPng } from './charts.ts';
export {
  type ConsoleReportOptions,
  renderConsoleReport,
  renderScenarioBlock,
  scenarioTitle,
} from './console.ts';
export { type HtmlReportOptions, type LatencyBin, renderHtmlReport, writeHtmlReport } from './html.ts';
export { type JsonReport, toJsonReport, writeJsonReport } from './json.ts';
export { toJUnitXml, writeJUnit } from './junit.ts';
export {
  LOCUST_FAILURES_COLUMNS,
  LOCUST_HISTORY_COLUMNS,
  LOCUST_STATS_COLUMNS,
  locustFailuresCsv,
  locustHistoryCsv,
  locustStatsCsv,
  writeLocustCsv,
} from './locust-csv.ts';
export { renderSampleResults } from './locust-table.ts';
export { createProgress, formatProgressLine, type Progress, type ProgressTotals } from './progress.ts';
export { RESULTS_CSV_COLUMNS, type ResultsCsvOptions, ResultsCsvWriter } from './results-csv.ts';
export {
  type BenchRow,
  criticalPathRows,
  DEFAULT_TARGET_SOURCES,
  renderTargetTables,
  type TargetRow,
  type TargetSources,
  throughputRows,
} from './target-tables.ts';
export { type ReportFiles, writeReports } from './write-reports.ts';
