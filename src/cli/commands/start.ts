/**
 * `tickstorm start` (what `npm start` runs): the whole demonstration in one command.
 *   1. start the trading system in a child process (`tickstorm serve`, data in data/, the
 *      default ports; a taken default port is swapped for a free one, and said so),
 *   2. wait until every service answers GET /health,
 *   3. run `tickstorm bench` (critical-path micro-benchmarks, in their own child process),
 *   4. run every scenario at its short default duration (or --duration) against the child,
 *      watching the child's CPU and RSS through /proc,
 *   5. print both target tables, write everything under results/ (report.json, report.html,
 *      locust_*.csv, requests.csv, junit.xml),
 *   6. stop the system gracefully (SIGTERM, wait) and exit 0 when the job ran: a missed target
 *      is in the tables and in report.json's exitCode (99), and is the exit code only with
 *      --gate (a CI gate), so a slow or busy machine does not make `npm start` fail.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  EXIT_ABORTED,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_THRESHOLDS_FAILED,
  executeRun,
  planRun,
  problemsText,
} from '@tickstorm/loadlab';
import { makeDir } from '@tickstorm/protocol';
import type { TickstormScenario } from '@tickstorm/scenarios';
import type { Command } from 'commander';
import { outliveHangUp } from './hangup.ts';
import { packageVersion } from './package-version.ts';
import { SCENARIOS_LOADED, tickstormSuite } from './scenarios-loaded.ts';
import { StartInterrupted, type SystemChild, startSystemChild } from './system-child.ts';

export interface StartOptions {
  duration?: string;
  out: string;
  dataDir: string;
  bench: boolean;
  freePorts?: boolean;
  /** Exit 99 when a target is missed (otherwise 0, the misses reported). */
  gate?: boolean;
}

const say = (t: string) => process.stdout.write(`${t}\n`);

