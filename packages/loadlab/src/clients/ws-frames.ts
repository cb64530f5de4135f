/**
 * Prebuilt WebSocket client frames for load generation: header + payload in one Buffer,
 * masked with the all-zero key (RFC 6455 allows any key; zero makes masking the identity,
 * so the payload bytes are written as they are and the server still unmasks). Ticks in the
 * market-data shapes (docs/market-data-protocol.md): one JSON tick per text frame, JSON
 * arrays of ticks, or binary tick batches (@tickstorm/protocol's TickBatchWriter).
 */
import { TickBatchWriter } from '@tickstorm/protocol';

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;

export interface PrebuiltFrame {
  /** The whole client frame (header, zero mask key, payload). */
  bytes: Buffer;
  /** Ticks (or messages) the frame carries, for counting. */
  ticks: number;
}

/** Header bytes (mask key included) of a client frame with a payload of `len`. */
export function frameHeaderBytes(len: number): number {
  return len < 126 ? 6 : len < 65_536 ? 8 : 14;
}

/** A final, zero-masked client frame around `payload`. */
export function buildFrame(
  payload: string | Uint8Array,
  opcode = typeof payload === 'string' ? OP_TEXT : OP_BINARY,
  ticks = 1,
): PrebuiltFrame {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = body.length;
  const out = Buffer.allocUnsafe(frameHeaderBytes(len) + len);
  let at = 0;
  out[at++] = 0x80 | opcode;
  if (len < 126) out[at++] = 0x80 | len;
  else if (len < 65_536) {
    out[at++] = 0x80 | 126;
    out.writeUInt16BE(len, at);
    at += 2;
  } else {
    out[at++] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), at);
    out.writeUInt32BE(len >>> 0, at + 4);
    at += 8;
  }
  out.writeUInt32BE(0, at);
  out.set(body, at + 4);
  return { bytes: out, ticks };
}

export type TickFrameKind = 'json' | 'json-array' | 'binary';

export interface TickFrameOptions {
  kind: TickFrameKind;
  /** Ticks per frame for 'json-array' and 'binary' (default 100); 'json' is always 1. */
  ticksPerFrame?: number;
  /** Symbols (default SYM0 .. SYM49). */
  symbols?: string[];
  /** Distinct frames to cycle through (default 64). */
  variants?: number;
  /** Tick timestamp, epoch seconds (default now). */
  timestampSec?: number;
}

export const DEFAULT_SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);

const price = (k: number) => Math.round((100 + (k % 100) * 0.1) * 100) / 100;

export function tickJson(symbol: string, p: number, volume: number, ts: number): string {
  return `{"type":"tick","symbol":"${symbol}","price":${p},"volume":${volume},"timestamp":${ts}}`;
}

/** Frames of ticks cycling over the symbols and a spread of prices. */
export function buildTickFrames(o: TickFrameOptions): PrebuiltFrame[] {
  const symbols = o.symbols ?? DEFAULT_SYMBOLS;
  const per = o.kind === 'json' ? 1 : Math.max(1, o.ticksPerFrame ?? 100);
  const ts = o.timestampSec ?? Date.now() / 1000;
  const frames: PrebuiltFrame[] = [];
  let k = 0;
  const writer = o.kind === 'binary' ? new TickBatchWriter(64 + per * 32 + symbols.length * 256) : undefined;
  for (let v = 0; v < (o.variants ?? 64); v++) {
    if (writer !== undefined) {
      writer.begin(symbols);
      for (let i = 0; i < per; i++, k++) writer.add(k % symbols.length, price(k * 7), 1000, ts);
      frames.push(buildFrame(Buffer.from(writer.finish()), OP_BINARY, per));
    } else {
      const ticks: string[] = [];
      for (let i = 0; i < per; i++, k++)
        ticks.push(tickJson(symbols[k % symbols.length], price(k * 7), 1000, ts));
      frames.push(buildFrame(o.kind === 'json' ? ticks[0] : `[${ticks.join(',')}]`, OP_TEXT, per));
    }
  }
  return frames;
}
