/**
 * The lab's exit codes, in one table. They follow k6's where k6 has one (errext/exitcodes),
 * so a CI job that already reads k6's codes reads these the same way. Also exported alone as
 * `@tickstorm/loadlab/exit-codes`, for a caller that needs the codes without loading the lab
 * (the CLI's entry, before it knows the command).
 */
export const ExitCode = {
  /** Every threshold and target passed. */
  OK: 0,
  /** The target could not be reached, or a scenario could not run. */
  ERROR: 1,
  /** A threshold or a scenario target failed: the CI gate (k6: ThresholdsHaveFailed). */
  THRESHOLDS_FAILED: 99,
  /** Invalid configuration or input: bad flag or value, unknown scenario, bad threshold; nothing ran (k6: InvalidConfig). */
  INVALID_CONFIG: 104,
  /** Interrupted from outside, e.g. Ctrl-C; the results so far are reported (k6: ExternalAbort). */
  ABORTED: 105,
  /** A script that cannot load or run: a syntax error, a throw at load time, no default function (k6: ScriptException). */
  SCRIPT_ERROR: 107,
  /** A threshold with abortOnFail failed during the run, which stopped it, or a script called exec.test.abort() (k6: ScriptAborted). */
  THRESHOLD_ABORTED: 108,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_OK = ExitCode.OK;
export const EXIT_ERROR = ExitCode.ERROR;
export const EXIT_THRESHOLDS_FAILED = ExitCode.THRESHOLDS_FAILED;
export const EXIT_INVALID_CONFIG = ExitCode.INVALID_CONFIG;
export const EXIT_ABORTED = ExitCode.ABORTED;
export const EXIT_SCRIPT_ERROR = ExitCode.SCRIPT_ERROR;
export const EXIT_THRESHOLD_ABORTED = ExitCode.THRESHOLD_ABORTED;

/** The table as help text, for `--help` of the commands that use it. */
export const EXIT_CODES_HELP = `
Exit codes (k6's):
  0    every threshold and scenario target passed
  99   a threshold or a scenario target failed (the CI gate)
  104  invalid configuration: bad flag or value, unknown scenario, bad threshold (nothing ran)
  1    the target could not be reached, or a scenario could not run
  105  interrupted (Ctrl-C, or SIGTERM as in k6); the results so far are printed and written
  107  a script error (run FILE): it does not load, throws at load time, has no default function,
       setup()/teardown()/handleSummary() failed, or an iteration did not await its requests
  108  a threshold with abortOnFail failed and stopped the run, or a script called exec.test.abort()`;
