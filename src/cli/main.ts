/**
 * The `tickstorm` command line. Each subcommand lives in ./commands; this file only wires
 * them into commander and turns their results into exit codes.
 */
import { EXIT_INVALID_CONFIG } from '@tickstorm/loadlab/exit-codes';
import { DEFAULT_PORTS, portEnvName, type ServiceName } from '@tickstorm/protocol';
import { Command, InvalidArgumentError } from 'commander';
import { exitOnceDone } from './commands/exit-once-done.ts';
import { packageVersion } from './commands/package-version.ts';

/**
 * The commands defined in their own modules, loaded only when run: a command's module brings
 * its packages (the load lab, the trading system, their dependencies), which take a second
 * or more to load, and `tickstorm serve` needs none of the load lab's.
 */
const REGISTERED: Record<string, (program: Command) => Promise<unknown>> = {
  http: async (p) => (await import('./commands/http.ts')).registerHttpCommand(p),
  merge: async (p) => (await import('./commands/merge.ts')).registerMergeCommand(p),
  run: async (p) => (await import('./commands/run.ts')).registerRunCommand(p),
  start: async (p) => (await import('./commands/start.ts')).registerStartCommand(p),
  swarm: async (p) => (await import('./commands/swarm.ts')).registerSwarmCommand(p),
};

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer`);
    return n;
  };
}

const portHelp = (s: ServiceName) => `${s} port (env ${portEnvName(s)}, default ${DEFAULT_PORTS[s]})`;
function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be an integer >= 0`);
    return n;
  };
}

/**
 * The program with every command, or, given the command named on the command line, with the
 * modules of that one only loaded (the help of the whole program needs every command's).
 */
/** What needs none of REGISTERED: the commands defined here, and the version. */
const DEFINED_HERE = new Set(['version', 'bench', 'serve', 'analyze', 'replay', '-V', '--version']);

