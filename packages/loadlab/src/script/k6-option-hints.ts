/**
 * k6's options that a script's `options` may carry but `tickstorm run` does not take, each with
 * what to do instead. Like any option not supported, each is a problem (104); a k6 user porting
 * a script reads why and what fits, as `tickstorm run` names k6's flags it lacks.
 *
 *   options.rps: k6's option is not taken here: there is no global request cap: ...
 */
const THROW =
  "a failed request never throws here (k6's default): it answers status 0 and res.error; throw (or call fail()) in the script where one must end the iteration";
const REUSE =
  'connections are kept alive per origin for each scenario; there is no switch to open one per request';
const NETWORK =
  "the system's resolver and routes are used as they are; there is no per-run DNS, hosts or IP setting";
const LIFECYCLE =
  'setup() and teardown() run whenever the script exports them: leave them out of the script to skip them';
const BATCH = 'http.batch() sends every request of the batch at once (no parallelism cap)';

export const K6_OPTIONS_NOT_HERE: Readonly<Record<string, string>> = {
  rps: 'there is no global request cap: an arrival-rate executor (constant-arrival-rate, ramping-arrival-rate) sets the rate',
  httpDebug:
    'there is no request dump: log what you need in the script (console.log(res.status, res.headers, res.body))',
  maxRedirects: "set params.redirects on the requests (default 10, k6's)",
  userAgent: "set params.headers['User-Agent'] on the requests",
  throw: THROW,
  minIterationDuration: 'at the end of the iteration, await sleep() for the time left',
  noConnectionReuse: REUSE,
  noVUConnectionReuse: REUSE,
  batch: BATCH,
  batchPerHost: BATCH,
  systemTags: 'the samples carry a fixed set of tags (--out json): there is no choosing them',
  hosts: NETWORK,
  dns: NETWORK,
  localIPs: NETWORK,
  blacklistIPs: NETWORK,
  blockHostnames: NETWORK,
  noCookiesReset: "each VU's cookie jar is emptied at each iteration's start, as k6's default",
  noSetup: LIFECYCLE,
  noTeardown: LIFECYCLE,
  executionSegment: 'give --execution-segment on the command line',
  executionSegmentSequence: 'give --execution-segment on the command line',
  linger: 'the command ends with the test, once the summary is printed and the reports are written',
  paused: 'the run starts at once (there is no REST API to resume it)',
  noUsageReport: 'tickstorm sends no usage report: drop the option',
  consoleOutput: "console.log and the run's output go to stdout and stderr: redirect them",
};
