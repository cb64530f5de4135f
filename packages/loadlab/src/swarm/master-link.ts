/**
 * A master's link to one worker (MasterPool): what the master knows of it, and the hello it
 * must open with.
 */

import type { RawSlice } from '../stats/timeline.ts';
import type { LineChannel } from './line-channel.ts';
import type { RemoteUserHost } from './remote-host.ts';
import type { ToMaster, ToWorker } from './remote-protocol.ts';
import type { HostInit, UserHost } from './user-host.ts';
import type { WorkerRunState } from './worker-status.ts';

/** A run worker that could not run the master's test, with its exit code (104, 107). */
export interface WorkerRefusal {
  id: string;
  code: number;
  message: string;
}

export interface Link {
  id: string;
  channel: LineChannel<ToMaster, ToWorker>;
  classes: string[];
  lastSeen: number;
  users: number;
  host: RemoteUserHost | null;
  onLost: ((h: UserHost, reason: string) => void) | null;
  /** run workers: it can run the test. */
  prepared: boolean;
  /** run workers: it was told go (its part of the test runs there). */
  going: boolean;
  /** The address it connected from, and what its last heartbeat said. */
  peer: string | null;
  state: WorkerRunState;
  cpu: number | null;
  rss: number | null;
}

/** The running test, for workers that join it late. */
export interface OpenTest {
  init: HostInit;
  classNames: string[];
  onRaw: (s: RawSlice) => void;
  onLost: (h: UserHost, reason: string) => void;
  onJoined: (host: UserHost) => ((s: RawSlice) => void) | null;
}

/** A connection that has not said hello by then is dropped. */
export const HELLO_WAIT_MS = 10_000;
/** Until it said hello, a connection's line may be this long (a hello is a few KB). */
export const HELLO_MAX_BYTES = 1024 * 1024;

/** A hello as a worker of this lab sends it: an id, and its user file's class names. */
export function isHello(m: ToMaster): m is Extract<ToMaster, { t: 'hello' }> {
  return (
    m.t === 'hello' &&
    typeof m.id === 'string' &&
    m.id.length > 0 &&
    m.id.length <= 256 &&
    Array.isArray(m.classes) &&
    m.classes.every((c) => typeof c === 'string')
  );
}
