/** The swarm's options, start requests, live view and their validation (see swarm-controller.ts). */

import type { TlsOptions } from '../clients/tls-options.ts';
import type { ScenarioResult } from '../model/result.ts';
import type { RawSlice } from '../stats/timeline.ts';
import { hostProblem } from './http-session.ts';
import type { TaskFilter } from './user.ts';
import type { UserFile } from './user-file.ts';
import type { HostInit, UserHost } from './user-host.ts';
import type { ExceptionRow } from './user-runner.ts';

/** `starting`: worker threads are loading the user file; no user runs yet. */
export type SwarmState = 'ready' | 'starting' | 'spawning' | 'running' | 'stopping' | 'stopped';

export interface SwarmOptions {
  file: UserFile;
  /** Classes to run (command line / class picker); empty = all in the file. */
  classNames: readonly string[];
  /** Let the web UI choose the classes of each new test (Locust's --class-picker). */
  classPicker?: boolean;
  /** Default base URL (-H); a class's static host wins. */
  host: string;
  /** Hosts: 1 = users in this thread; N = N worker threads. */
  processes?: number;
  /** Stop this many seconds after the start (-t). */
  runTimeSec?: number;
  seed?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Locust's --stop-timeout (ms): a stopped user may finish its task this long (default 0: aborted). */
  stopTimeoutMs?: number;
  /** https hosts: --insecure / --ca / --cert --key. */
  tls?: TlsOptions;
  /** --tags / --exclude-tags. */
  taskFilter?: TaskFilter;
  /** Scenario name in results (default: the file's base name). */
  name?: string;
  /** Where the users run instead of this process's threads (the master: its workers). */
  provider?: HostProvider;
  /**
   * A host joining a running test gets its share of the users at once, moved from the fuller
   * hosts (Locust's --enable-rebalancing); otherwise it gets the users of the next ramp.
   */
  enableRebalancing?: boolean;
  /** Lines about the test's hosts (a worker joining). */
  log?: (line: string) => void;
  /** Each 'slice' event also carries the second's detail (per type and name latency buckets). */
  sliceDetail?: boolean;
  /** Locust's --csv-full-history: every second of the series carries each (type, name)'s row (TimeSlice.names). */
  fullHistory?: boolean;
}

/**
 * Hosts from elsewhere (the master's remote workers). `open` gives a new test's hosts, each
 * started with `init` and the class names; their closed seconds go to `onRaw`; a host that
 * goes away mid-test is reported through `onLost` (the test goes on with the others). A host
 * that joins while the test runs (until `testEnded`) is started the same way and handed to
 * `onJoined`, which answers where its closed seconds go, or null when the test takes no more
 * hosts (it closed the host; later ones wait for the next `open`).
 */
export interface HostProvider {
  /** Resolves when hosts can be opened (the master: --expect-workers joined); the test's clock starts after. */
  ready?(): Promise<void>;
  open(
    init: HostInit,
    classNames: readonly string[],
    onRaw: (s: RawSlice) => void,
    onLost: (host: UserHost, reason: string) => void,
    onJoined?: (host: UserHost) => ((s: RawSlice) => void) | null,
  ): Promise<UserHost[]>;
  /** The test is stopping: hosts that join from now on wait for the next `open`. */
  testEnded?(): void;
}

export interface SwarmStart {
  users: number;
  spawnRate: number;
  /** New default host (only before a test starts). */
  host?: string;
  /** User classes for a new test (only before a test starts; the class picker). */
  userClasses?: string[];
  /** Run time of a new test in seconds, 0 = until stopped (the web form's; default: -t). */
  runTimeSec?: number;
}

export interface SwarmView {
  state: SwarmState;
  host: string;
  users: number;
  targetUsers: number;
  spawnRate: number;
  usersByClass: Record<string, number>;
  classNames: string[];
  /** Every class in the file, and whether the web UI may choose among them. */
  availableClasses: string[];
  classPicker: boolean;
  /** Epoch ms the test started (null before), and the stats period's start. */
  startedAt: number | null;
  statsStartedAt: number | null;
  /** The merged statistics so far (entries, failures, per-second series). */
  result: ScenarioResult;
  exceptions: ExceptionRow[];
  errors: string[];
}

/** More users than one machine's sockets could serve is a typo, not a test. */
export const MAX_USERS = 1_000_000;

/** Every problem with a start request (or a load shape's tick) at once. */
export function validateStart(s: SwarmStart): string[] {
  const out: string[] = [];
  if (!Number.isInteger(s.users) || s.users < 0 || s.users > MAX_USERS)
    out.push(`users must be an integer 0..${MAX_USERS}, got ${s.users}`);
  if (typeof s.spawnRate !== 'number' || !Number.isFinite(s.spawnRate) || s.spawnRate <= 0)
    out.push(`spawn rate must be a number > 0 users/s, got ${s.spawnRate}`);
  if (s.host !== undefined) {
    const bad = hostProblem(s.host);
    if (bad !== null) out.push(bad);
  }
  if (
    s.userClasses !== undefined &&
    (!Array.isArray(s.userClasses) ||
      s.userClasses.length === 0 ||
      s.userClasses.some((c) => typeof c !== 'string'))
  )
    out.push('user classes must be a non-empty list of class names');
  if (s.runTimeSec !== undefined && !(Number.isFinite(s.runTimeSec) && s.runTimeSec >= 0))
    out.push(`run time must be a duration >= 0, got ${s.runTimeSec}`);
  return out;
}
