/**
 * `tickstorm swarm` flags → a validated SwarmPlan. Every problem is reported at once (the
 * CLI exits 104, k6's invalid-configuration code), naming the flag.
 */

import { availableParallelism } from 'node:os';
import { loadClientCertFiles } from '../clients/client-cert.ts';
import { loadCaFile, type TlsOptions } from '../clients/tls-options.ts';
import type { Threshold } from '../gates/threshold-parse.ts';
import { gatherThresholds } from '../gates/thresholds.ts';
import type { ReportFiles } from '../report/write-reports.ts';
import { parseDuration } from '../util/duration.ts';
import { hostProblem } from './http-session.ts';
import { type MasterWorkerFlags, type MasterWorkerPlan, planMasterWorker } from './master-worker-flags.ts';
import { filterTasks, type TaskFilter } from './user.ts';
import { loadUserFile, pickClasses, type UserFile, UserFileError } from './user-file.ts';

export interface SwarmInput extends MasterWorkerFlags {
  locustfile?: string;
  /** Class names given as operands and/or to --class-picker. */
  classes: string[];
  /** --class-picker was given: the web UI chooses the classes of each test. */
  classPicker: boolean;
  users: string;
  spawnRate: string;
  runTime?: string;
  headless: boolean;
  host?: string;
  /** Used when `host` is absent (a CLI's default target). */
  defaultHost?: string;
  processes: string;
  webHost: string;
  webPort: string;
  autostart: boolean;
  autoquit?: string;
  thresholds: string[];
  config?: string;
  files: ReportFiles;
  onlySummary: boolean;
  /** Locust's --csv-full-history: the history holds a row per (type, name) each second too. */
  fullHistory?: boolean;
  /** Locust's --reset-stats: clear the statistics each time spawning completes. */
  resetStats?: boolean;
  /**
   * Locust's --exit-code-on-error: the exit code when requests failed (or user code raised)
   * and nothing else failed; absent: 1, Locust's default.
   */
  exitCodeOnError?: string;
  seed: string;
  requestTimeout: string;
  /** Locust's -s/--stop-timeout: how long a stopped user may finish its task (default 0). */
  stopTimeout?: string;
  /** --tags / --exclude-tags, as typed (comma or space separated, repeatable). */
  tags?: string[];
  excludeTags?: string[];
  /** --insecure: do not verify https certificates. */
  insecure?: boolean;
  /** --ca FILE: extra trusted PEM certificates. */
  ca?: string;
  /** --cert FILE / --key FILE: the PEM client certificate every user presents (mutual TLS). */
  cert?: string;
  key?: string;
  /** --enable-rebalancing (master): a worker joining a running test gets its share at once. */
  enableRebalancing?: boolean;
}

export interface SwarmPlan extends MasterWorkerPlan {
  file: UserFile;
  classNames: string[];
  classPicker: boolean;
  users: number;
  spawnRate: number;
  runTimeSec?: number;
  headless: boolean;
  host: string;
  processes: number;
  webHost: string;
  webPort: number;
  autostart: boolean;
  autoquitSec?: number;
  thresholds: Threshold[];
  files: ReportFiles;
  onlySummary: boolean;
  /**
   * Locust's --csv-full-history: every second of the series carries a row per (type, name)
   * (TimeSlice.names), so --csv's PREFIX_stats_history.csv and the web UI's full history have them.
   */
  fullHistory: boolean;
  /** Locust's --reset-stats: clear the statistics each time spawning completes (the ramp is not counted). */
  resetStats: boolean;
  /**
   * Exit code of a test whose requests failed or whose user code raised, when every threshold
   * passed (Locust's --exit-code-on-error, default 1; 0: such a test passes).
   */
  exitCodeOnError: number;
  seed: number;
  timeoutMs: number;
  /** -s/--stop-timeout (ms): a stopped user finishes its task within this, then it is aborted. */
  stopTimeoutMs: number;
  tls: TlsOptions;
  taskFilter?: TaskFilter;
  /** --enable-rebalancing: users move to a worker that joins a running test at once. */
  enableRebalancing: boolean;
}

