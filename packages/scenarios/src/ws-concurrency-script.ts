/**
 * Scenario 4's generator script (importable by worker threads). Setup: this thread's share
 * of the subscribers (client c on thread c mod W) connects to /ws/metrics and subscribes,
 * one message per symbol as an asyncio client does, to symbols c*k .. c*k+k-1 (mod the universe);
 * setup ends when every subscription is acknowledged. The iterations are the background
 * feed: frames of ticks over all symbols on one market-data connection per thread, so
 * updates flow (the scenario measures the fan-out, not the feed).
 *
 * Each update is counted and timed: latency = now - its `timestamp` (the hub's publish time,
 * epoch seconds with µs digits) on the same machine's high-resolution epoch clock
 * (performance.timeOrigin + performance.now(), as the server stamps it: µs, not whole ms),
 * emitted as a 'WS' 'update' request event. The timestamp is read from the
 * frame's bytes (it is the last field of the hub's update) without JSON.parse; any other
 * message is parsed. Like an asyncio client, a client idle for `idlePingMs` sends "ping".
 */
import {
  newRequestEvent,
  nowUs,
  type ScriptContext,
  type TlsOptions,
  tlsConnectOptions,
  usToEpochMs,
  type VuScript,
  WsClient,
} from '@tickstorm/loadlab';
import WebSocket from 'ws';
import { buildTickStream, stampFrame, type TickFormat } from './tick-stream.ts';

export interface WsConcurrencyScriptParams {
  apiWs: string;
  /** wss: --insecure / --ca. */
  tls?: TlsOptions;
  feedUrl: string;
  clients: number;
  symbols: string[];
  symbolsPerClient: number;
  feedTicksPerFrame: number;
  feedFormat: TickFormat;
  idlePingMs: number;
  connectTimeoutMs: number;
}

const PREFIX = Buffer.from('{"type":"update"');
const KEY = Buffer.from('"timestamp":');
const PONG = Buffer.from('pong');

/** The `timestamp` (epoch s) of a hub update frame, or NaN for any other message. */
export function updateTimestamp(b: Buffer): number {
  const n = b.length;
  if (n < PREFIX.length + KEY.length + 2 || b[n - 1] !== 0x7d) return Number.NaN;
  for (let k = 0; k < PREFIX.length; k++) if (b[k] !== PREFIX[k]) return Number.NaN;
  let j = n - 2;
  while (j > 0 && b[j] !== 0x3a) j--;
  const ks = j + 1 - KEY.length;
  if (ks < 0) return Number.NaN;
  for (let k = 0; k < KEY.length; k++) if (b[ks + k] !== KEY[k]) return Number.NaN;
  let int = 0;
  let frac = 0;
  let scale = 1;
  let dot = false;
  for (let k = j + 1; k < n - 1; k++) {
    const c = b[k];
    if (c === 0x2e && !dot) dot = true;
    else if (c >= 0x30 && c <= 0x39) {
      if (dot) {
        frac = frac * 10 + (c - 0x30);
        scale *= 10;
      } else int = int * 10 + (c - 0x30);
    } else return Number.NaN;
  }
  return j + 1 < n - 1 ? int + frac / scale : Number.NaN;
}

