/**
 * The `tickstorm` command line. Each subcommand lives in ./commands; this file only wires
 * them into commander and turns their results into exit codes.
 */
import { Command, InvalidArgumentError } from 'commander';
import { analyzeCommand } from './commands/analyze.ts';
import { benchCommand } from './commands/bench.ts';
import { registerHttpCommand } from './commands/http.ts';
import { replayCommand } from './commands/replay.ts';
import { packageVersion, registerRunCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerSwarmCommand } from './commands/swarm.ts';

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command('tickstorm')
    .description('Tickstorm: a trading system that takes production load, and the load lab that proves it.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();

  program
    .command('bench')
    .description("critical-path micro-benchmarks, printed as the guide's Performance Targets table")
    .option('--json <file>', 'also write {"results":[...]} to FILE')
    .option('--ops <n>', 'operations in the order book stream', positiveInt('--ops'), 1_000_000)
    .option('--runs <n>', 'runs per benchmark (the median is reported)', positiveInt('--runs'), 3)
    .action(async (opts) => {
      process.exitCode = await benchCommand(opts);
    });

  program
    .command('serve')
    .argument(
      '[service]',
      'market-data | execution-engine | risk-manager | api (default: all four in one process)',
    )
    .description('run the trading system (all services in one process, or one service per process)')
    .option('--host <host>', 'address to listen on (env TICKSTORM_HOST)', undefined)
    .option(
      '--data-dir <dir>',
      'where the DuckDB file and input logs live (env TICKSTORM_DATA_DIR)',
      undefined,
    )
    .option('--market-data-port <port>', 'market-data port (env MARKET_DATA_PORT, default 5001)')
    .option(
      '--execution-engine-port <port>',
      'execution-engine port (env EXECUTION_ENGINE_PORT, default 5002)',
    )
    .option('--risk-manager-port <port>', 'risk-manager port (env RISK_MANAGER_PORT, default 5003)')
    .option('--api-port <port>', 'api port (env API_PORT, default 8000)')
    .option('--shards <n>', 'matching shards (symbols spread by index)', positiveInt('--shards'))
    .option('--no-input-log', 'do not write the sequenced input log')
    .option('--config <file>', 'JSON file with host, dataDir and ports (flags and env win)')
    .option(
      '--metrics-store <path|url>',
      'metrics store: a DuckDB file (default <data-dir>/metrics.duckdb) or postgres://USER@HOST:PORT/DB' +
        ' (env TICKSTORM_METRICS_STORE; docs/metrics-store.md)',
    )
    .addHelpText(
      'after',
      '\nEnvironment: ABC_MAX_CONCURRENT_REQUESTS (orders in flight at the execution engine and agent requests' +
        ' in flight on the api before 503 + Retry-After), ABC_MEMORY_LIMIT (e.g. 2GB: the api sheds load' +
        ' above 90% of it), ABC_PERFORMANCE_MODE (true/false: analysis cache per bar; docs/agent-endpoints.md).',
    )
    .action(async (service: string | undefined, opts) => {
      await serveCommand(service, opts);
    });

  program
    .command('analyze')
    .argument('<file>', 'results CSV (columns timestamp, latency, success, duration)')
    .description("the guide's load test analysis: statistics and load_test_results.png")
    .option('--out <file>', 'where to save the plot', 'load_test_results.png')
    .option('--no-plot', 'print the statistics only')
    .option('--scenario <id>', 'only the rows of this scenario (the scenario column `tickstorm run` writes)')
    .option('--name <name>', 'only the rows of this request name ("POST /orders" or "/orders")')
    .action(async (file: string, opts) => {
      process.exitCode = await analyzeCommand(file, opts);
    });

  program
    .command('replay')
    .argument('<file>', 'an input log (data/input-log-0.bin, or a kept previous one)')
    .description('rebuild a matching engine from a sequenced input log and print its books')
    .option('--json', 'print the summary as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      process.exitCode = replayCommand(file, opts);
    });

  registerHttpCommand(program);

  registerRunCommand(program);
  registerStartCommand(program);
  registerSwarmCommand(program);

  return program;
}

// `tickstorm ... | head`: a reader that closed the pipe early is not a crash; the command
// still finishes its work (files, exit code).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; message?: string };
  console.error(`tickstorm: ${e.message ?? String(err)}`);
  process.exitCode = e.code === 'TRD_ERR_INVALID_CONFIG' ? 2 : 1;
}
