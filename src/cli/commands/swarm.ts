/**
 * `tickstorm swarm -f FILE [CLASS...]`: Locust's command line for TypeScript user classes.
 * Flags keep Locust's names (-u, -r, -t, --headless, --class-picker, -H, --csv, --html,
 * --processes, --web-port, --autostart, --autoquit); thresholds, --json and exit codes are
 * those of `tickstorm run`. --metrics-port serves this process's requests for Prometheus (per
 * request type and name; a --worker its own part) for the whole session, on a port of its own.
 */

import {
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  type LoadMetricsServer,
  masterWorkerFlagsOf,
  planSwarm,
  problemsText,
  runSwarmSession,
  tlsCertProblem,
  useKeyFile,
} from '@tickstorm/loadlab';
import { DEFAULT_PORTS } from '@tickstorm/protocol';
import type { Command } from 'commander';
import { exitOnceDone } from './exit-once-done.ts';
import { closeMetrics, METRICS_PORT_HELP, openMetrics } from './metrics-port.ts';
import { packageVersion } from './package-version.ts';
import { metricsPortOf } from './run-flag-checks.ts';
import { swarmFlagErrorText } from './swarm-flag-errors.ts';
import { listUserClasses } from './swarm-list.ts';
import { applyLocustDefaults, withLocustSources } from './swarm-locust-config.ts';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** Without -H: the api of a Tickstorm on this machine. */
const DEFAULT_SWARM_HOST = `http://127.0.0.1:${DEFAULT_PORTS.api}`;

const HELP_AFTER = `
The user file is a TypeScript (or JavaScript) module exporting HttpUser subclasses:

  import { HttpUser, between, tasks } from '@tickstorm/loadlab';
  export class Reader extends HttpUser {
    static weight = 3;
    static tasks = tasks<Reader>({ bars: 30, health: 20 });
    waitTime = between(0.5, 1.5);
    async bars() { await this.client.get('/api/data/SYM0/bars?limit=50', { name: 'data_collection', type: 'DATA' }); }
    async health() { await this.client.get('/health'); }
  }

wait_time helpers: between(a, b), constant(s), constantPacing(s) / constant_pacing, constantThroughput(n) / constant_throughput.
A LoadTestShape subclass exported from the file drives users and spawn rate (then -u/-r are ignored).
Thresholds: see 'tickstorm run --help', e.g. --threshold 'p95{name:data_collection}<500ms' --threshold 'error_rate<1%'.

Exit codes (k6's, with Locust's rule for failures):
  0    every threshold passed, no request failed and user code raised no exception
  99   a threshold failed (the CI gate)
  104  invalid configuration: bad flag or value, bad threshold, a user file that does not load (nothing ran)
  1    a worker thread failed; --master: the workers did not join in time, or every worker went missing
  1    also (Locust's --exit-code-on-error, default 1): requests failed or user code raised an
       exception and no threshold failed; --exit-code-on-error CODE picks the code, 0 lets it pass
  105  interrupted (Ctrl-C, SIGTERM); the results so far are printed and written

Examples:
  tickstorm swarm -f examples/trading-users.ts                      (web UI on http://127.0.0.1:8089)
  tickstorm swarm -f examples/trading-users.ts --headless -u 100 -r 10 -t 5m --csv results/swarm
  tickstorm swarm -f examples/trading-users.ts --headless -u 50 -r 5 -t 10m --class-picker HighFrequencyUser
  tickstorm swarm -f examples/trading-users.ts --headless -u 500 -r 50 -t 1m --processes 2

Prometheus (docs/swarm.md#prometheus---metrics-port):
  tickstorm swarm -f users.ts --headless -u 50 -r 5 -t 10m --metrics-port 9464
  (loadlab_request_duration_seconds{scenario="users",type="GET",name="/api/..."} and the rest)

Many machines (docs/swarm.md#many-machines---master-and---worker):
  tickstorm swarm -f users.ts --master --headless --expect-workers 2 --master-bind-host 0.0.0.0 -u 200 -r 20 -t 5m
  tickstorm swarm -f users.ts --worker --master-host 10.0.0.5        (on each worker machine)`;

