/**
 * A flag `tickstorm swarm` cannot parse (unknown, or missing its value) is reported as every other
 * bad flag is: one problem line and the pointer to --help (exit 104), not the whole help text.
 * A Locust flag this command does not have says so, and what to use instead.
 */
import { problemsText } from '@tickstorm/loadlab';

const LOG_FLAGS =
  'swarm has no log levels or log file: its progress and results go to stdout/stderr (redirect them)';
const TASK_RATIO =
  "swarm has no task-ratio listing: the web UI's current ratio tab shows the users of each class";

const ITERATIONS =
  "(locust-plugins') there is no iteration limit: count the tasks in the user file and throw new StopUser() (that user) or call this.environment.runner.quit() (the test) at N";

const STEP_LOAD =
  "Locust 2.0 removed step load; a LoadTestShape class in the user file sets the users at each step (docs/swarm.md, 'Load shapes')";
const OLD_NAME = (now: string) =>
  `it is an old Locust name: today's Locust and tickstorm swarm call it ${now}`;

/** Locust's flags that `tickstorm swarm` lacks, each with what to do instead. */
export const LOCUST_FLAGS_NOT_HERE: Readonly<Record<string, string>> = {
  '-L': LOG_FLAGS,
  '--loglevel': LOG_FLAGS,
  '--logfile': LOG_FLAGS,
  '--skip-log-setup': LOG_FLAGS,
  '--print-stats':
    'headless runs print a progress line (each second on a terminal, every 10 s in logs and pipes)',
  '--show-task-ratio': TASK_RATIO,
  '--show-task-ratio-json': TASK_RATIO,
  '--json-file': "--json FILE writes the results as JSON (Locust's --json prints them; here it takes a file)",
  '--equal-weights': 'give the classes the same static weight in the user file',
  '--web-auth': 'the web UI listens on 127.0.0.1 by default and has no login; keep it on a private network',
  '--web-login': 'the web UI listens on 127.0.0.1 by default and has no login; keep it on a private network',
  '--tls-cert': "the web UI is plain HTTP (--cert/--key are the users' client certificate)",
  '--tls-key': "the web UI is plain HTTP (--cert/--key are the users' client certificate)",
  '--web-base-path':
    'the web UI is served at the root path (its page asks for /stats/requests ...); behind a proxy give it a host or port of its own',
  '--profile':
    "there are no test-run profiles; name each run's report files (--json, --html, --csv) to group runs",
  '--otel': 'there is no OpenTelemetry export; --metrics-port serves the requests for Prometheus',
  '--headful': 'the web UI runs unless --headless is given (--autostart starts the test at once)',
  '--legacy-ui': 'there is one web UI, served by the lab itself',
  '--web-host-display-name': 'the status bar shows the host the users target (-H)',
  '--build-path': 'the web UI is built in; there is no custom build to serve',
  '-i': ITERATIONS,
  '--iterations': ITERATIONS,
  '--hatch-rate': OLD_NAME('-r/--spawn-rate'),
  '-c': OLD_NAME('-u/--users'),
  '--clients': OLD_NAME('-u/--users'),
  '--no-web': OLD_NAME('--headless'),
  '-n': ITERATIONS,
  '--num-request': ITERATIONS,
  '--step-load': STEP_LOAD,
  '--step-users': STEP_LOAD,
  '--step-time': STEP_LOAD,
  '--modern-ui': 'there is one web UI, served by the lab itself',
  '--config-users':
    "set the users' settings in the user file (class attributes and the classes' constructors)",
};

/** The flag named in commander's message `error: unknown option '--x=1'` (without any `=value`). */
function unknownFlag(message: string): string | undefined {
  const m = /^error: unknown option '([^'=]+)/.exec(message);
  return m?.[1];
}

/** commander's error message as the command's problem list (commander prints it, then exits 104). */
export function swarmFlagErrorText(message: string): string {
  let problem = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ');
  const flag = unknownFlag(message.trim());
  const instead = flag === undefined ? undefined : LOCUST_FLAGS_NOT_HERE[flag];
  if (instead !== undefined)
    problem = `unknown option '${flag}': Locust's ${flag} is not in tickstorm swarm; ${instead}`;
  else if (problem.startsWith("option '--json <file>' argument missing"))
    problem += " (Locust's --json prints the results; here --json FILE writes them to FILE)";
  return `${problemsText('tickstorm swarm', [problem])}\n`;
}
