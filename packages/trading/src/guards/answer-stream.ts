/**
 * Query answers from the query process (./query-process-entry.ts) to the HTTP response
 * without a new buffer per chunk on the event loop that serves orders.
 *
 * Every chunk a Node stream reads is a new ArrayBuffer, and so is every IPC message. At tens
 * of MB/s of answers (hostile queries asking for 8 MiB each) that churn drives V8 into a
 * mark-compact every half second, and its pauses and marking steps land on the order path.
 * So the answers come over their own Unix socket, read with `onread` into one fixed buffer,
 * copied into a bounded pool of reused slots, and each slot is written to the response and
 * returned to the pool when the write completes. Nothing per answer is allocated but small
 * objects.
 *
 * Frame, one per answer, in the order the process finishes them:
 *   u32 id | u32 body bytes | u32 row count | u32 flags (bit 0: truncated) | body (the JSON)
 * (little-endian). Errors travel on the IPC channel, as small messages.
 *
 * Backpressure: when the pool is empty the socket is paused (the process waits to write).
 * A response that holds more than `perAnswerSlots` slots (a client that does not read) gets
 * copies of the rest instead, so one slow reader cannot stall the others.
 */
import type { Socket } from 'node:net';

export const HEADER_BYTES = 16;
const EMPTY = Buffer.alloc(0);
const NOOP = () => {};

export function encodeAnswerHeader(id: number, bytes: number, rowCount: number, truncated: boolean): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(id, 0);
  h.writeUInt32LE(bytes, 4);
  h.writeUInt32LE(rowCount, 8);
  h.writeUInt32LE(truncated ? 1 : 0, 12);
  return h;
}

function copyOf(src: Buffer, start: number, end: number): Buffer {
  const b = Buffer.allocUnsafe(end - start);
  src.copy(b, 0, start, end);
  return b;
}

/** Where an answer's bytes go: an HTTP response (or any stream with write callbacks). */
export interface AnswerSink {
  write(chunk: Uint8Array, cb: (err?: Error | null) => void): unknown;
  end(): unknown;
  destroy(err?: Error): unknown;
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** An answer's JSON as it arrives from the query process. */
export interface StreamedJson {
  /** Bytes of the whole JSON (known before the first arrives: a Content-Length). */
  readonly length: number;
  /**
   * Writes the bytes to `out` as they arrive and ends it; destroys it if the query process
   * dies before the last byte. Once only.
   */
  writeTo(out: AnswerSink): void;
  /** The whole JSON in one buffer (tests, small answers). */
  collect(): Promise<Buffer>;
}

export interface StreamedResult {
  stream: StreamedJson;
  rowCount: number;
  truncated: boolean;
}

/** Reused, fixed-size buffers (allocated on first use, up to `max`). */
export class SlotPool {
  private readonly free: Buffer[] = [];
  private made = 0;
  onRelease: (() => void) | null = null;

  constructor(
    readonly slotBytes: number,
    readonly max: number,
  ) {}

  get available(): number {
    return this.free.length + (this.max - this.made);
  }

  take(): Buffer | null {
    const b = this.free.pop();
    if (b !== undefined) return b;
    if (this.made >= this.max) return null;
    this.made++;
    return Buffer.allocUnsafeSlow(this.slotBytes);
  }

  release(b: Buffer): void {
    this.free.push(b);
    this.onRelease?.();
  }
}

class AnswerStream implements StreamedJson {
  private remaining: number;
  /** Arrived before a consumer was attached: views, with the slot each holds (null: a copy). */
  private queue: { view: Buffer; slot: Buffer | null }[] = [];
  private out: AnswerSink | null = null;
  private collected: Buffer[] | null = null;
  private collecting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  /** Slots written to `out` and not yet flushed. */
  private readonly held = new Set<Buffer>();
  private failure: Error | null = null;
  private ended = false;

  constructor(
    readonly length: number,
    private readonly pool: SlotPool,
    private readonly perAnswerSlots: number,
  ) {
    this.remaining = length;
  }

  get needs(): number {
    return this.remaining;
  }

  /** Takes bytes `start..end` of `src` (the read buffer, reused after this call). */
  push(src: Buffer, start: number, end: number): void {
    this.remaining -= end - start;
    const out = this.out;
    if (out?.destroyed || this.failure !== null) return; // nobody will read it
    if (end > start) this.keep(out, src, start, end);
    if (this.remaining === 0) this.finish();
  }

  private keep(out: AnswerSink | null, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.collected !== null) {
      this.collected.push(copyOf(src, start, end)); // collect(): its own copy, no slot
      return;
    }
    let slot: Buffer | null = null;
    let view: Buffer;
    if (this.held.size + this.queue.length < this.perAnswerSlots) slot = this.pool.take();
    if (slot !== null) {
      src.copy(slot, 0, start, end);
      view = slot.subarray(0, n);
    } else {
      view = copyOf(src, start, end); // no slot for this answer: a copy of its own
    }
    if (out !== null) this.write(out, view, slot);
    else this.queue.push({ view, slot });
  }

