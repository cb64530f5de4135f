/**
 * k6's `run` flags that `tickstorm run FILE` lacks, each with what to do instead: an unknown
 * one is still a problem (104), but a k6 user reads why and what fits, as `tickstorm swarm`
 * names Locust's flags it lacks (./swarm-flag-errors.ts).
 */

/** k6's -c/--config (a JSON file of options) on a script run: what to do instead. */
export const K6_CONFIG_FILE =
  "k6's options file (-c/--config) is not read here; put its options in the script (export const options = JSON.parse(open('./config.json')) reads that file), and tickstorm's own flags in a file given with --config-file FILE";

const LOGS = "console.log and the run's output go to stdout and stderr: redirect them";
const NO_API =
  'there is no REST API to start, pause or scale a run (nor the externally-controlled executor): the run starts at once';

const NO_LEVELS = 'there are no log levels or formats: console.log and the results go to stdout and stderr';
const THROW =
  "a failed request never throws here (k6's default): it answers status 0 and res.error; throw (or call fail()) in the script where one must end the iteration";
const REUSE =
  'connections are kept alive per origin for each scenario; there is no switch to open one per request';
const NETWORK =
  "the system's resolver and routes are used as they are; there is no per-run DNS or IP setting";
const LIFECYCLE =
  'setup() and teardown() run whenever the script exports them: leave them out of the script to skip them';

/** k6's flags that `tickstorm run FILE` lacks, each with what to do instead. */
export const K6_FLAGS_NOT_HERE: Readonly<Record<string, string>> = {
  '-c': K6_CONFIG_FILE,
  '--insecure-skip-tls-verify': 'use --insecure (or options.insecureSkipTLSVerify: true)',
  '--http-debug':
    'there is no request dump: log what you need in the script (console.log(res.status, res.headers, res.body))',
  '--rps':
    'there is no global request cap: an arrival-rate executor (constant-arrival-rate, ramping-arrival-rate) sets the rate',
  '--console-output': LOGS,
  '--log-output': LOGS,
  '--linger': 'the command ends with the test, once the summary is printed and the reports are written',
  '--include-system-env-vars': '__ENV always holds the process environment, with -e/--env over it',
  '--address': NO_API,
  '--paused': NO_API,
  '--max-redirects': "set params.redirects on the requests (default 10, k6's)",
  '--discard-response-bodies': 'set options.discardResponseBodies: true in the script',
  '--user-agent': "set params.headers['User-Agent'] on the requests",
  '--no-setup': LIFECYCLE,
  '--no-teardown': LIFECYCLE,
  '--setup-timeout': "set options.setupTimeout in the script (default '60s', k6's)",
  '--teardown-timeout': "set options.teardownTimeout in the script (default '60s', k6's)",
  '-w': THROW,
  '--throw': THROW,
  '--no-usage-report': 'tickstorm sends no usage report: drop the flag',
  '--no-color':
    'the summary has no colours unless stdout is a terminal; options.noColor: true sets handleSummary data.options.noColor',
  '--summary-mode':
    "there is one end-of-test summary (k6's full one: the metrics, each sub-metric with a threshold, the groups' checks)",
  '-v': NO_LEVELS,
  '--verbose': NO_LEVELS,
  '--log-format': NO_LEVELS,
  '--no-connection-reuse': REUSE,
  '--no-vu-connection-reuse': REUSE,
  '--batch': 'http.batch() sends every request of the batch at once (no parallelism cap)',
  '--batch-per-host': 'http.batch() sends every request of the batch at once (no parallelism cap)',
  '--compatibility-mode': 'scripts are ES modules, and TypeScript runs as it is (no mode to choose)',
  '--system-tags':
    'the samples carry a fixed set of tags (docs/load-lab.md, --out json): there is no choosing them',
  '--min-iteration-duration': 'at the end of the iteration, await sleep() for the time left',
  '--dns': NETWORK,
  '--local-ips': NETWORK,
  '--blacklist-ip': NETWORK,
  '--block-hostnames': NETWORK,
};

/** The problem line for an unknown option `u` of a script run. */
export function unknownRunOption(u: string): string {
  const instead = K6_FLAGS_NOT_HERE[u.replace(/=.*$/, '')];
  return instead === undefined
    ? `unknown option '${u}'`
    : `unknown option '${u}': k6's ${u.replace(/=.*$/, '')} is not in tickstorm run; ${instead}`;
}
