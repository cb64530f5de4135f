/** Child-process entry of `tickstorm bench`: runs the benchmarks and prints `{"results":[...]}` on stdout. */
import { runCriticalPath } from './critical-path.ts';

function flag(name: string): number | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : Number(process.argv[i + 1]);
}

const results = await runCriticalPath({ ops: flag('--ops'), runs: flag('--runs') });
process.stdout.write(`${JSON.stringify({ results })}\n`);
