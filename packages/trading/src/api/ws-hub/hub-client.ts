/**
 * The hub's per-symbol channels and per-connection state. A channel holds its subscribers
 * in a dense array (O(1) add and swap-remove through each subscription's index) and the
 * latest framed update; a client holds its subscriptions, its write accounting (frames
 * handed to the socket vs frames the socket has flushed to the kernel) and, while it is
 * behind, the set of channels it has missed (their latest frame is sent when it catches up).
 * No per-client timers: the hub's single sweep does every time-based check.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { MarketUpdate } from '../../bus/topics.ts';
import type { WsHubOptions } from './ws-hub-options.ts';

/** Slow round trips in a row before an unpaced client is paced. */
export const SLOW_RTTS_TO_PACE = 2;

export class Channel {
  readonly symbol: string;
  readonly symbolJson: string;
  readonly subs: Subscription[] = [];
  /** Bus updates seen for this symbol (the `seq` of the frames). */
  seq = 0;
  /** Latest update not yet flushed; `dirty` while it waits in the hub's flush list. */
  latest: MarketUpdate | null = null;
  dirty = false;
  /** Latest framed update (what a conflated client gets when it catches up). */
  frame: Buffer | null = null;

  constructor(symbol: string) {
    this.symbol = symbol;
    this.symbolJson = JSON.stringify(symbol);
  }
}

export interface Subscription {
  readonly client: HubClient;
  readonly channel: Channel;
  index: number;
}

export class HubClient {
  readonly id: number;
  readonly ws: WebSocket;
  readonly socket: Duplex;
  readonly subs = new Map<Channel, Subscription>();
  /** Update frames handed to the socket, and how many of them it has flushed. */
  sent = 0;
  done = 0;
  /** Behind: update writes stopped, missed channels collected in `stale`. */
  behind = false;
  /** Behind only for want of round-trip credit (waiting for a pong), not slow. */
  creditWait = false;
  behindSince = 0;
  stale: Set<Channel> | null = null;
  resumeQueued = false;
  corked = false;
  /** performance.now() when the hub started closing this client (0 = not closing). */
  closingSince = 0;
  /** Lag probe / heartbeat: performance.now() of the unanswered ping (0 = none), the last
   * ping's time, `sent` at that ping (did updates flow since?), and the last round trip. */
  probeAt = 0;
  lastProbeAt = 0;
  sentAtProbe = 0;
  probeForLag = false;
  rttMs = 0;
  /** Flushes written to this client since its unanswered probe (see creditFlushes). */
  flushesSinceProbe = 0;
  /**
   * Pacing (see WsHubOptions.maxPaceMs): at most one write per `paceMs` (0 = unpaced), the
   * next no sooner than `pacedUntil`; what arrives meanwhile is conflated into `stale`.
   */
  paceMs = 0;
  pacedUntil = 0;
  /** In the hub's paced set: held back until `pacedUntil`, with updates in `stale`. */
  pacing = false;
  /** When the pace last slowed: a probe sent before that shows nothing new. */
  slowedAt = -1;
  /** Slow lag-probe round trips in a row. */
  slowRtts = 0;
  /** The socket's write callback, bound once per connection (no closure per message). */
  readonly onWritten: () => void;

  constructor(id: number, ws: WebSocket, socket: Duplex, onCaughtUp: (c: HubClient) => void) {
    this.id = id;
    this.ws = ws;
    this.socket = socket;
    this.onWritten = () => {
      this.done++;
      if (this.behind && this.done === this.sent) onCaughtUp(this);
    };
  }

  /** Sends a lag probe (protocol ping) now; its pong times the client's read lag. */
  probe(now: number): void {
    this.probeAt = this.lastProbeAt = now;
    this.flushesSinceProbe = 0;
    this.probeForLag = true;
    this.sentAtProbe = this.sent;
    this.ws.ping();
  }

  /**
   * Out of credit: a lag probe unanswered for longer than `maxLagMs` (the client reads that
   * far behind), or its credit of flushes after it used (none when its last round trip
   * took longer than `slowRttMs`).
   */
  lagging(now: number, o: { maxLagMs: number; creditFlushes: number; slowRttMs: number }): boolean {
    if (this.probeAt === 0 || !this.probeForLag) return false;
    const credit = this.rttMs > o.slowRttMs ? 0 : o.creditFlushes;
    return now - this.probeAt > o.maxLagMs || this.flushesSinceProbe >= credit;
  }

  /**
   * Adapts the pace to a lag-probe round trip (see WsHubOptions.maxPaceMs). One longer than
   * `slowRttMs` (the client's library has stopped reading ahead: its queue is full) doubles
   * the interval between writes, to at least `minPaceMs`, at most `maxPaceMs`; once per
   * round trip (a probe sent before the last slowdown does not count), and an unpaced
   * client only at its second slow round trip in a row. A quick one shortens it by `paceMs / paceRecoveryMs` of itself (with one probe per write:
   * 1000/`paceRecoveryMs` faster per second), unpaced once below `minPaceMs` (so a client
   * that was slow for two round trips only is paced for one quick one).
   */
  paceBy(
    probeAt: number,
    now: number,
    o: Pick<WsHubOptions, 'slowRttMs' | 'minPaceMs' | 'maxPaceMs' | 'paceRecoveryMs'>,
  ): void {
    if (o.maxPaceMs <= 0) return;
    const rtt = now - probeAt;
    if (rtt <= o.slowRttMs) {
      this.slowRtts = 0;
      if (this.paceMs === 0) return;
      this.paceMs -= this.paceMs * Math.min(1, this.paceMs / o.paceRecoveryMs);
      if (this.paceMs < o.minPaceMs) this.paceMs = 0;
      return;
    }
    if (probeAt < this.slowedAt) return;
    // One slow round trip (a pause) is not yet a pattern: pacing starts at the second in a row.
    if (++this.slowRtts < SLOW_RTTS_TO_PACE && this.paceMs === 0) return;
    this.slowedAt = now;
    this.paceMs = Math.min(o.maxPaceMs, Math.max(2 * this.paceMs, o.minPaceMs));
  }

  /** Update frames written but not yet flushed to the kernel. */
  get lag(): number {
    return this.sent - this.done;
  }

  markStale(ch: Channel): void {
    (this.stale ??= new Set()).add(ch);
  }

  subscribe(ch: Channel): boolean {
    if (this.subs.has(ch)) return false;
    const sub: Subscription = { client: this, channel: ch, index: ch.subs.length };
    ch.subs.push(sub);
    this.subs.set(ch, sub);
    return true;
  }

  unsubscribe(ch: Channel): boolean {
    const sub = this.subs.get(ch);
    if (sub === undefined) return false;
    const last = ch.subs.pop()!;
    if (last !== sub) {
      ch.subs[sub.index] = last;
      last.index = sub.index;
    }
    this.subs.delete(ch);
    this.stale?.delete(ch);
    return true;
  }

  unsubscribeAll(): void {
    for (const ch of [...this.subs.keys()]) this.unsubscribe(ch);
  }
}