  private write(out: AnswerSink, view: Buffer, slot: Buffer | null): void {
    if (slot === null) {
      out.write(view, NOOP);
      return;
    }
    this.held.add(slot);
    out.write(view, () => {
      if (this.held.delete(slot)) this.pool.release(slot);
    });
  }

  private finish(): void {
    this.ended = true;
    if (this.out !== null && !this.out.destroyed) this.out.end();
    if (this.collecting !== null && this.collected !== null) {
      this.collecting.resolve(Buffer.concat(this.collected));
      this.collecting = null;
    }
  }

  /** The query process went away before the last byte. */
  fail(err: Error): void {
    if (this.ended || this.failure !== null) return;
    this.failure = err;
    for (const q of this.queue) if (q.slot !== null) this.pool.release(q.slot);
    this.queue = [];
    this.out?.destroy(err);
    this.collecting?.reject(err);
    this.collecting = null;
  }

  writeTo(out: AnswerSink): void {
    if (this.out !== null || this.collected !== null) throw new Error('an answer is consumed once');
    this.out = out;
    out.once('close', () => {
      // The response is gone (written, or the client left): its slots come back.
      for (const s of this.held) this.pool.release(s);
      this.held.clear();
    });
    if (this.failure !== null) {
      out.destroy(this.failure);
      return;
    }
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) this.write(out, q.view, q.slot);
    if (this.ended) out.end();
  }

  collect(): Promise<Buffer> {
    if (this.out !== null || this.collected !== null) throw new Error('an answer is consumed once');
    if (this.failure !== null) return Promise.reject(this.failure);
    this.collected = this.queue.map((q) => (q.slot === null ? q.view : Buffer.from(q.view)));
    for (const q of this.queue) if (q.slot !== null) this.pool.release(q.slot);
    this.queue = [];
    if (this.ended) return Promise.resolve(Buffer.concat(this.collected));
    return new Promise((resolve, reject) => {
      this.collecting = { resolve, reject };
    });
  }
}

export interface AnswerReaderOptions {
  /** A frame's header arrived: the answer to `id` (null: nobody waits for it, the bytes are dropped). */
  onAnswer: (id: number, result: StreamedResult) => boolean;
  /** Reused slots (default 64 KB each, 32 of them: 2 MB). */
  pool?: SlotPool;
  /** Slots one answer may hold before its bytes are copied instead (default 8). */
  perAnswerSlots?: number;
}

/**
 * Reads the query process's answer socket: pass `reader.onread` to `net.connect`, then
 * `reader.attach(socket)`.
 */
export class AnswerReader {
  readonly pool: SlotPool;
  private readonly perAnswerSlots: number;
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private current: AnswerStream | null = null;
  private socket: Socket | null = null;
  private paused = false;
  readonly onread: { buffer: Buffer; callback: (n: number, buf: Buffer) => boolean };

  constructor(private readonly o: AnswerReaderOptions) {
    this.pool = o.pool ?? new SlotPool(64 * 1024, 32);
    this.perAnswerSlots = o.perAnswerSlots ?? 8;
    this.onread = {
      buffer: Buffer.allocUnsafeSlow(this.pool.slotBytes),
      callback: (n, buf) => {
        this.take(buf, n);
        return true;
      },
    };
    this.pool.onRelease = () => {
      if (this.paused && this.pool.available > 0) {
        this.paused = false;
        this.socket?.resume();
      }
    };
  }

  attach(socket: Socket): void {
    this.socket = socket;
  }

  /** The first `n` bytes of the read buffer `chunk`. */
  private take(chunk: Buffer, n: number): void {
    let at = 0;
    while (at < n) {
      const cur = this.current;
      if (cur === null) {
        const k = Math.min(HEADER_BYTES - this.headerFill, n - at);
        chunk.copy(this.header, this.headerFill, at, at + k);
        this.headerFill += k;
        at += k;
        if (this.headerFill === HEADER_BYTES) this.startAnswer();
        continue;
      }
      const k = Math.min(cur.needs, n - at);
      cur.push(chunk, at, at + k);
      at += k;
      if (cur.needs === 0) this.current = null;
    }
    if (this.pool.available === 0 && !this.paused) {
      this.paused = true;
      this.socket?.pause();
    }
  }

  private startAnswer(): void {
    this.headerFill = 0;
    const h = this.header;
    const id = h.readUInt32LE(0);
    const stream = new AnswerStream(h.readUInt32LE(4), this.pool, this.perAnswerSlots);
    const wanted = this.o.onAnswer(id, {
      stream,
      rowCount: h.readUInt32LE(8),
      truncated: (h.readUInt32LE(12) & 1) === 1,
    });
    if (!wanted) stream.fail(new Error('nobody waits for this answer'));
    if (stream.needs > 0) this.current = stream;
    else stream.push(EMPTY, 0, 0);
  }

  /** The socket ended or failed: an answer cut short fails (its response is destroyed). */
  close(err: Error): void {
    this.current?.fail(err);
    this.current = null;
    this.headerFill = 0;
  }
}
