/**
 * Scenario 1's generator script (importable by worker threads): this thread's share of the
 * market-data connections (connection c on thread c mod W), each carrying its own symbols'
 * prebuilt tick frames (tick-stream.ts). An iteration sends one frame on the next connection,
 * round robin, timestamps stamped with the frame's intended time.
 *
 * Request events: one per frame ('WS', 'tick frame'), latency = the moment the frame was
 * queued on the socket - its intended time, i.e. how late the GENERATOR was (the protocol
 * acks counts, not individual frames, so a per-frame server latency cannot be measured
 * honestly from here; the server's own processing latency is read from its stats).
 * Backpressure: a blocked connection parks the VU slot until its socket drains, so a slow
 * server shows up as late frames and, past maxVUs, dropped ones, never as buffering.
 *
 * At the end each connection sends `{"type":"sync","id":"loadlab-end"}` and waits for the
 * ack with that id, which counts everything the connection sent before it (frames are
 * processed in order): processed + rejected == sent proves nothing was lost.
 */
import {
  buildFrame,
  newRequestEvent,
  nowUs,
  OP_TEXT,
  type ScriptContext,
  type TlsOptions,
  usToEpochMs,
  type VuScript,
  WsClient,
} from '@tickstorm/loadlab';
import type WebSocket from 'ws';
import { buildTickStream, connectionSymbols, stampFrame, type TickFormat } from './tick-stream.ts';

export interface FloodScriptParams {
  url: string;
  /** wss: --insecure / --ca. */
  tls?: TlsOptions;
  /** All connections (every thread takes its share). */
  connections: number;
  symbols: string[];
  ticksPerFrame: number;
  format: TickFormat;
  syncTimeoutMs: number;
}

const SYNC_ID = 'loadlab-end';
const SYNC_FRAME = buildFrame(`{"type":"sync","id":"${SYNC_ID}"}`, OP_TEXT, 0);

interface AckState {
  received: number;
  processed: number;
  rejected: number;
  answered: boolean;
  resolve: (() => void) | null;
}

export default async function marketDataFloodScript(
  ctx: ScriptContext<FloodScriptParams>,
): Promise<VuScript> {
  const p = ctx.params;
  const mine: number[] = [];
  for (let c = ctx.worker.index; c < p.connections; c += ctx.worker.count) mine.push(c);
  const streams = mine.map((c) =>
    buildTickStream(connectionSymbols(c, p.connections, p.symbols), p.ticksPerFrame, p.format),
  );
  const chunkBytes = Math.max(64 * 1024, ...streams.map((s) => s.maxBytes));
  const acks: AckState[] = mine.map(() => ({
    received: 0,
    processed: 0,
    rejected: 0,
    answered: false,
    resolve: null,
  }));
  const errorCodes: Record<string, number> = {};
  let errorFrames = 0;
  const onServer = (i: number, data: WebSocket.RawData, isBinary: boolean) => {
    if (isBinary) return;
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(String(data)) as Record<string, unknown>;
    } catch {
      return;
    }
    if (m.type === 'error') {
      errorFrames++;
      const code = String(m.code);
      errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    } else if (m.type === 'ack' && m.id === SYNC_ID) {
      const a = acks[i];
      a.received = Number(m.received);
      a.processed = Number(m.processed);
      a.rejected = Number(m.rejected);
      a.answered = true;
      a.resolve?.();
    }
  };
  const clients = await Promise.all(
    mine.map((_, i) =>
      WsClient.connect({ url: p.url, chunkBytes, tls: p.tls, onMessage: (d, b) => onServer(i, d, b) }),
    ),
  );

  const n = clients.length;
  const cursor = new Int32Array(n);
  const parkedConn = new Int32Array(ctx.maxVUs);
  const parkedFrame = new Int32Array(ctx.maxVUs);
  const parkedAt = new Float64Array(ctx.maxVUs);
  const ev = newRequestEvent('WS', 'tick frame');
  let next = 0;
  let ticksSent = 0;
  let framesSent = 0;

  const sent = (vu: number, intendedUs: number, ok: boolean) => {
    const t = nowUs();
    ev.latencyUs = t - intendedUs;
    ev.timeUs = t;
    ev.ok = ok;
    ev.error = ok ? null : 'connection closed';
    ctx.events.emit(ev);
    ctx.done(vu);
  };
  const trySend = (i: number, f: number): boolean => {
    if (!clients[i].sendFrame(streams[i].frames[f])) return false;
    ticksSent += streams[i].frames[f].ticks;
    framesSent++;
    return true;
  };
  const park = (vu: number) => {
    const c = clients[parkedConn[vu]];
    c.whenDrained(() => {
      if (!c.isOpen) sent(vu, parkedAt[vu], false);
      else if (trySend(parkedConn[vu], parkedFrame[vu])) sent(vu, parkedAt[vu], true);
      else park(vu);
    });
  };

  const sync = async (i: number): Promise<void> => {
    const c = clients[i];
    const a = acks[i];
    while (c.isOpen && !c.sendFrame(SYNC_FRAME)) await new Promise<void>((r) => c.whenDrained(r));
    c.flush();
    if (!c.isOpen) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((r) => {
      a.resolve = r;
      if (a.answered) r();
      timer = setTimeout(r, p.syncTimeoutMs);
      c.ws.once('close', () => r());
    });
    clearTimeout(timer);
  };

  return {
    start(vu, intendedUs) {
      const i = next;
      next = i + 1 === n ? 0 : i + 1;
      const s = streams[i];
      const f = cursor[i];
      cursor[i] = f + 1 === s.frames.length ? 0 : f + 1;
      stampFrame(s, f, usToEpochMs(intendedUs));
      if (trySend(i, f)) sent(vu, intendedUs, true);
      else {
        parkedConn[vu] = i;
        parkedFrame[vu] = f;
        parkedAt[vu] = intendedUs;
        park(vu);
      }
    },
    async close() {
      await Promise.all(clients.map((_, i) => sync(i)));
      await Promise.all(clients.map((c) => c.close()));
    },
    counters() {
      const sum = (k: 'received' | 'processed' | 'rejected') => acks.reduce((s, a) => s + a[k], 0);
      const codes: Record<string, number> = {};
      for (const [code, count] of Object.entries(errorCodes)) codes[`errorFrames.${code}`] = count;
      return {
        ticksSent,
        tickFramesSent: framesSent,
        wsBytesSent: clients.reduce((s, c) => s + c.bytesSent, 0),
        connectionsOpened: n,
        syncAnswered: acks.filter((a) => a.answered).length,
        ackedReceived: sum('received'),
        ackedProcessed: sum('processed'),
        ackedRejected: sum('rejected'),
        errorFrames,
        ...codes,
      };
    },
  };
}
