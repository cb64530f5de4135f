/**
 * Prebuilt tick frames for one market-data connection, in the Scenario 1 shape:
 * ticks `{"type":"tick","symbol","price","volume":1000,"timestamp"}` with the standard price
 * walk `100.0 + (n % 100) * 0.1` per symbol (rounded to the 0.01 grid), as one JSON tick per
 * text frame (ticksPerFrame 1, like a Python client), JSON arrays, or binary batches
 * (docs/market-data-protocol.md, @tickstorm/protocol's TickBatchWriter).
 *
 * A connection carries its own symbols (a Python client: one connection per symbol); its frames
 * cycle through the whole price walk. Every tick's timestamp sits at a known byte offset, so
 * `stamp` writes the frame's time (epoch ms) into the prebuilt bytes just before the send:
 * fixed-width `SSSSSSSSSS.mmm` digits in JSON, an f64 in binary. Nothing is allocated per frame.
 */
import { buildFrame, OP_BINARY, OP_TEXT, type PrebuiltFrame } from '@tickstorm/loadlab';
import { TickBatchWriter, tickBatchBytes } from '@tickstorm/protocol';

export type TickFormat = 'json' | 'binary';

export interface TickStream {
  frames: PrebuiltFrame[];
  /** Per frame: byte offsets (in `frames[f].bytes`) of every tick's timestamp. */
  stamps: Int32Array[];
  binary: boolean;
  /** Largest frame, bytes. */
  maxBytes: number;
}

/** SYM0 .. SYM{n-1}. */
export function symbolNames(n: number, prefix = 'SYM'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** The symbols connection `conn` of `connections` carries: s with s % connections == conn. */
export function connectionSymbols(conn: number, connections: number, symbols: readonly string[]): string[] {
  if (connections > symbols.length) return [symbols[conn % symbols.length]];
  return symbols.filter((_, s) => s % connections === conn);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const STAMP_CHARS = 14; // "1795442453.850"

/** The standard price for the n-th tick of a symbol, on the 0.01 grid. */
export function seedPrice(n: number): number {
  return Math.round((100 + (n % 100) * 0.1) * 100) / 100;
}

/**
 * Frames for one connection: `ticksPerFrame` ticks each, symbols interleaved, cycling through
 * the price walk (at most `maxVariants` distinct frames).
 */
export function buildTickStream(
  symbols: readonly string[],
  ticksPerFrame: number,
  format: TickFormat,
  maxVariants = 256,
): TickStream {
  const m = symbols.length;
  const cycle = m * 100;
  const variants = Math.max(1, Math.min(maxVariants, cycle / gcd(cycle, ticksPerFrame)));
  const nowMs = Date.now();
  const frames: PrebuiltFrame[] = [];
  const stamps: Int32Array[] = [];
  const writer =
    format === 'binary' ? new TickBatchWriter(tickBatchBytes(ticksPerFrame, symbols)) : undefined;
  let k = 0;
  for (let v = 0; v < variants; v++) {
    const offs = new Int32Array(ticksPerFrame);
    if (writer !== undefined) {
      writer.begin(symbols);
      for (let i = 0; i < ticksPerFrame; i++, k++) {
        writer.add(k % m, seedPrice(Math.floor(k / m)), 1000, nowMs / 1000);
      }
      const payload = writer.finish();
      const frame = buildFrame(Buffer.from(payload), OP_BINARY, ticksPerFrame);
      const recordsAt = frame.bytes.length - ticksPerFrame * 32; // records end the frame
      for (let i = 0; i < ticksPerFrame; i++) offs[i] = recordsAt + i * 32 + 24;
      frames.push(frame);
    } else {
      const stampText = stampString(nowMs);
      const at: number[] = [];
      let text = ticksPerFrame === 1 ? '' : '[';
      for (let i = 0; i < ticksPerFrame; i++, k++) {
        if (i > 0) text += ',';
        text += `{"type":"tick","symbol":"${symbols[k % m]}","price":${seedPrice(Math.floor(k / m))},"volume":1000,"timestamp":`;
        at.push(text.length);
        text += `${stampText}}`;
      }
      if (ticksPerFrame > 1) text += ']';
      const frame = buildFrame(text, OP_TEXT, ticksPerFrame);
      const head = frame.bytes.length - Buffer.byteLength(text);
      for (let i = 0; i < ticksPerFrame; i++) offs[i] = head + at[i];
      frames.push(frame);
    }
    stamps.push(offs);
  }
  return {
    frames,
    stamps,
    binary: writer !== undefined,
    maxBytes: Math.max(...frames.map((f) => f.bytes.length)),
  };
}

/** Writes `epochMs` as every tick's timestamp of frame `f` (in place). */
export function stampFrame(s: TickStream, f: number, epochMs: number): void {
  const b = s.frames[f].bytes;
  const offs = s.stamps[f];
  if (s.binary) {
    const sec = Math.floor(epochMs) / 1000;
    for (let i = 0; i < offs.length; i++) b.writeDoubleLE(sec, offs[i]);
    return;
  }
  const at0 = offs[0];
  writeStamp(b, at0, epochMs);
  for (let i = 1; i < offs.length; i++) b.copy(b, offs[i], at0, at0 + STAMP_CHARS);
}

/** "SSSSSSSSSS.mmm" (epoch seconds with milliseconds, 10 integer digits until the year 2286). */
function writeStamp(b: Buffer, at: number, epochMs: number): void {
  let t = Math.floor(epochMs);
  for (let i = STAMP_CHARS - 1; i >= 0; i--) {
    if (i === 10) {
      b[at + i] = 0x2e;
      continue;
    }
    b[at + i] = 0x30 + (t % 10);
    t = Math.floor(t / 10);
  }
}

function stampString(epochMs: number): string {
  const b = Buffer.alloc(STAMP_CHARS);
  writeStamp(b, 0, epochMs);
  return b.toString('latin1');
}