/** Locust's --exit-code-on-error default: a test with failed requests exits 1. */
export const DEFAULT_EXIT_CODE_ON_ERROR = 1;

/** Worker threads beyond this would only contend for the cores. */
const MAX_PROCESSES = 256;

/**
 * Locust's --html tags: {u} and {r} become -u and -r (whole numbers, as Locust's int()), {t} the
 * run time in seconds; without -t, {t} stays as written.
 */
export function htmlFileTags(file: string, users: number, spawnRate: number, runTimeSec?: number): string {
  const out = file
    .replaceAll('{u}', String(Math.trunc(users)))
    .replaceAll('{r}', String(Math.trunc(spawnRate)));
  return runTimeSec === undefined ? out : out.replaceAll('{t}', String(Math.trunc(runTimeSec)));
}

const int = (v: string) => (/^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN);

export async function planSwarm(i: SwarmInput): Promise<{ plan: SwarmPlan | null; problems: string[] }> {
  const problems: string[] = [];
  const users = int(i.users);
  if (!(users >= 0)) problems.push(`-u/--users must be an integer >= 0, got '${i.users}'`);
  const spawnRate = Number(i.spawnRate);
  if (!(spawnRate > 0) || !Number.isFinite(spawnRate))
    problems.push(`-r/--spawn-rate must be a number > 0 (users per second), got '${i.spawnRate}'`);
  let runTimeSec: number | undefined;
  if (i.runTime !== undefined) {
    const ms = parseDuration(i.runTime);
    if (!(ms > 0)) problems.push(`-t/--run-time must be a duration like 30s, 5m, 1h30m, got '${i.runTime}'`);
    else runTimeSec = ms / 1000;
  }
  let processes = int(i.processes);
  if (processes === -1) processes = availableParallelism();
  if (!(processes >= 1 && processes <= MAX_PROCESSES))
    problems.push(
      `--processes must be an integer 1..${MAX_PROCESSES} (or -1: one per core), got '${i.processes}'`,
    );
  const host = i.host ?? i.defaultHost ?? '';
  const badHost = hostProblem(host, '-H/--host');
  if (badHost !== null) problems.push(badHost);
  const webPort = int(i.webPort);
  if (!(webPort >= 0 && webPort <= 65535))
    problems.push(`--web-port must be a port 0..65535, got '${i.webPort}'`);
  let autoquitSec: number | undefined;
  if (i.autoquit !== undefined) {
    autoquitSec = Number(i.autoquit);
    if (!(autoquitSec >= 0)) problems.push(`--autoquit must be seconds >= 0, got '${i.autoquit}'`);
  }
  const seed = int(i.seed);
  if (!Number.isInteger(seed)) problems.push(`--seed must be an integer, got '${i.seed}'`);
  let exitCodeOnError: number = DEFAULT_EXIT_CODE_ON_ERROR;
  if (i.exitCodeOnError !== undefined) {
    exitCodeOnError = /^\d{1,3}$/.test(i.exitCodeOnError.trim()) ? Number(i.exitCodeOnError) : Number.NaN;
    if (!(exitCodeOnError <= 255))
      problems.push(`--exit-code-on-error must be an exit code 0..255, got '${i.exitCodeOnError}'`);
  }
  const ca = loadCaFile(i.ca, problems);
  const clientCert = loadClientCertFiles(i.cert, i.key, problems);
  const dist = planMasterWorker(i, problems);
  if (dist.role !== 'local' && processes > 1)
    problems.push(`--processes cannot be combined with --${dist.role} yet (run one worker per core instead)`);
  if (i.enableRebalancing === true && dist.role !== 'master')
    problems.push('--enable-rebalancing needs --master (the master spreads the users over its workers)');
  // `--json --headless` (Locust's --json takes no value) must not write a file named --headless
  for (const [flag, v] of Object.entries(i.files))
    if (v !== undefined && /^--?[A-Za-z]/.test(v))
      problems.push(
        `--${flag} takes a file name, got the flag '${v}'${flag === 'json' ? " (Locust's --json prints the results; here --json FILE writes them to FILE)" : ''}`,
      );
  if (dist.role === 'worker') {
    // As Locust: the master owns the test's length and its reports; a worker would ignore them.
    if (i.runTime !== undefined)
      problems.push('-t/--run-time is given to the master (--master), not to a --worker');
    for (const [flag, v] of Object.entries(i.files))
      if (v !== undefined) problems.push(`--${flag} is written by the master (--master), not by a --worker`);
    if (i.fullHistory === true)
      problems.push('--csv-full-history is given to the master (--master), not to a --worker');
  }
  const timeoutMs = parseDuration(i.requestTimeout);
  if (!(timeoutMs > 0))
    problems.push(`--request-timeout must be a duration like 60s, got '${i.requestTimeout}'`);
  const stopTimeoutMs = i.stopTimeout === undefined ? 0 : parseDuration(i.stopTimeout);
  if (!(stopTimeoutMs >= 0))
    problems.push(`-s/--stop-timeout must be a duration like 30s (or 0), got '${i.stopTimeout}'`);
  const th = gatherThresholds(i.thresholds, i.config === undefined ? [] : [i.config]);
  problems.push(...th.problems);
  let file: UserFile | null = null;
  if (i.locustfile === undefined)
    problems.push('-f/--locustfile is required: the user file (a .ts or .js module)');
  else {
    try {
      file = await loadUserFile(i.locustfile);
      pickClasses(file, i.classes);
    } catch (e) {
      if (e instanceof UserFileError) problems.push(...e.problems);
      else throw e;
    }
  }
  const split = (v: string[] | undefined) =>
    v === undefined ? undefined : v.flatMap((x) => x.split(/[\s,]+/)).filter((x) => x !== '');
  const taskFilter: TaskFilter = { tags: split(i.tags), excludeTags: split(i.excludeTags) };
  let classes = [...new Set(i.classes)];
  // an unknown class name is already a problem (pickClasses): the tags are checked on known ones
  if (
    file !== null &&
    classes.every((c) => file!.classes.has(c)) &&
    (taskFilter.tags !== undefined || taskFilter.excludeTags !== undefined)
  ) {
    const names = classes.length > 0 ? classes : [...file.classes.keys()];
    const left = names.filter((n) => Object.keys(filterTasks(file!.classes.get(n)!, taskFilter)).length > 0);
    if (left.length === 0)
      problems.push(
        `--tags/--exclude-tags leave no task to run in ${names.join(', ')} (tag tasks with static tags = tag<User>({ task: ['name'] }))`,
      );
    else if (classes.length > 0 && left.length < classes.length)
      problems.push(
        `--tags/--exclude-tags leave no task in ${classes.filter((c) => !left.includes(c)).join(', ')}`,
      );
    else if (classes.length === 0 && left.length < names.length) classes = left;
  }
  if (problems.length > 0 || file === null) return { plan: null, problems };
  return {
    problems,
    plan: {
      file,
      classNames: classes,
      classPicker: i.classPicker,
      users,
      spawnRate,
      runTimeSec,
      headless: i.headless,
      host,
      processes,
      webHost: i.webHost,
      webPort,
      autostart: i.autostart,
      autoquitSec,
      thresholds: th.thresholds,
      files:
        i.files.html === undefined
          ? i.files
          : { ...i.files, html: htmlFileTags(i.files.html, users, spawnRate, runTimeSec) },
      onlySummary: i.onlySummary,
      fullHistory: i.fullHistory === true,
      resetStats: i.resetStats === true,
      exitCodeOnError,
      seed,
      timeoutMs,
      stopTimeoutMs,
      tls: {
        insecure: i.insecure === true,
        ...(ca === undefined ? {} : { ca }),
        ...(clientCert === undefined ? {} : { clientCerts: [clientCert] }),
      },
      taskFilter,
      enableRebalancing: i.enableRebalancing === true,
      ...dist,
    },
  };
}
