/**
 * The lab's coded errors: one registry of stable `LAB_ERR_*` codes, one error class
 * (LabError: `code`, every `problems` when validation collects several, `cause`), and the
 * ONE table mapping every code to an HTTP status (the swarm web UI's answers) and to an
 * exit code (gates/exit-codes.ts: 104 for invalid configuration or input, 1 for an error
 * while running).
 *
 *   throw new LabError(LabErrorCode.INVALID_SCENARIO_PARAMS, message, { problems });
 *   ...
 *   if (e instanceof LabError) return e.exitCode;   // or httpStatusOfLabCode(e.code)
 */
import { EXIT_ERROR, EXIT_INVALID_CONFIG, EXIT_SCRIPT_ERROR, type ExitCode } from './gates/exit-codes.ts';

export const LabErrorCode = {
  // invalid configuration or input: nothing ran (exit 104, HTTP 400)
  /** Executor options (k6's names) with one or more problems (ExecutorOptionsError). */
  INVALID_EXECUTOR_OPTIONS: 'LAB_ERR_INVALID_EXECUTOR_OPTIONS',
  /** A swarm user file that is missing, does not load, or whose classes are wrong (UserFileError). */
  INVALID_USER_FILE: 'LAB_ERR_INVALID_USER_FILE',
  /** A results CSV `tickstorm analyze` cannot read (AnalyzeInputError). */
  INVALID_ANALYZE_INPUT: 'LAB_ERR_INVALID_ANALYZE_INPUT',
  /** Bad swarm start values (web form or API): users, spawn rate, host, user classes. */
  INVALID_SWARM: 'LAB_ERR_INVALID_SWARM',
  /** A scenario's parameters with one or more problems. */
  INVALID_SCENARIO_PARAMS: 'LAB_ERR_INVALID_SCENARIO_PARAMS',
  /** A user script's options or thresholds with one or more problems (`tickstorm run FILE`). */
  INVALID_SCRIPT_OPTIONS: 'LAB_ERR_INVALID_SCRIPT_OPTIONS',
  /** A TLS flag that cannot be used: --ca FILE missing or not PEM. */
  INVALID_TLS: 'LAB_ERR_INVALID_TLS',
  /** Bytes that are not a PNG the test kit decodes (testing/png.ts). */
  INVALID_PNG: 'LAB_ERR_INVALID_PNG',
  /** A JSON report `tickstorm merge` cannot read or merge (no encoded histograms, not JSON). */
  INVALID_REPORT: 'LAB_ERR_INVALID_REPORT',
  /**
   * A worker its master refused, or that cannot run its master's test: a swarm class missing
   * from its file, its id taken; a run worker with another scenario or script, or whose
   * version does not take the master's parameters.
   */
  WORKER_REFUSED: 'LAB_ERR_WORKER_REFUSED',

  // the swarm web UI's request errors (never the end of a CLI run)
  /** A POST from another site's page. */
  FORBIDDEN_ORIGIN: 'LAB_ERR_FORBIDDEN_ORIGIN',
  NOT_FOUND: 'LAB_ERR_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'LAB_ERR_METHOD_NOT_ALLOWED',
  BODY_TOO_LARGE: 'LAB_ERR_BODY_TOO_LARGE',

  /** A user script that does not load, throws at load time, or has no default function (exit 107). */
  SCRIPT_ERROR: 'LAB_ERR_SCRIPT_ERROR',

  // errors while running (exit 1)
  /** The swarm failed while handling a request or running a test. */
  SWARM: 'LAB_ERR_SWARM',
  /** A scenario script that cannot be loaded: no module reference with workers > 1, no factory export. */
  SCRIPT_LOAD: 'LAB_ERR_SCRIPT_LOAD',
  /** A generator or swarm worker thread that died or reported an error. */
  WORKER_CRASH: 'LAB_ERR_WORKER_CRASH',
  /** Fewer workers than --expect-workers joined the master within --expect-workers-max-wait. */
  WORKERS_MISSING: 'LAB_ERR_WORKERS_MISSING',
  /** A swarm worker's master went away (or never answered) without sending quit. */
  MASTER_GONE: 'LAB_ERR_MASTER_GONE',
  /** The system under test does not answer. */
  TARGET_UNREACHABLE: 'LAB_ERR_TARGET_UNREACHABLE',
  /** A suite's prelude (e.g. Tickstorm's micro-benchmarks) failed. */
  PRELUDE_FAILED: 'LAB_ERR_PRELUDE_FAILED',
  /** A broken invariant inside the lab (a bug): a call out of order, a missing table entry. */
  INTERNAL: 'LAB_ERR_INTERNAL',
} as const;

