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
 * buffers. Behind for longer
 * than `maxBehindMs`: closed with 1013; backlog beyond `maxBacklogBytes`: terminated. A
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

  constructor(private readonly opts: WsHubOptions) {}

  channel(symbol: string): Channel {
    let ch = this.channels.get(symbol);
    if (ch === undefined) this.channels.set(symbol, (ch = new Channel(symbol)));
    return ch;
  }

  readonly onUpdate = (u: MarketUpdate): void => {
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

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    const wait = this.opts.flushIntervalMs - (performance.now() - this.lastFlushAt);
    if (wait <= 0 || this.resumes.length > 0) this.flushImmediate = setImmediate(this.flush);
    else this.flushTimer = setTimeout(this.flush, wait);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.flushImmediate = this.flushTimer = undefined;
    this.lastFlushAt = performance.now();
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
        if (cl.behind) {
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
    this.n.sent += sent;
    if (sent > 0) this.rate.add(sent);
  };

  /** Sends a caught-up client the latest frame of every symbol it missed. */
  private resume(cl: HubClient): number {
    cl.resumeQueued = false;
    if (!cl.behind || cl.closingSince !== 0 || cl.ws.readyState !== OPEN) return 0;
    cl.behind = false;
    this.behind.delete(cl);
    this.n.resumed++;
    const stale = cl.stale;
    if (stale === null || stale.size === 0) return 0;
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
    cl.socket.uncork();
    this.checkBacklog(cl);
    return sent;
  }

  private checkBacklog(cl: HubClient): void {
    const backlog = cl.socket.writableLength;
    if (backlog > this.opts.maxBacklogBytes) {
      this.drop(cl, `backlog of ${backlog} bytes`, true);
    } else if (!cl.behind && backlog > this.opts.highWaterBytes && cl.lag > this.opts.lagMessages) {
      this.markBehind(cl, performance.now());
    }
  }

  /** Stops update writes to `cl`; what it misses is conflated until it catches up. */
  markBehind(cl: HubClient, now: number): void {
    if (cl.behind || cl.closingSince !== 0) return;
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
    this.closing.delete(cl);
  }

  stop(): void {
    this.stopped = true;
    if (this.flushImmediate !== undefined) clearImmediate(this.flushImmediate);
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
  }
}
