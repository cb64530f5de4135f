/** Child-process entry of `tickstorm bench`: runs the benchmarks and prints `{"results":[...]}` on stdout. */
import { parseFlags } from './bench-util.ts';
import { runCriticalPath } from './critical-path.ts';

const flags = parseFlags(import.meta.url, {
  ops: { type: 'number', help: 'order-book stream length (1,000,000 when absent)' },
  runs: { type: 'number', help: 'runs per benchmark, the median reported (3 when absent)' },
});
const results = await runCriticalPath({ ops: flags.ops, runs: flags.runs });
process.stdout.write(`${JSON.stringify({ results })}\n`);
