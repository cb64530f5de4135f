/**
 * `tickstorm analyze FILE.csv`: the load-test analysis (statistics and a plot) of a per-request CSV. Prints its
 * "=== Load Test Analysis ===" block and saves load_test_results.png (or --out FILE).
 * Bad input (missing file, missing columns, empty file, a bad number) exits 104.
 */
import { EXIT_INVALID_CONFIG, EXIT_OK } from '@tickstorm/loadlab';

export interface AnalyzeCommandOptions {
  out?: string;
  /** commander's --no-plot */
  plot?: boolean;
}

export async function analyzeCommand(file: string, opts: AnalyzeCommandOptions): Promise<number> {
  // Loaded here, not at start-up: Vega and resvg are only needed by this command.
  const { AnalyzeInputError, analyzeFile } = await import('@tickstorm/loadlab/analyze');
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