export default async function wsConcurrencyScript(
  ctx: ScriptContext<WsConcurrencyScriptParams>,
): Promise<VuScript> {
  const p = ctx.params;
  const ids: number[] = [];
  for (let c = ctx.worker.index; c < p.clients; c += ctx.worker.count) ids.push(c);
  const n = ids.length;
  const messages = new Float64Array(n);
  const updates = new Float64Array(n);
  const latencySumMs = new Float64Array(n);
  const lastMsgMs = new Float64Array(n);
  const subscribed = new Int32Array(n);
  /** Subscriptions answered (subscribed or refused): setup waits for all of them. */
  const answered = new Int32Array(n);
  const closedEarly = new Uint8Array(n);
  const sockets: (WebSocket | null)[] = new Array(n).fill(null);
  const ev = newRequestEvent('WS', 'update');
  let measuring = false;
  let ending = false;
  let errorFrames = 0;
  let pongs = 0;
  let pings = 0;
  let connectFailures = 0;

  const onMessage = (i: number, b: Buffer) => {
    const now = performance.timeOrigin + performance.now();
    lastMsgMs[i] = now;
    const ts = updateTimestamp(b);
    if (!Number.isNaN(ts)) {
      if (!measuring) return;
      messages[i]++;
      updates[i]++;
      const ms = Math.max(0, now - ts * 1000);
      latencySumMs[i] += ms;
      ev.latencyUs = ms * 1000;
      ev.timeUs = nowUs();
      ctx.events.emit(ev);
      return;
    }
    if (measuring) messages[i]++;
    if (b.equals(PONG)) {
      pongs++;
      return;
    }
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(b.toString()) as Record<string, unknown>;
    } catch {
      return;
    }
    if (m.type === 'subscribed') {
      subscribed[i]++;
      answered[i]++;
    } else if (m.type === 'error') {
      errorFrames++;
      if (!measuring) answered[i]++;
    }
  };

  const connect = (i: number) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(p.apiWs, {
        perMessageDeflate: false,
        ...(p.apiWs.startsWith('wss:') ? tlsConnectOptions(new URL(p.apiWs).hostname, p.tls) : {}),
      });
      let ready = false;
      const timer = setTimeout(() => ws.terminate(), p.connectTimeoutMs); // counted on 'close'
      ws.on('error', () => {});
      ws.on('close', () => {
        if (!ready) connectFailures++;
        else if (!ending) closedEarly[i] = 1;
        clearTimeout(timer);
        resolve();
      });
      ws.on('message', (data) => {
        onMessage(i, data as Buffer);
        if (!ready && answered[i] === p.symbolsPerClient) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      });
      ws.once('open', () => {
        sockets[i] = ws;
        lastMsgMs[i] = Date.now();
        const c = ids[i];
        for (let s = 0; s < p.symbolsPerClient; s++) {
          const symbol = p.symbols[(c * p.symbolsPerClient + s) % p.symbols.length];
          ws.send(`{"action":"subscribe","symbol":"${symbol}"}`);
        }
      });
    });
  await Promise.all(ids.map((_, i) => connect(i)));

  const feed = await WsClient.connect({ url: p.feedUrl, tls: p.tls });
  const stream = buildTickStream(p.symbols, p.feedTicksPerFrame, p.feedFormat);
  let cursor = 0;
  let feedTicks = 0;
  let feedSkipped = 0;
  const idle = setInterval(
    () => {
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const ws = sockets[i];
        if (ws !== null && ws.readyState === WebSocket.OPEN && now - lastMsgMs[i] >= p.idlePingMs) {
          ws.send('ping');
          pings++;
          lastMsgMs[i] = now;
        }
      }
    },
    Math.max(10, Math.min(250, p.idlePingMs / 4)),
  );
  idle.unref();

  return {
    start(vu, intendedUs) {
      measuring = true;
      const f = cursor;
      cursor = f + 1 === stream.frames.length ? 0 : f + 1;
      stampFrame(stream, f, usToEpochMs(intendedUs));
      if (feed.sendFrame(stream.frames[f])) feedTicks += stream.frames[f].ticks;
      else feedSkipped++; // the feed connection is blocked: skip, the feed only keeps updates flowing
      ctx.done(vu);
    },
    async close() {
      measuring = false;
      ending = true;
      clearInterval(idle);
      await feed.close();
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((r) => {
              if (ws === null || ws.readyState === WebSocket.CLOSED) return r();
              ws.once('close', () => r());
              ws.close(1000);
              setTimeout(() => {
                ws.terminate();
                r();
              }, 2000).unref();
            }),
        ),
      );
    },
    counters() {
      let receiving = 0;
      let connected = 0;
      let avgSumMs = 0;
      for (let i = 0; i < n; i++) {
        if (updates[i] > 0) {
          receiving++;
          avgSumMs += latencySumMs[i] / updates[i];
        }
        if (subscribed[i] === p.symbolsPerClient) connected++;
      }
      return {
        clientsConnected: connected,
        clientsReceiving: receiving,
        clientsDisconnected: closedEarly.reduce((s, x) => s + x, 0),
        connectFailures,
        totalMessages: messages.reduce((s, x) => s + x, 0),
        updates: updates.reduce((s, x) => s + x, 0),
        sumClientAvgLatencyMs: avgSumMs,
        pingsSent: pings,
        pongs,
        errorFrames,
        feedTicksSent: feedTicks,
        feedFrames: feed.framesSent,
        feedFramesSkipped: feedSkipped,
      };
    },
  };
}
