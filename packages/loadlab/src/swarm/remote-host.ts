/**
 * A UserHost on another machine (the master's view of one worker of `--master`). Spawns and
 * retires are batched into one 'ops' message per turn of the event loop; the worker's
 * closed seconds go to `onRaw` and its cumulative snapshots replace the latest one (decoded
 * exactly, when read). `stop()` resolves with the worker's final snapshot, or when the worker
 * is lost (its last snapshot stays: what it measured up to then is kept), or after
 * STOP_WAIT_MS. A lost host is `gone`: the swarm sends it no more users.
 */
import { decodeSparse, decodeStats } from '../stats/latency-codec.ts';
import type { RawSlice } from '../stats/timeline.ts';
import type { LineChannel } from './line-channel.ts';
import {
  STOP_WAIT_MS,
  type ToMaster,
  type ToWorker,
  type WireOp,
  type WireSnapshot,
} from './remote-protocol.ts';
import { asUserNotice, type UserNotice } from './user-control.ts';
import type { HostSnapshot, UserHost } from './user-host.ts';

const empty = (): HostSnapshot => ({
  stats: { entries: [], failures: [] },
  exceptions: [],
  users: 0,
  usersByClass: [],
});

function isWireSnapshot(w: unknown): w is WireSnapshot {
  return (
    typeof w === 'object' &&
    w !== null &&
    typeof (w as WireSnapshot).stats === 'object' &&
    (w as WireSnapshot).stats !== null
  );
}

export function decodeSnapshot(w: WireSnapshot): HostSnapshot {
  return { ...w, stats: decodeStats(w.stats) };
}

export class RemoteUserHost implements UserHost {
  gone = false;
  /**
   * The users this master has started there and not retired (null once the test stops): what
   * the worker runs, without waiting for its next heartbeat to say so.
   */
  users: number | null = 0;
  private latest: HostSnapshot = empty();
  /** The newest snapshot as received; decoded only when read (the web UI polls, headless reads once). */
  private wire: WireSnapshot | null = null;
  private ops: WireOp[] = [];
  private flushing = false;
  private stopped: Promise<void> | null = null;
  private onStopped: (() => void) | null = null;
  notify?: (n: UserNotice) => void;
  /** The test's class count (a notice naming another class is malformed). */
  classCount = Number.MAX_SAFE_INTEGER;

  constructor(
    readonly id: string,
    private readonly link: LineChannel<ToMaster, ToWorker>,
    private readonly onRaw: (s: RawSlice) => void,
  ) {}

  /** A message from the worker (the pool routes them here while a test runs). */
  receive(m: ToMaster): void {
    if ((m.t === 'snapshot' || m.t === 'stopped') && !isWireSnapshot(m.snapshot))
      throw new Error('no snapshot with "stats"');
    if (m.t === 'slice') {
      const { names, ...slice } = m.slice;
      const n =
        names === undefined ? {} : { names: names.map((x) => ({ ...x, latency: decodeSparse(x.latency) })) };
      this.onRaw({ ...slice, latency: decodeSparse(slice.latency), ...n });
    } else if (m.t === 'snapshot') this.wire = m.snapshot;
    else if (m.t === 'notice') {
      const n = asUserNotice(m.notice, this.classCount);
      if (n === null) throw new Error('no notice of a known shape');
      if (n.t === 'user-stopped' && this.users !== null) this.users = Math.max(0, this.users - 1);
      this.notify?.(n);
    } else if (m.t === 'stopped') {
      this.wire = m.snapshot;
      this.onStopped?.();
    }
  }

  /** The worker is missing: no more users go there; a stop no longer waits for it. */
  lost(): void {
    this.gone = true;
    this.ops = [];
    this.onStopped?.();
  }

  spawn(cls: number, userId: number, host: string): void {
    if (this.gone) return;
    if (this.users !== null) this.users++;
    this.queue(['s', cls, userId, host]);
  }
  retire(cls: number): void {
    if (this.gone) return;
    if (this.users !== null) this.users = Math.max(0, this.users - 1);
    this.queue(['r', cls]);
  }
  resetStats(): void {
    this.flush();
    this.wire = null;
    this.latest = { ...this.latest, stats: { entries: [], failures: [] }, exceptions: [] };
    this.send({ t: 'reset' });
  }
  snapshot(): HostSnapshot {
    if (this.wire !== null) {
      this.latest = decodeSnapshot(this.wire);
      if (this.latest.health !== undefined) this.latest.health = { ...this.latest.health, id: this.id };
      this.wire = null;
    }
    return this.latest;
  }
  stop(): Promise<void> {
    if (this.gone) return Promise.resolve();
    this.users = null;
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_WAIT_MS);
      this.onStopped = () => {
        clearTimeout(timer);
        resolve();
      };
      this.flush();
      this.send({ t: 'stop' });
    });
    return this.stopped;
  }
  /** The worker stays connected for the next test; the session quits it at the end. */
  close(): Promise<void> {
    return this.stop();
  }

  private send(m: ToWorker): void {
    if (!this.gone) this.link.send(m);
  }

  private queue(op: WireOp): void {
    if (this.gone) return;
    this.ops.push(op);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushing = false;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.send({ t: 'ops', ops });
  }
}
