/**
 * The `tickstorm` command line. Each subcommand lives in ./commands; this file only wires
 * them into commander and turns their results into exit codes.
 */
import { Command, InvalidArgumentError } from 'commander';
import { benchCommand } from './commands/bench.ts';

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
    .command('start')
    .description('the main job of `npm start`: for now, the critical-path benchmarks (services come next)')
    .action(async () => {
      process.exitCode = await benchCommand({});
    });

  return program;
}

await buildProgram().parseAsync(process.argv);
