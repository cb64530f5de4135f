/**
 * `tickstorm analyze FILE.csv`: the guide's scripts/analyze_load_test.py. Prints its
 * "=== Load Test Analysis ===" block and saves load_test_results.png (or --out FILE).
 * Bad input (missing file, missing columns, empty file, a bad number) exits 104.
 */
import { EXIT_INVALID_CONFIG, EXIT_OK } from '../../../packages/loadlab/src/gates/thresholds.ts';

export interface AnalyzeCommandOptions {
  out?: string;
  /** commander's --no-plot */
  plot?: boolean;
}

export async function analyzeCommand(file: string, opts: AnalyzeCommandOptions): Promise<number> {
  // Loaded here, not at start-up: Vega and resvg are only needed by this command.
  const { AnalyzeInputError, analyzeFile } = await import('../../../packages/loadlab/src/analyze/analyze.ts');
  try {
    const { text } = await analyzeFile(file, { out: opts.plot === false ? null : opts.out });
    console.log(text);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof AnalyzeInputError) {
      console.error(`tickstorm analyze: ${err.message}`);
      return EXIT_INVALID_CONFIG;
    }
    console.error(`tickstorm analyze: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}
