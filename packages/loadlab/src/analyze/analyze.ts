/**
 * `tickstorm analyze FILE.csv`: the usual pandas analysis script, in TypeScript. The
 * same statistics (pandas semantics: linear-interpolated quantiles, NaN skipped, throughput =
 * rows / max(duration)), printed in the script's exact shape, and the same two-panel figure
 * (latency histogram with 50 bins, latency over time) saved as a PNG.
 */
import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { pyFixed } from '../report/format.ts';
import { writeAnalysisPng } from './analyze-plot.ts';
import { nanMax, pandasQuantile, sortedFinite } from './quantile.ts';
import { type ResultsData, type ResultsFilter, readResultsCsv } from './results-reader.ts';

export {
  AnalyzeInputError,
  REQUIRED_COLUMNS,
  type ResultsData,
  type ResultsFilter,
  readResultsCsv,
} from './results-reader.ts';

export const DEFAULT_PLOT_FILE = 'load_test_results.png';

/** The script's `stats` dict, in its order. */
export interface LoadTestAnalysis {
  total_requests: number;
  successful: number;
  failed: number;
  p50_latency: number;
  p95_latency: number;
  p99_latency: number;
  max_latency: number;
  throughput: number;
}

export function analyzeResults(data: ResultsData): LoadTestAnalysis {
  let successful = 0;
  let failed = 0;
  for (let i = 0; i < data.rows; i++) {
    if (data.success[i] === 1) successful++;
    else if (data.success[i] === 0) failed++;
  }
  const sorted = sortedFinite(data.latency);
  return {
    total_requests: data.rows,
    successful,
    failed,
    p50_latency: pandasQuantile(sorted, 0.5),
    p95_latency: pandasQuantile(sorted, 0.95),
    p99_latency: pandasQuantile(sorted, 0.99),
    max_latency: nanMax(data.latency),
    throughput: data.rows / nanMax(data.duration),
  };
}

/** The script's printout: "=== Load Test Analysis ===" then `key: value` lines. */
export function formatAnalysis(stats: LoadTestAnalysis): string {
  const lines = ['=== Load Test Analysis ==='];
  for (const [key, value] of Object.entries(stats) as [string, number][]) {
    if (key.includes('latency')) lines.push(`${key}: ${pyFixed(value, 2)} ms`);
    else if (key === 'throughput') lines.push(`${key}: ${pyFixed(value, 2)} req/sec`);
    else lines.push(`${key}: ${value}`);
  }
  return lines.join('\n');
}

export interface AnalyzeOptions {
  /** PNG path (default load_test_results.png); null skips the plot. */
  out?: string | null;
  /** Only these rows (--name, --scenario). */
  filter?: ResultsFilter;
}

export interface AnalyzeOutcome {
  stats: LoadTestAnalysis;
  /** Exactly what the script prints, plot line included. */
  text: string;
  png: string | null;
}

export async function analyzeFile(path: string, opts: AnalyzeOptions = {}): Promise<AnalyzeOutcome> {
  const data = await readResultsCsv(path, opts.filter);
  const stats = analyzeResults(data);
  let text = formatAnalysis(stats);
  const png = opts.out === null ? null : (opts.out ?? DEFAULT_PLOT_FILE);
  if (png !== null) {
    // As every report flag of the lab: missing parent directories are created.
    makeDir(dirname(png));
    await writeAnalysisPng(data, png);
    text += `\n\nPlot saved to ${png}`;
  }
  return { stats, text, png };
}
