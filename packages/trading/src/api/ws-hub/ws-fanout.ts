/**
 * The hub's fan-out engine. A bus MarketUpdate only marks its symbol's channel dirty
 * (latest wins). The flush (next loop turn, or `flushIntervalMs` after the previous one)
 * serialises and frames each dirty channel's update ONCE and writes that same Buffer to
 * every subscriber, corked per client: one writev per client per flush.
 *
 * Writes never block: a socket that does not drain only grows its own buffer. Once it
 * holds more than `highWaterBytes` AND more than `lagMessages` frames not yet taken, the
 * client is "behind": it gets no more writes, the channels it misses are remembered
 * (conflation: only the latest per symbol, which the channel already holds), and they
 * are flushed when the socket has taken everything (its write callback). The hub's lag
 * probe (ws-hub.ts) marks a client behind the same way when its backlog hides in kernel
 * buffers; with `probeEveryFlush` (the default) every flush is followed by a ping when none
 * is in flight, and a client whose ping is older than `maxLagMs` gets no more writes until
 * its pong: its read lag is measured by round trip, not guessed from the socket buffer.
 * Slow round trips also pace a client (HubClient.paceBy): at most one write per interval,
 * the symbols it misses meanwhile conflated, and the latest of each written when the
 * interval is up (flushPaced); for clients whose library reads ahead and pongs early.
 * Behind for longer than `maxBehindMs`: closed with 1013; backlog beyond `maxBacklogBytes`: terminated. A
 * stalled client costs the others nothing but its share of one flush.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { MarketUpdate } from '../../bus/topics.ts';
import { LatencyHistogram } from '../../stats/latency-histogram.ts';
import { RateMeter } from '../../stats/rate-meter.ts';
import { Channel, type HubClient } from './hub-client.ts';
import { textFrame, updateJson } from './ws-frame.ts';
import type { WsHubOptions } from './ws-hub-options.ts';

const OPEN = WebSocket.OPEN;

export class FanOut {
  readonly channels = new Map<string, Channel>();
  /** Clients behind right now, and clients the hub is closing (with the time it started). */
  readonly behind = new Set<HubClient>();
  readonly closing = new Set<HubClient>();
  /** Paced clients waiting for their interval to end (their updates conflated meanwhile). */
  readonly paced = new Set<HubClient>();
  readonly latency = new LatencyHistogram();
  readonly rate = new RateMeter(5);
  readonly n = {
    updates: 0,
    coalesced: 0,
    sent: 0,
    bytes: 0,
    conflated: 0,
    episodes: 0,
    resumed: 0,
    slow: 0,
    creditWaits: 0,
    paced: 0,
  };
  private readonly dirty: Channel[] = [];
  private nDirty = 0;
  private readonly touched: HubClient[] = [];
  private readonly resumes: HubClient[] = [];
  private scheduled = false;
  private stopped = false;
  private flushImmediate: NodeJS.Immediate | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = -1e9;
  /** When the scheduled flush runs (performance.now()). */
  private wakeAt = 0;

  constructor(private readonly opts: WsHubOptions) {}

  channel(symbol: string): Channel {
    let ch = this.channels.get(symbol);
    if (ch === undefined) this.channels.set(symbol, (ch = new Channel(symbol)));
    return ch;
  }

  /**
   * The latest update of every symbol seen since the hub started, subscribed or not: what a new
   * subscriber gets at once (ClientSession), so it does not wait for the symbol's next tick.
   */
  readonly current = new Map<string, MarketUpdate>();

  readonly onUpdate = (u: MarketUpdate): void => {
    this.current.set(u.symbol, u);
    const ch = this.channels.get(u.symbol);
    if (ch === undefined || ch.subs.length === 0) return;
    this.n.updates++;
    ch.seq++;
    ch.latest = u;
    if (ch.dirty) {
      this.n.coalesced++;
      return;
    }
    ch.dirty = true;
    this.dirty[this.nDirty++] = ch;
    this.schedule();
  };

  /**
   * A behind client may have caught up (its socket took every frame, or its lag probe was
   * answered): when both hold, its conflated set is flushed on the next turn.
   */
  readonly tryResume = (cl: HubClient): void => {
    if (!cl.behind || cl.resumeQueued || cl.closingSince !== 0 || cl.done !== cl.sent) return;
    if (cl.probeAt !== 0 && cl.probeForLag && performance.now() - cl.probeAt > this.opts.maxLagMs) return;
    cl.resumeQueued = true;
    this.resumes.push(cl);
    this.schedule();
  };

  /**
   * A flush no sooner than `flushIntervalMs` after the previous one (at once for resumes),
   * nor than `at` (a paced client's interval end); an earlier need moves a later timer.
   */
  private schedule(at = 0): void {
    if (this.stopped) return;
    const now = performance.now();
    const when = Math.max(at, this.lastFlushAt + this.opts.flushIntervalMs);
    const immediate = when <= now || this.resumes.length > 0;
    if (this.scheduled) {
      if (this.flushImmediate !== undefined || (!immediate && when >= this.wakeAt)) return;
      clearTimeout(this.flushTimer);
    }
    this.scheduled = true;
    this.wakeAt = when;
    if (immediate) {
      this.flushTimer = undefined;
      this.flushImmediate = setImmediate(this.flush);
    } else {
      this.flushTimer = setTimeout(this.flush, when - now);
    }
  }

  /**
   * `cl` has used its round-trip credit (probeEveryFlush): behind when its probe is older
   * than `maxLagMs`, else waiting for credit until its pong. True when it may not be written.
   */
  private outOfCredit(cl: HubClient, now: number): boolean {
    if (!this.opts.probeEveryFlush || cl.behind || cl.corked || !cl.lagging(now, this.opts)) {
      return cl.behind;
    }
    if (now - cl.probeAt > this.opts.maxLagMs) {
      this.markBehind(cl, now);
    } else {
      // Out of credit, not (yet) slow: conflated until its pong, not counted as behind.
      cl.behind = true;
      cl.creditWait = true;
      this.n.creditWaits++;
    }
    return true;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.flushImmediate = this.flushTimer = undefined;
    const now = performance.now();
    this.lastFlushAt = now;
    const probeEveryFlush = this.opts.probeEveryFlush;
    let nt = 0;
    let sent = 0;
    const nd = this.nDirty;
    for (let i = 0; i < nd; i++) {
      const ch = this.dirty[i];
      ch.dirty = false;
      const frame = textFrame(updateJson(ch.latest!, ch.seq, ch.symbolJson));
      ch.frame = frame;
      const subs = ch.subs;
      for (let j = 0; j < subs.length; j++) {
        const cl = subs[j].client;
        if (!cl.behind && !cl.corked && (cl.pacing || cl.pacedUntil > now)) {
          // Paced: the latest of this symbol goes out when its interval is up (flushPaced).
          if (!cl.pacing) this.pace(cl);
          cl.markStale(ch);
          this.n.paced++;
          continue;
        }
        if (this.outOfCredit(cl, now)) {
          cl.markStale(ch);
          this.n.conflated++;
          continue;
        }
        if (cl.ws.readyState !== OPEN) continue;
        if (!cl.corked) {
          cl.corked = true;
          cl.socket.cork();
          this.touched[nt++] = cl;
        }
        cl.socket.write(frame, cl.onWritten);
        cl.sent++;
        sent++;
        this.n.bytes += frame.length;
      }
    }
    for (let i = 0; i < nt; i++) {
      const cl = this.touched[i];
      cl.corked = false;
      if (probeEveryFlush) {
        if (cl.probeAt === 0) cl.probe(now);
        else cl.flushesSinceProbe++;
      }
      if (cl.paceMs > 0) this.paceFrom(cl, now);
      cl.socket.uncork();
      this.checkBacklog(cl);
    }
    this.touched.fill(undefined as unknown as HubClient, 0, nt);
    const doneAtMs = performance.timeOrigin + performance.now();
    for (let i = 0; i < nd; i++) {
      const ch = this.dirty[i];
      this.latency.recordMs(doneAtMs - ch.latest!.timestamp * 1000);
      ch.latest = null;
      this.dirty[i] = undefined as unknown as Channel;
    }
    this.nDirty = 0;
    if (this.resumes.length > 0) {
      const r = this.resumes.splice(0);
      for (let i = 0; i < r.length; i++) sent += this.resume(r[i]);
    }
    if (this.paced.size > 0) sent += this.flushPaced(now);
    this.n.sent += sent;
    if (sent > 0) this.rate.add(sent);
  };

  /** Paced clients whose interval is up get the latest of each symbol they were held back on. */
  private flushPaced(now: number): number {
    let sent = 0;
    let next = Number.POSITIVE_INFINITY;
    for (const cl of this.paced) {
      if (cl.pacedUntil > now && cl.closingSince === 0) {
        if (cl.pacedUntil < next) next = cl.pacedUntil;
        continue;
      }
      this.paced.delete(cl);
      cl.pacing = false;
      // Behind or out of credit: its stale set waits for its pong (resume).
      if (cl.closingSince === 0 && !this.outOfCredit(cl, now)) sent += this.writeStale(cl, now);
    }
    if (next !== Number.POSITIVE_INFINITY) this.schedule(next);
    return sent;
  }

  /**
   * Sends a caught-up client the latest frame of every symbol it missed, or, when it is
   * paced and its interval is not up, leaves them to its interval's end.
   */
  private resume(cl: HubClient): number {
    cl.resumeQueued = false;
    if (!cl.behind || cl.closingSince !== 0 || cl.ws.readyState !== OPEN) return 0;
    cl.behind = false;
    cl.creditWait = false;
    if (this.behind.delete(cl)) this.n.resumed++;
    const now = performance.now();
    if (cl.pacedUntil > now) {
      if (!cl.pacing && cl.stale !== null && cl.stale.size > 0) this.pace(cl);
      return 0;
    }
    return this.writeStale(cl, now);
  }

  /**
   * The paced client's next write: `paceMs` on average, spread by `paceJitter` so that
   * clients paced alike (one process's) are not all written in the same flush.
   */
  private paceFrom(cl: HubClient, now: number): void {
    const j = this.opts.paceJitter;
    cl.pacedUntil = now + cl.paceMs * (1 - j / 2 + j * Math.random());
  }

  private pace(cl: HubClient): void {
    cl.pacing = true;
    this.paced.add(cl);
  }

  private writeStale(cl: HubClient, now: number): number {
    const stale = cl.stale;
    if (stale === null || stale.size === 0 || cl.ws.readyState !== OPEN) return 0;
    let sent = 0;
    cl.socket.cork();
    for (const ch of stale) {
      if (ch.frame === null) continue;
      cl.socket.write(ch.frame, cl.onWritten);
      cl.sent++;
      sent++;
      this.n.bytes += ch.frame.length;
    }
    stale.clear();
    if (this.opts.probeEveryFlush && cl.probeAt === 0) cl.probe(now);
    if (cl.paceMs > 0) this.paceFrom(cl, now);
    cl.socket.uncork();
    this.checkBacklog(cl);
    return sent;
  }

  /**
   * After writes to `cl` (updates, or the session's replies to its messages): past
   * `maxBacklogBytes` unread it is terminated, past the high-water mark it is behind.
   */
  checkBacklog(cl: HubClient): void {
    const backlog = cl.socket.writableLength;
    if (backlog > this.opts.maxBacklogBytes) {
      this.drop(cl, `backlog of ${backlog} bytes`, true);
    } else if (!cl.behind && backlog > this.opts.highWaterBytes && cl.lag > this.opts.lagMessages) {
      this.markBehind(cl, performance.now());
    }
  }

  /** Stops update writes to `cl`; what it misses is conflated until it catches up. */
  markBehind(cl: HubClient, now: number): void {
    if ((cl.behind && !cl.creditWait) || cl.closingSince !== 0) return;
    cl.creditWait = false;
    cl.behind = true;
    cl.behindSince = now;
    this.behind.add(cl);
    this.n.episodes++;
  }

  /** Disconnects a slow client: close 1013 (the handshake gets `closeGraceMs`), or terminate. */
  drop(cl: HubClient, why: string, terminate: boolean): void {
    if (cl.closingSince !== 0) return;
    this.n.slow++;
    this.behind.delete(cl);
    this.paced.delete(cl);
    cl.pacing = false;
    cl.behind = true; // no more writes
    cl.unsubscribeAll();
    cl.closingSince = performance.now();
    this.closing.add(cl);
    if (terminate) cl.ws.terminate();
    else cl.ws.close(1013, `slow consumer: ${why}`.slice(0, 120));
  }

  /** Called by the hub's single sweep timer. */
  sweep(now: number): void {
    for (const cl of this.behind) {
      if (now - cl.behindSince > this.opts.maxBehindMs) {
        this.drop(cl, `behind for more than ${this.opts.maxBehindMs} ms`, false);
      }
    }
    for (const cl of this.closing) {
      if (now - cl.closingSince > this.opts.closeGraceMs) cl.ws.terminate();
    }
  }

  forget(cl: HubClient): void {
    cl.unsubscribeAll();
    this.behind.delete(cl);
    this.paced.delete(cl);
    this.closing.delete(cl);
  }

  stop(): void {
    this.stopped = true;
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
  }
}