export function registerSwarmCommand(program: Command): Command {
  return program
    .command('swarm')
    .argument('[classes...]', 'user classes to run (default: every class in the file)')
    .description('Locust-style user mix: weighted TypeScript user classes, with a live web UI or headless')
    .option('-f, --locustfile <file>', 'the user file (.ts or .js module exporting HttpUser classes)')
    .option('-u, --users <n>', 'peak number of concurrent users', '1')
    .option('-r, --spawn-rate <n>', 'users started (or stopped) per second', '1')
    .option('-t, --run-time <duration>', 'stop after this long, e.g. 30s, 5m, 1h30m (default: until stopped)')
    .option('-H, --host <url>', `base URL of the system under test (default ${DEFAULT_SWARM_HOST})`)
    .option('--headless', 'no web UI: start at once and print progress')
    .option('-l, --list', 'print the user classes of the file (-f) and exit')
    .option(
      '--class-picker [classes...]',
      'choose user classes: in the web UI (a checkbox per class), or name them here or as operands',
    )
    .option(
      '--processes <n>',
      'run users in N worker threads, statistics merged exactly (-1: one per core)',
      '1',
    )
    .option('--web-host <host>', 'web UI address', '127.0.0.1')
    .option('-P, --web-port <port>', 'web UI port', '8089')
    .option(
      '--metrics-port <port>',
      `${METRICS_PORT_HELP}; per request type and name, every test of the session (not on --master: each --worker serves its own)`,
    )
    .option('--autostart', 'web UI: start the test at once with -u/-r')
    .option('--autoquit <seconds>', 'web UI: quit this many seconds after a test stops')
    .option('--only-summary', 'headless: no progress lines, only the final tables')
    .option(
      '--reset-stats',
      "clear the statistics each time spawning completes, so the ramp is not counted (Locust's; on --master it resets every worker's)",
    )
    .option(
      '--exit-code-on-error <code>',
      "exit with this code when requests failed (or user code raised) but every threshold passed (Locust's, default 1; 0: such a test passes)",
    )
    .option('--seed <n>', "seed of the users' random streams (task picks, between() waits)", '1')
    .option('--request-timeout <duration>', 'per-request timeout', '60s')
    .option(
      '-s, --stop-timeout <duration>',
      "a stopped user may finish the task it is running for this long, e.g. 30s (Locust's; default 0: its request in flight is aborted; on --master it applies to every worker)",
    )
    .option('--threshold <expr>', "pass/fail criterion, e.g. 'p95<500ms' (repeatable)", collect)
    .option(
      '--config <file>',
      'JSON file with {"thresholds": [...]}; a file that is not JSON is read as Locust\'s locust.conf (key = value)',
    )
    .option(
      '--csv <prefix>',
      'Locust-compatible PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv, PREFIX_exceptions.csv',
    )
    .option(
      '--csv-full-history',
      "PREFIX_stats_history.csv (and the web UI's full history CSV) also gets a row per request type and name each second (Locust's)",
    )
    .option('--html <file>', 'self-contained HTML report with charts')
    .option('--json <file>', 'the results as JSON')
    .option('--junit <file>', 'JUnit XML (one test case per threshold)')
    .option(
      '-T, --tags <tags...>',
      "run only the tasks with one of these tags (Locust's -T a b, or comma-separated, repeatable; static tags = tag<User>({...}))",
      collect,
    )
    .option(
      '-E, --exclude-tags <tags...>',
      "do not run the tasks with any of these tags (Locust's -E a b, or comma-separated, repeatable)",
      collect,
    )
    .option('--master', "run as the master of --worker processes on other machines (Locust's --master)")
    .option(
      '--enable-rebalancing',
      "master: a worker that joins a running test gets its share of the users at once, moved from the others (Locust's --enable-rebalancing; without it, it gets the users of the next ramp)",
    )
    .option('--worker', "run users for the master at --master-host (Locust's --worker)")
    .option('--expect-workers <n>', 'master: start the test once this many workers joined (default 1)')
    .option(
      '--expect-workers-max-wait <seconds>',
      'master: give up (exit 1, nothing run) if the workers have not joined by then (default 60; 0: wait for ever)',
    )
    .option(
      '--master-bind-host <host>',
      'master: address workers connect to (default 127.0.0.1; 0.0.0.0: all)',
    )
    .option(
      '--master-bind-port <port>',
      'master: port workers connect to (default 5557; 0: any free port, printed)',
    )
    .option('--master-host <host>', "worker: the master's address (default 127.0.0.1)")
    .option('--master-port <port>', "worker: the master's port (default 5557)")
    .option('--insecure', 'https hosts: do not verify the server certificate (self-signed test systems)')
    .option('--ca <file>', 'https hosts: also trust the PEM certificate(s) in FILE')
    .option(
      '--cert <file>',
      "https hosts: every user presents this PEM client certificate (mutual TLS; requests' cert=); may also hold the key",
    )
    .option(
      '--key <file>',
      'https hosts: the PEM private key of --cert (not --key-file, the API signing key)',
    )
    .addHelpText('after', HELP_AFTER)
    .option(
      '--key-file <file>',
      'sign every request with this key ({"id","secret"}; or env TICKSTORM_KEY_ID/TICKSTORM_KEY_SECRET)',
    )
    .showHelpAfterError(false)
    .configureOutput({ outputError: (text, write) => write(swarmFlagErrorText(text)) })
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
    .action(async (operands: string[], _o: Record<string, unknown>, cmd: Command) => {
      try {
        // Locust's LOCUST_<FLAG> variables and locust.conf, under the command line
        const { problems, notes } = applyLocustDefaults(cmd);
        for (const n of notes) console.error(`tickstorm swarm: note: ${n}`);
        await swarmAction(operands, cmd.opts(), problems);
      } finally {
        exitOnceDone();
      }
    });
  async function swarmAction(
    operands: string[],
    o: Record<string, unknown>,
    configProblems: readonly string[],
  ): Promise<void> {
    if (o.list === true && configProblems.length === 0) {
      process.exitCode = await listUserClasses(o.locustfile as string | undefined);
      return;
    }
    useKeyFile(o.keyFile as string | undefined);
    const picker = Array.isArray(o.classPicker) ? (o.classPicker as string[]) : [];
    const { plan, problems } = await planSwarm({
      locustfile: o.locustfile as string | undefined,
      classes: [...operands, ...picker],
      classPicker: o.classPicker !== undefined,
      users: o.users as string,
      spawnRate: o.spawnRate as string,
      runTime: o.runTime as string | undefined,
      headless: o.headless === true,
      host: o.host as string | undefined,
      defaultHost: DEFAULT_SWARM_HOST,
      processes: o.processes as string,
      webHost: o.webHost as string,
      webPort: o.webPort as string,
      autostart: o.autostart === true,
      autoquit: o.autoquit as string | undefined,
      thresholds: (o.threshold as string[] | undefined) ?? [],
      config: o.config as string | undefined,
      files: {
        json: o.json as string | undefined,
        csv: o.csv as string | undefined,
        html: o.html as string | undefined,
        junit: o.junit as string | undefined,
      },
      onlySummary: o.onlySummary === true,
      fullHistory: o.csvFullHistory === true,
      resetStats: o.resetStats === true,
      exitCodeOnError: o.exitCodeOnError as string | undefined,
      seed: o.seed as string,
      requestTimeout: o.requestTimeout as string,
      stopTimeout: o.stopTimeout as string | undefined,
      insecure: o.insecure === true,
      ca: o.ca as string | undefined,
      cert: o.cert as string | undefined,
      key: o.key as string | undefined,
      tags: o.tags as string[] | undefined,
      excludeTags: o.excludeTags as string[] | undefined,
      enableRebalancing: o.enableRebalancing === true,
      ...masterWorkerFlagsOf(o),
    });
    problems.unshift(...configProblems);
    const metricsPort = metricsPortOf(o, problems);
    if (metricsPort !== undefined && o.master === true)
      problems.push('--metrics-port: a master runs no users; give it to each --worker (each serves its own)');
    if (
      metricsPort !== undefined &&
      metricsPort !== 0 &&
      o.headless !== true &&
      o.worker !== true &&
      String(metricsPort) === String(o.webPort).trim()
    )
      problems.push(
        `--metrics-port ${metricsPort} is the web UI's port too (--web-port): give them two ports`,
      );
    if (plan === null || problems.length > 0) {
      console.error(problemsText('tickstorm swarm', withLocustSources(problems)));
      process.exitCode = EXIT_INVALID_CONFIG;
      return;
    }
    // Headless on one machine: a refused -H certificate would fail every request alike; say so once (exit 1).
    if (plan.headless && plan.role === 'local') {
      const certProblem = await tlsCertProblem(new URL(plan.host), plan.tls);
      if (certProblem !== undefined) {
        console.error(`tickstorm swarm: -H ${plan.host}: ${certProblem}`);
        process.exitCode = EXIT_ERROR;
        return;
      }
    }
    let metrics: LoadMetricsServer | undefined;
    if (metricsPort !== undefined) {
      const opened = await openMetrics(metricsPort, { requestTypes: true });
      if ('problem' in opened) {
        console.error(`tickstorm swarm: ${opened.problem}`);
        process.exitCode = EXIT_ERROR;
        return;
      }
      metrics = opened.server;
    }
    const ac = new AbortController();
    const abort = () => ac.abort();
    process.once('SIGINT', abort);
    process.once('SIGTERM', abort);
    try {
      process.exitCode = await runSwarmSession(plan, {
        version: packageVersion(),
        signal: ac.signal,
        metrics,
      });
    } finally {
      process.off('SIGINT', abort);
      process.off('SIGTERM', abort);
      await closeMetrics(metrics);
    }
  }
}
