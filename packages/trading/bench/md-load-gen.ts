/**
 * Tick load for the market-data ingest benchmark. Each connection gets a FrameSource that
 * fills ~64 KB chunks of ready WebSocket frames (RawWs framing, mask key 0) with the
 * current time as tick timestamps, from templates built once:
 *
 * - `single`: one tick per text frame, the Scenario 1 shape: connection j sends
 *   SYM{j % 50}, price `100.0 + (k % 100) * 0.1` (float text, noise included), volume 1000;
 * - `array`:  JSON arrays of `ticksPerFrame` ticks over all 50 symbols;
 * - `binary`: binary batches (docs/market-data-protocol.md) of `ticksPerFrame` ticks.
 *
 * `pump` writes chunks until the socket pushes back, then waits for 'drain' (TCP flow
 * control is the only brake; with `ratePerSecond` it also paces to a target rate).
 */
import { TickBatchWriter } from '@tickstorm/protocol';
import { frameHeaderBytes, OP_BINARY, OP_TEXT, type RawWs, writeFrameHeader } from './md-raw-ws.ts';

export type LoadMode = 'single' | 'array' | 'binary';
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);
const CHUNK_BYTES = 64 * 1024;
const TS_WIDTH = 17; // "1732280000.123456"
const TS_MARK = '9'.repeat(TS_WIDTH);

const seedPrice = (k: number) => 100.0 + (k % 100) * 0.1;
const nowText = () => (Date.now() / 1000).toFixed(6);

interface Template {
  frame: Buffer;
  /** Offsets of the timestamp text inside `frame`. */
  ts: number[];
  ticks: number;
}

function textTemplate(payload: string): Template {
  const body = Buffer.from(payload, 'latin1');
  const frame = Buffer.allocUnsafe(frameHeaderBytes(body.length) + body.length);
  const at = writeFrameHeader(frame, 0, OP_TEXT, body.length);
  body.copy(frame, at);
  const ts: number[] = [];
  for (let i = frame.indexOf(TS_MARK, at); i >= 0; i = frame.indexOf(TS_MARK, i + TS_WIDTH)) ts.push(i);
  return { frame, ts, ticks: 0 };
}

const tickText = (sym: string, price: number) =>
  `{"type":"tick","symbol":"${sym}","price":${price},"volume":1000,"timestamp":${TS_MARK}}`;

export class FrameSource {
  private readonly templates: Template[] = [];
  private next = 0;
  private readonly writer: TickBatchWriter | undefined;
  private readonly binaryBytes: number = 0;

  constructor(
    readonly mode: LoadMode,
    conn: number,
    readonly ticksPerFrame: number,
  ) {
    if (mode === 'single') {
      for (let k = 0; k < 100; k++) {
        const t = textTemplate(tickText(SYMBOLS[conn % 50], seedPrice(k)));
        this.templates.push({ ...t, ticks: 1 });
      }
    } else if (mode === 'array') {
      for (let v = 0; v < 10; v++) {
        const ticks = Array.from({ length: ticksPerFrame }, (_, i) =>
          tickText(SYMBOLS[(conn + i) % 50], seedPrice(v * 7 + i)),
        );
        this.templates.push({ ...textTemplate(`[${ticks.join(',')}]`), ticks: ticksPerFrame });
      }
    } else {
      this.writer = new TickBatchWriter(64 + ticksPerFrame * 32 + 50 * 8);
      this.writer.begin(SYMBOLS);
      this.binaryBytes = this.writer.finish().length + ticksPerFrame * 32;
    }
  }

  /** A chunk of whole frames and the number of ticks in it. */
  chunk(): { buf: Buffer; ticks: number } {
    return this.mode === 'binary' ? this.binaryChunk() : this.textChunk();
  }

  private textChunk(): { buf: Buffer; ticks: number } {
    const size = this.templates[0].frame.length;
    const frames = Math.max(1, Math.floor(CHUNK_BYTES / size));
    const buf = Buffer.allocUnsafe(frames * (size + 16));
    const ts = nowText();
    let off = 0;
    let ticks = 0;
    for (let f = 0; f < frames; f++) {
      const t = this.templates[this.next];
      this.next = this.next + 1 === this.templates.length ? 0 : this.next + 1;
      t.frame.copy(buf, off);
      for (const at of t.ts) buf.write(ts, off + at, 'latin1');
      off += t.frame.length;
      ticks += t.ticks;
    }
    return { buf: buf.subarray(0, off), ticks };
  }

  private binaryChunk(): { buf: Buffer; ticks: number } {
    const w = this.writer!;
    const frameBytes = frameHeaderBytes(this.binaryBytes) + this.binaryBytes;
    const frames = Math.max(1, Math.floor(CHUNK_BYTES / frameBytes));
    const buf = Buffer.allocUnsafe(frames * frameBytes);
    const ts = Date.now() / 1000;
    let off = 0;
    for (let f = 0; f < frames; f++) {
      w.begin(SYMBOLS);
      for (let i = 0; i < this.ticksPerFrame; i++)
        w.add((this.next + i) % 50, seedPrice(this.next + i), 1000, ts);
      this.next = (this.next + 1) % 100;
      const payload = w.finish();
      off = writeFrameHeader(buf, off, OP_BINARY, payload.length);
      buf.set(payload, off);
      off += payload.length;
    }
    return { buf: buf.subarray(0, off), ticks: frames * this.ticksPerFrame };
  }
}

export interface Pump {
  /** Ticks written so far (all connections). */
  sent(): number;
  /** Stops writing; resolves once every socket has flushed what it was given. */
  stop(): Promise<void>;
}

/** Drives every connection as fast as TCP allows (or at `ratePerSecond` in total). */
export function pump(conns: RawWs[], sources: FrameSource[], ratePerSecond = 0): Pump {
  let stopped = false;
  let sent = 0;
  const perConn = new Float64Array(conns.length);
  const t0 = performance.now();
  const budget = ratePerSecond / conns.length;
  const run = (j: number) => {
    const sock = conns[j].socket;
    for (let n = 0; n < 4 && !stopped; n++) {
      if (budget > 0 && perConn[j] > (budget * (performance.now() - t0)) / 1000) {
        setTimeout(run, 1, j);
        return;
      }
      const { buf, ticks } = sources[j].chunk();
      sent += ticks;
      perConn[j] += ticks;
      if (!sock.write(buf)) {
        sock.once('drain', () => run(j));
        return;
      }
    }
    if (!stopped) setImmediate(run, j);
  };
  for (let j = 0; j < conns.length; j++) run(j);
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await Promise.all(
        conns.map((c) =>
          c.socket.writableLength === 0 ? undefined : new Promise((r) => c.socket.once('drain', r)),
        ),
      );
    },
  };
}