/** Ctrl-C, a stop (SIGTERM), a closed terminal (SIGHUP): each stops the load, reports, stops the system. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export function registerStartCommand(program: Command, defs = SCENARIOS_LOADED.defs): Command {
  return (
    program
      .command('start')
      .description(
        'npm start: start the system, benchmark it, run every scenario against it, print the target tables, write results/',
      )
      .option('--duration <d>', "each scenario's duration, e.g. 5s (default: the scenarios' short defaults)")
      .option('--out <dir>', 'where the reports go', 'results')
      .option('--data-dir <dir>', "the system's data directory (DuckDB file, input logs)", 'data')
      .option('--no-bench', 'skip the critical-path micro-benchmarks')
      .option('--free-ports', 'every service on a free port instead of the default ports')
      .option('--gate', 'exit 99 when a target is missed, as `run` does (without it: reported, exit 0)')
      .addHelpText(
        'after',
        `
Exit codes (k6's):
  0    the job ran, missed targets included (they are reported: ❌ in the tables, report.json's exitCode 99)
  99   a missed target, only with --gate (as \`tickstorm run all\` exits)
  104  a bad flag or value (nothing ran)
  1    the system did not start (the tail of its log is shown), or a scenario could not run
  105  interrupted (Ctrl-C, SIGTERM, or SIGHUP from a closed terminal): what ran is reported
       and the system stopped gracefully; a second Ctrl-C quits at once`,
      )
      // A flag commander refuses is invalid configuration, 104 as the table above says.
      .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
      .action(async (o: StartOptions) => {
        if (SCENARIOS_LOADED.error !== undefined) {
          console.error(`tickstorm start: ${SCENARIOS_LOADED.error}`);
          process.exitCode = EXIT_ERROR;
        } else process.exitCode = await startCommand(defs, o);
      })
  );
}

export async function startCommand(defs: readonly TickstormScenario[], o: StartOptions): Promise<number> {
  const t0 = Date.now();
  const out = resolve(o.out);
  const files = {
    json: join(out, 'report.json'),
    html: join(out, 'report.html'),
    csv: join(out, 'locust'),
    resultsCsv: join(out, 'requests.csv'),
    junit: join(out, 'junit.xml'),
  };
  const params = new Map<string, unknown>();
  if (o.duration !== undefined) params.set('duration', o.duration);
  // Validate before starting anything (the URLs are placeholders until the system reports its own).
  const suite = tickstormSuite(defs);
  const check = planRun(suite, { scenarios: ['all'], params, watch: false, ...files });
  if (check.plan === undefined) {
    console.error(problemsText('tickstorm start', check.problems));
    return EXIT_INVALID_CONFIG;
  }
  // a directory that cannot be made (read-only, /proc/nope, a file in the path) is bad input
  for (const [flag, dir] of [
    ['--out', out],
    ['--data-dir', o.dataDir],
  ] as const) {
    try {
      makeDir(dir);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      console.error(`tickstorm start: ${flag} ${dir}: cannot create the directory (${e.code ?? e.message})`);
      return EXIT_INVALID_CONFIG;
    }
  }
  outliveHangUp();
  const log = join(out, 'system.log');
  const abort = new AbortController();
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      // a closed terminal (its output dropped, ./hangup.ts) once stopping: the stop goes on (as
      // serve's), closing the window after Ctrl-C is not a second Ctrl-C
      if (signal === 'SIGHUP') return;
      // second Ctrl-C: now (the child is killed on exit)
      process.exit(EXIT_ABORTED);
    }
    process.stderr.write(
      phase === 'running'
        ? '\nstopping: reporting what ran, then stopping the system (Ctrl-C again to quit)\n'
        : phase === 'starting'
          ? '\nstopping: stopping the system before anything ran (Ctrl-C again to quit)\n'
          : '\nstopping: the system is stopping gracefully (Ctrl-C again to quit)\n',
    );
    abort.abort();
  };
  // the system runs in a session of its own (./system-child.ts): these are the only ways it
  // stops, from its start-up on (an interrupt then stops it, SIGTERM, and exits 105) to the end
  // of its graceful stop (a first interrupt then lets it end: only a second one kills it).
  // Kept until the exit: a signal nothing listens for ends node without its 'exit' event, and
  // on a hung-up terminal that exit aborts (./hangup.ts)
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  say(`[1/4] Starting the trading system (tickstorm serve, data in ${o.dataDir}/, log ${log})...`);
  let sys: SystemChild;
  try {
    sys = await startSystemChild({
      dataDir: o.dataDir,
      logFile: log,
      freePorts: o.freePorts === true,
      signal: abort.signal,
    });
  } catch (e) {
    if (e instanceof StartInterrupted) {
      console.error(
        'tickstorm start: interrupted while the trading system started: it was stopped, nothing ran',
      );
      return EXIT_ABORTED;
    }
    console.error(`tickstorm start: could not start the trading system: ${(e as Error).message}`);
    return EXIT_ERROR;
  }
  phase = 'running';
  for (const m of sys.moved)
    say(
      `      port ${m.wanted} (${m.service}) is in use: the ${m.service} service listens on ${m.port} instead`,
    );
  for (const [name, url] of Object.entries(sys.urls)) say(`      ${name.padEnd(17)} ${url}`);
  say(`      pid ${sys.pid}, every /health answered in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  let code: number = EXIT_ERROR;
  try {
    const { plan, problems } = planRun(suite, {
      scenarios: ['all'],
      targets: {
        'market-data-url': sys.urls['market-data'],
        'orders-url': sys.urls['execution-engine'],
        'risk-url': sys.urls['risk-manager'],
        'api-url': sys.urls.api,
      },
      params,
      prelude: o.bench,
      ...files,
    });
    if (plan === undefined) throw new Error(problems.join('; '));
    plan.target = `tickstorm serve (pid ${sys.pid}) ${plan.target}`;
    plan.watch = [{ kind: 'pid', pid: sys.pid, label: `tickstorm serve (pid ${sys.pid})` }];
    say(
      o.bench
        ? '[2/4] Critical-path micro-benchmarks, then every scenario (live progress on stderr)...'
        : '[2/4] Every scenario (live progress on stderr)...',
    );
    const r = await executeRun(plan, {
      version: packageVersion(),
      signal: abort.signal,
      skipReachability: true,
    });
    code = r.exitCode;
    say(`\n[3/4] HTML report: ${pathToFileURL(files.html).href}`);
  } catch (e) {
    console.error(`tickstorm start: ${(e as Error).message}`);
  } finally {
    phase = 'stopping';
    say('[4/4] Stopping the trading system (SIGTERM, waiting for a graceful stop)...');
    const stopped = await sys.stop();
    say(
      stopped === 0 ? '      stopped cleanly' : `      the system exited with code ${stopped} (see ${log})`,
    );
  }
  const runCode = code;
  code = startExitCode(runCode, abort.signal.aborted, o.gate === true);
  if (runCode === EXIT_THRESHOLDS_FAILED && code === EXIT_OK)
    say('      Some targets were missed (❌ above; report.json exitCode 99); --gate makes that exit 99.');
  say(`Done in ${((Date.now() - t0) / 1000).toFixed(1)} s, exit code ${code}.`);
  return code;
}

/**
 * start's exit code from the run's: 105 when interrupted; a missed target (99) only with
 * `gate`, otherwise 0 (the job ran and reported); anything else (1, 104) as it is.
 */
export function startExitCode(runCode: number, aborted: boolean, gate: boolean): number {
  if (aborted) return EXIT_ABORTED;
  return runCode === EXIT_THRESHOLDS_FAILED && !gate ? EXIT_OK : runCode;
}