export type LabErrorCode = (typeof LabErrorCode)[keyof typeof LabErrorCode];

export interface LabErrorInfo {
  http: number;
  exit: ExitCode;
}

/** HTTP status and exit code of every code: the only such table in the lab. */
export const LAB_ERRORS: Readonly<Record<LabErrorCode, LabErrorInfo>> = {
  [LabErrorCode.INVALID_EXECUTOR_OPTIONS]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_USER_FILE]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_ANALYZE_INPUT]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_SWARM]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_SCENARIO_PARAMS]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_PNG]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_SCRIPT_OPTIONS]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_TLS]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.INVALID_REPORT]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.WORKER_REFUSED]: { http: 400, exit: EXIT_INVALID_CONFIG },
  [LabErrorCode.SCRIPT_ERROR]: { http: 400, exit: EXIT_SCRIPT_ERROR },
  [LabErrorCode.FORBIDDEN_ORIGIN]: { http: 403, exit: EXIT_ERROR },
  [LabErrorCode.NOT_FOUND]: { http: 404, exit: EXIT_ERROR },
  [LabErrorCode.METHOD_NOT_ALLOWED]: { http: 405, exit: EXIT_ERROR },
  [LabErrorCode.BODY_TOO_LARGE]: { http: 413, exit: EXIT_ERROR },
  [LabErrorCode.SWARM]: { http: 500, exit: EXIT_ERROR },
  [LabErrorCode.SCRIPT_LOAD]: { http: 500, exit: EXIT_ERROR },
  [LabErrorCode.WORKER_CRASH]: { http: 500, exit: EXIT_ERROR },
  [LabErrorCode.WORKERS_MISSING]: { http: 503, exit: EXIT_ERROR },
  [LabErrorCode.MASTER_GONE]: { http: 502, exit: EXIT_ERROR },
  [LabErrorCode.TARGET_UNREACHABLE]: { http: 502, exit: EXIT_ERROR },
  [LabErrorCode.PRELUDE_FAILED]: { http: 500, exit: EXIT_ERROR },
  [LabErrorCode.INTERNAL]: { http: 500, exit: EXIT_ERROR },
};

/** The HTTP status of a code (500 for a code the lab does not have). */
export function labHttpStatus(code: string): number {
  return (LAB_ERRORS as Record<string, LabErrorInfo | undefined>)[code]?.http ?? 500;
}

/** The exit code of a code (1 for a code the lab does not have). */
export function labExitCode(code: string): ExitCode {
  return (LAB_ERRORS as Record<string, LabErrorInfo | undefined>)[code]?.exit ?? EXIT_ERROR;
}

export interface LabErrorOptions {
  /** Every problem, when validation collected several (the message lists them too). */
  problems?: readonly string[];
  cause?: unknown;
}

export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly problems: string[] | undefined;

  constructor(code: LabErrorCode, message: string, opts: LabErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LabError';
    this.code = code;
    this.problems = opts.problems === undefined ? undefined : [...opts.problems];
  }

  get httpStatus(): number {
    return labHttpStatus(this.code);
  }

  get exitCode(): ExitCode {
    return labExitCode(this.code);
  }
}
