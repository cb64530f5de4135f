/**
 * The WebSocket send script: each iteration sends one prebuilt frame (one tick, a JSON array
 * or a binary batch) on the next of `connections` WebSocket connections, round-robin. The
 * iteration ends when the frame is queued; if that connection is blocked (backpressure), the
 * VU slot waits for its drain, so at most maxVUs frames wait and a slow sink shows up as
 * dropped iterations, never as unbounded buffering. Emits one 'WS' event per frame whose
 * latency is the send lag from the intended time (unless `events: false`). Importable by
 * worker threads (default export).
 */
import { WsClient } from '../clients/ws-client.ts';
import { buildTickFrames, type PrebuiltFrame, type TickFrameKind } from '../clients/ws-frames.ts';
import type { ScriptContext, VuScript } from '../generator/script.ts';
import { newRequestEvent } from '../stats/events.ts';
import { nowUs } from '../util/clock.ts';

export interface WsSendParams {
  url: string;
  /** Connections per generator thread (default 1). */
  connections?: number;
  kind: TickFrameKind;
  ticksPerFrame?: number;
  symbols?: string[];
  /** 'raw' (prebuilt frames into the socket, default) or 'ws' (ws.send per frame). */
  via?: 'raw' | 'ws';
  /** Emit a request event per frame (default true). */
  events?: boolean;
  /** Stats name (default "<kind> frame"). */
  name?: string;
  highWaterBytes?: number;
}

export default async function wsSendScript(ctx: ScriptContext<WsSendParams>): Promise<VuScript> {
  const p = ctx.params;
  const frames: PrebuiltFrame[] = buildTickFrames({
    kind: p.kind,
    ticksPerFrame: p.ticksPerFrame,
    symbols: p.symbols,
  });
  const payloads = frames.map((f) => f.bytes.subarray(f.bytes.length - payloadLength(f.bytes)));
  const text = p.kind !== 'binary';
  const clients = await Promise.all(
    Array.from({ length: p.connections ?? 1 }, () =>
      WsClient.connect({ url: p.url, highWaterBytes: p.highWaterBytes }),
    ),
  );
  const raw = (p.via ?? 'raw') === 'raw';
  const emit = p.events !== false;
  const ev = newRequestEvent('WS', p.name ?? `${p.kind} frame`);
  let nextConn = 0;
  let nextFrame = 0;
  const parkedFrame = new Int32Array(ctx.maxVUs);
  const parkedAt = new Float64Array(ctx.maxVUs);

  const send = (c: WsClient, f: number): boolean =>
    raw
      ? c.sendFrame(frames[f])
      : c.sendPayload(text ? payloads[f].toString() : payloads[f], frames[f].ticks);
  const sent = (vu: number, intendedUs: number) => {
    if (emit) {
      const t = nowUs();
      ev.latencyUs = t - intendedUs;
      ev.bytes = 0;
      ev.timeUs = t;
      ctx.events.emit(ev);
    }
    ctx.done(vu);
  };
  const park = (c: WsClient, vu: number, f: number, intendedUs: number) => {
    parkedFrame[vu] = f;
    parkedAt[vu] = intendedUs;
    c.whenDrained(() => {
      if (!c.isOpen) {
        ev.ok = false;
        ev.error = 'connection closed';
        sent(vu, parkedAt[vu]);
        ev.ok = true;
        ev.error = null;
      } else if (send(c, parkedFrame[vu])) sent(vu, parkedAt[vu]);
      else park(c, vu, parkedFrame[vu], parkedAt[vu]);
    });
  };

  return {
    start(vu, intendedUs) {
      const c = clients[nextConn];
      nextConn = nextConn + 1 === clients.length ? 0 : nextConn + 1;
      const f = nextFrame;
      nextFrame = f + 1 === frames.length ? 0 : f + 1;
      if (send(c, f)) sent(vu, intendedUs);
      else park(c, vu, f, intendedUs);
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
    counters() {
      const sum = (k: 'framesSent' | 'ticksSent' | 'bytesSent') => clients.reduce((a, c) => a + c[k], 0);
      return { wsFramesSent: sum('framesSent'), ticksSent: sum('ticksSent'), wsBytesSent: sum('bytesSent') };
    },
  };
}

/** Payload length of a prebuilt client frame. */
function payloadLength(frame: Buffer): number {
  const l = frame[1] & 0x7f;
  return l < 126 ? l : l === 126 ? frame.readUInt16BE(2) : frame.readUInt32BE(6);
}