export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('tickstorm')
    .description('Tickstorm: a trading system that takes production load, and the load lab that proves it.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    // An error is followed by one line pointing at --help, not by the whole help (the error
    // itself scrolled out of sight under run's 270 lines).
    .showHelpAfterError("(add --help for the command's options)");

  // k6's `k6 version`: the version, and what it runs on.
  program
    .command('version')
    .description('print the version, the Node.js version and the platform, and exit')
    .action(() => {
      console.log(
        `tickstorm ${packageVersion()} (node ${process.version}, ${process.platform}/${process.arch})`,
      );
    });

  program
    .command('bench')
    .description('critical-path micro-benchmarks, printed as the Performance Targets table')
    .option('--json <file>', 'also write {"results":[...]} to FILE')
    .option('--ops <n>', 'operations in the order book stream', positiveInt('--ops'), 1_000_000)
    .option('--runs <n>', 'runs per benchmark (the median is reported)', positiveInt('--runs'), 3)
    .addHelpText(
      'after',
      '\nExit codes: 0 every row met its target, 1 a row missed it (or the benchmark failed), 2 a bad flag.',
    )
    // A flag commander refuses is a usage error: exit 2 naming it, as serve (1 means a missed target)
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
    .action(async (opts) => {
      const { benchCommand } = await import('./commands/bench.ts');
      process.exitCode = await benchCommand(opts);
    });

  program
    .command('serve')
    .argument(
      '[service...]',
      'market-data | execution-engine | risk-manager | api (default: all four in one process)',
    )
    .description(
      'run the trading system: all services in one process, or some of them, talking to the others over --bus',
    )
    .option(
      '--host <host>',
      'address to listen on (env TICKSTORM_HOST; default 127.0.0.1: loopback only, see --keys)',
      undefined,
    )
    .option(
      '--data-dir <dir>',
      'where the DuckDB file and input logs live (env TICKSTORM_DATA_DIR; default ./data)',
      undefined,
    )
    .option('--market-data-port <port>', portHelp('market-data'))
    .option('--execution-engine-port <port>', portHelp('execution-engine'))
    .option('--risk-manager-port <port>', portHelp('risk-manager'))
    .option('--api-port <port>', portHelp('api'))
    .option(
      '--bus <url>',
      'nats://HOST:PORT: the bus to the services in other processes (env TICKSTORM_BUS; default: in-process; docs/deployment.md)',
    )
    .option(
      '--symbols <list>',
      "symbols this execution engine owns, A,B,… (env TICKSTORM_SYMBOLS; default all); orders for others go to their owner's process",
    )
    .option('--shards <n>', 'matching shards (symbols spread by index)', positiveInt('--shards'))
    .option(
      '--no-input-log',
      'do not write the sequenced input log (no journal: nothing survives a restart, and order ids start over; refused on a --data-dir whose journal holds orders)',
    )
    .option(
      '--durability <mode>',
      'fsync (default: an order is answered after a group-committed fdatasync; survives a power loss) or' +
        ' write (answered once written to the OS; survives a process crash, not a power loss) (env TICKSTORM_DURABILITY)',
    )
    .option(
      '--fresh',
      'start empty: move the journals and snapshots in the data dir aside (previous-<time>/)',
    )
    .option(
      '--snapshot-interval <ms>',
      'snapshot the state this often when the journal moved (default 60000; 0 = only on a graceful stop)',
      nonNegativeInt('--snapshot-interval'),
    )
    .option(
      '--retain-snapshots <n>',
      'snapshots kept, with the journal segments they need (default 2; 0 = keep every snapshot and segment)',
      nonNegativeInt('--retain-snapshots'),
    )
    .option(
      '--max-tick-ahead <ms>',
      'market-data: refuse ticks whose timestamp is more than this far ahead of the server clock' +
        ' (PRT_ERR_TIMESTAMP_AHEAD; env TICKSTORM_MAX_TICK_AHEAD_MS; default 10000; 0 = not checked)',
      nonNegativeInt('--max-tick-ahead'),
    )
    .option(
      '--strict-prices',
      'refuse order prices off the tick grid (PRT_ERR_PRICE_OFF_TICK) instead of rounding them to the passive side',
    )
    .option('--config <file>', 'JSON file with host, dataDir and ports (flags and env win)')
    .option(
      '--metrics-store <path|url>',
      'metrics store: a DuckDB file (default <data-dir>/metrics.duckdb) or postgres://USER@HOST:PORT/DB' +
        ' (env TICKSTORM_METRICS_STORE; docs/metrics-store.md)',
    )
    .option(
      '--keys <file>',
      'API keys (JSON array of {id,secret,role,accounts?}; env TICKSTORM_KEYS_FILE): signed requests required',
    )
    .option(
      '--insecure-no-auth',
      'no keys and every peer served (needed to bind a non-loopback --host without --keys)',
    )
    .option(
      '--log-level <level>',
      'structured log lines on stderr: trace, debug, info, warn, error, fatal, silent (env TICKSTORM_LOG_LEVEL; default info; JSON, or readable on a terminal)',
    )
    .addHelpText(
      'after',
      '\nEnvironment: ABC_MAX_CONCURRENT_REQUESTS (orders in flight at the execution engine and agent requests' +
        ' in flight on the api before 503 + Retry-After), ABC_MEMORY_LIMIT (e.g. 2GB: the api sheds load' +
        ' above 90% of it), ABC_PERFORMANCE_MODE (true/false: analysis cache per bar; docs/agent-endpoints.md).' +
        '\n\nExit codes: 0 stopped gracefully (SIGINT, SIGTERM, SIGHUP), 1 it cannot start (a port in use, a locked data' +
        ' directory, a second risk manager or engine for a symbol on the bus, the bus unreachable,' +
        " PostgreSQL refusing it; an unreachable PostgreSQL is waited for; or, running, its role's lease" +
        ' on the bus taken over while it was stalled: docs/deployment.md),' +
        ' 2 a bad configuration, flag or argument,' +
        ' 70 an uncaught exception.',
    )
    // A flag commander refuses is a bad configuration too: exit 2, as serve's own checks
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
    .action(async (services: string[], opts) => {
      const { serveCommand } = await import('./commands/serve.ts');
      await serveCommand(services, opts);
    });

  program
    .command('analyze')
    .argument(
      '<file>',
      'results CSV (columns timestamp (epoch seconds or ISO 8601), latency, success, duration)',
    )
    .description('load test analysis (pandas-style): statistics and load_test_results.png')
    .option('--out <file>', 'where to save the plot', 'load_test_results.png')
    .option('--no-plot', 'print the statistics only')
    .option('--scenario <id>', 'only the rows of this scenario (the scenario column `tickstorm run` writes)')
    .option('--name <name>', 'only the rows of this request name ("POST /orders" or "/orders")')
    .addHelpText(
      'after',
      '\nExit codes: 0 analysed, 104 bad input (a missing file or column, an empty file, a bad value, no row' +
        ' matching --scenario/--name) or a bad flag, 1 another error (the plot cannot be written).',
    )
    // A flag commander refuses is bad input, 104 like the command's own checks.
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
    .action(async (file: string, opts) => {
      const { analyzeCommand } = await import('./commands/analyze.ts');
      process.exitCode = await analyzeCommand(file, opts);
    });

  program
    .command('replay')
    .argument(
      '<file>',
      'one input log file: the active log (data/input-log-0.bin), a segment a snapshot rotated' +
        ' (data/input-log-0.seg-<seq>.bin) or a kept previous one; no snapshot applied, no other file read' +
        ' (docs/input-log.md)',
    )
    .description('rebuild a matching engine from a sequenced input log and print its books')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 replayed, 1 the file cannot be read or is not an input log (a pipe or a device: copy it to a file), 2 a bad flag or argument.',
    )
    // A flag or argument commander refuses is a usage error: exit 2 naming it (1 is a bad log)
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2))
    .action(async (file: string, opts: { json?: boolean }) => {
      const { replayCommand } = await import('./commands/replay.ts');
      process.exitCode = replayCommand(file, opts);
    });

  for (const [name, register] of Object.entries(REGISTERED)) {
    if (only === undefined || only === name) await register(program);
  }

  return program;
}

// `tickstorm ... | head`: a reader that closed the pipe early is not a crash; the command
// still finishes its work (files, exit code). Nor is a terminal that closed (EIO: `serve`
// stops cleanly on its SIGHUP and still prints as it stops).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE' && e.code !== 'EIO') throw e;
});

try {
  // A command named first needs its own module only (`--version` none); anything else (the
  // program's help, a misspelt command) gets the whole program.
  const named = process.argv[2] ?? '';
  const only = named in REGISTERED ? named : DEFINED_HERE.has(named) ? '' : undefined;
  await (await buildProgram(only)).parseAsync(process.argv);
} catch (err) {
  const e = err as { code?: string; message?: string };
  console.error(`tickstorm: ${e.message ?? String(err)}`);
  process.exitCode = e.code === 'TRD_ERR_INVALID_CONFIG' ? 2 : 1;
  // A command that failed is over, even when something it opened still holds the event loop:
  // an idle loop ends at once, anything left gets a second.
  exitOnceDone();
}
