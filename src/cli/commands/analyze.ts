/**
 * `tickstorm analyze FILE.csv`: the load-test analysis (statistics and a plot) of a per-request CSV. Prints its
 * "=== Load Test Analysis ===" block and saves load_test_results.png (or --out FILE).
 * Bad input (missing file, missing columns, empty file, a bad number) exits 104.
 */
import { EXIT_ERROR, EXIT_OK, LabError } from '@tickstorm/loadlab';

export interface AnalyzeCommandOptions {
  out?: string;
  /** commander's --no-plot */
  plot?: boolean;
  name?: string;
  scenario?: string;
}

export async function analyzeCommand(file: string, opts: AnalyzeCommandOptions): Promise<number> {
  // Loaded here, not at start-up: Vega and resvg are only needed by this command.
  const { analyzeFile } = await import('@tickstorm/loadlab/analyze');
  try {
    const { text } = await analyzeFile(file, {
      out: opts.plot === false ? null : opts.out,
      filter: { name: opts.name, scenario: opts.scenario },
    });
    console.log(text);
    return EXIT_OK;
  } catch (err) {
    // AnalyzeInputError (bad input) is a LabError whose code maps to exit 104; anything else is 1.
    if (err instanceof LabError) {
      console.error(`tickstorm analyze: ${err.message}`);
      return err.exitCode;
    }
    console.error(`tickstorm analyze: ${(err as Error).message ?? String(err)}`);
    return EXIT_ERROR;
  }
}
