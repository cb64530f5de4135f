/**
 * Binary tick batch: many ticks in one WebSocket binary frame (docs/market-data-protocol.md).
 * All integers and floats little-endian.
 *
 *   offset size  field
 *   0      u16   magic 0x4B54 (bytes "TK")
 *   2      u8    version = 1
 *   3      u8    flags: bit 0 = records carry bid and ask; other bits must be 0
 *   4      u32   count: number of records
 *   8      u16   symbolCount: entries in the symbol table
 *   10     u16   reserved, 0
 *   12     ...   symbol table: symbolCount x (u8 length 1..255, then that many ASCII bytes)
 *          ...   zero padding up to the next multiple of 8 (from the frame start)
 *   R      ...   count records of 32 bytes (48 with flag bit 0):
 *                +0 u16 symbol index into the table, +2 u16 reserved (write 0), +4 u32 reserved (write 0),
 *                +8 f64 price, +16 f64 volume, +24 f64 timestamp (epoch seconds),
 *                [+32 f64 bid, +40 f64 ask; NaN = not carried]
 *
 * The frame length must equal R + count * recordSize exactly. A frame that does not decode
 * is PRT_ERR_MALFORMED_FRAME; per-record problems are reported like JSON ticks.
 */
import { ProtocolErrorCode } from '../errors.ts';
import type { Tick, TickProblem } from './tick.ts';

export const TICK_BATCH_MAGIC = 0x4b54;
export const TICK_BATCH_VERSION = 1;
export const TICK_BATCH_FLAG_QUOTES = 1;
export const TICK_BATCH_HEADER_BYTES = 12;
export const TICK_RECORD_BYTES = 32;
export const TICK_RECORD_BYTES_QUOTES = 48;

const align8 = (n: number) => (n + 7) & ~7;

function malformed(message: string): TickProblem {
  return { code: ProtocolErrorCode.MALFORMED_FRAME, message };
}

/** Total frame size for `count` records over `symbols`. */
export function tickBatchBytes(count: number, symbols: readonly string[], hasQuotes = false): number {
  let table = 0;
  for (const s of symbols) table += 1 + s.length;
  const rb = hasQuotes ? TICK_RECORD_BYTES_QUOTES : TICK_RECORD_BYTES;
  return align8(TICK_BATCH_HEADER_BYTES + table) + count * rb;
}

/**
 * Decodes a batch in place. `read` validates the header, symbol table and length; the
 * accessors then read record `i` (0 <= i < count) without allocating. The symbol table is
 * decoded once and reused while consecutive frames carry identical table bytes.
 */
export class TickBatchReader {
  count = 0;
  hasQuotes = false;
  /** Symbols of the current frame's table. */
  symbols: string[] = [];
  /** Incremented whenever `symbols` changes (callers cache lookups per version). */
  tableVersion = 0;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private recordsAt = 0;
  private recordBytes = TICK_RECORD_BYTES;
  private tableCache = new Uint8Array(0);
  private tableLen = -1;

  read(buf: Uint8Array): TickProblem | null {
    const len = buf.byteLength;
    if (len < TICK_BATCH_HEADER_BYTES) {
      return malformed(
        `binary frame of ${len} bytes is shorter than the ${TICK_BATCH_HEADER_BYTES}-byte header`,
      );
    }
    const v = new DataView(buf.buffer, buf.byteOffset, len);
    const magic = v.getUint16(0, true);
    if (magic !== TICK_BATCH_MAGIC) return malformed(`bad magic 0x${magic.toString(16)} (expected 0x4b54)`);
    const version = v.getUint8(2);
    if (version !== TICK_BATCH_VERSION) return malformed(`unsupported batch version ${version}`);
    const flags = v.getUint8(3);
    if ((flags & ~TICK_BATCH_FLAG_QUOTES) !== 0) return malformed(`unknown flags 0x${flags.toString(16)}`);
    if (v.getUint16(10, true) !== 0) return malformed('reserved header bytes must be 0');
    const count = v.getUint32(4, true);
    const symbolCount = v.getUint16(8, true);
    if (count > 0 && symbolCount === 0) return malformed('records need a non-empty symbol table');
    let off = TICK_BATCH_HEADER_BYTES;
    for (let k = 0; k < symbolCount; k++) {
      if (off >= len) return malformed(`symbol table truncated at entry ${k}`);
      const n = buf[off];
      if (n === 0) return malformed(`symbol table entry ${k} is empty`);
      if (off + 1 + n > len) return malformed(`symbol table truncated at entry ${k}`);
      off += 1 + n;
    }
    const recordBytes = (flags & TICK_BATCH_FLAG_QUOTES) !== 0 ? TICK_RECORD_BYTES_QUOTES : TICK_RECORD_BYTES;
    const recordsAt = align8(off);
    const expected = recordsAt + count * recordBytes;
    if (len !== expected) {
      return malformed(`binary frame is ${len} bytes; header says ${count} records need ${expected}`);
    }
    this.decodeTable(buf, symbolCount, off);
    this.view = v;
    this.count = count;
    this.hasQuotes = recordBytes === TICK_RECORD_BYTES_QUOTES;
    this.recordBytes = recordBytes;
    this.recordsAt = recordsAt;
    return null;
  }

  private decodeTable(buf: Uint8Array, symbolCount: number, end: number): void {
    const start = TICK_BATCH_HEADER_BYTES;
    const n = end - start;
    let same = n === this.tableLen;
    for (let i = 0; same && i < n; i++) same = this.tableCache[i] === buf[start + i];
    if (same) return;
    if (this.tableCache.length < n) this.tableCache = new Uint8Array(Math.max(n, 2 * this.tableCache.length));
    this.tableCache.set(buf.subarray(start, end));
    this.tableLen = n;
    const symbols: string[] = new Array(symbolCount);
    let off = start;
    for (let k = 0; k < symbolCount; k++) {
      const l = buf[off];
      symbols[k] = String.fromCharCode.apply(null, buf.subarray(off + 1, off + 1 + l) as unknown as number[]);
      off += 1 + l;
    }
    this.symbols = symbols;
    this.tableVersion++;
  }

  symbolIndex(i: number): number {
    return this.view.getUint16(this.recordsAt + i * this.recordBytes, true);
  }
  price(i: number): number {
    return this.view.getFloat64(this.recordsAt + i * this.recordBytes + 8, true);
  }
  volume(i: number): number {
    return this.view.getFloat64(this.recordsAt + i * this.recordBytes + 16, true);
  }
  timestamp(i: number): number {
    return this.view.getFloat64(this.recordsAt + i * this.recordBytes + 24, true);
  }
  /**
   * Record `i`'s price, volume, timestamp, bid and ask (NaN without quotes) into `out`: one
   * call per tick that returns no double (a double returned by a call the optimiser did not
   * inline is boxed on the heap, which made the ingest loop allocate in some runs).
   */
  readInto(
    i: number,
    out: { price: number; volume: number; timestamp: number; bid: number; ask: number },
  ): void {
    const v = this.view;
    const at = this.recordsAt + i * this.recordBytes;
    out.price = v.getFloat64(at + 8, true);
    out.volume = v.getFloat64(at + 16, true);
    out.timestamp = v.getFloat64(at + 24, true);
    if (this.hasQuotes) {
      out.bid = v.getFloat64(at + 32, true);
      out.ask = v.getFloat64(at + 40, true);
    } else {
      out.bid = Number.NaN;
      out.ask = Number.NaN;
    }
  }
  /** NaN when the frame carries no quotes or the record leaves it out. */
  bid(i: number): number {
    return this.hasQuotes
      ? this.view.getFloat64(this.recordsAt + i * this.recordBytes + 32, true)
      : Number.NaN;
  }
  ask(i: number): number {
    return this.hasQuotes
      ? this.view.getFloat64(this.recordsAt + i * this.recordBytes + 40, true)
      : Number.NaN;
  }
}

/**
 * Encodes batches into one preallocated buffer (for load generators): `begin`, `add` per
 * tick, `finish` returns a view of the frame, valid until the next `begin`.
 */
export class TickBatchWriter {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private recordsAt = 0;
  private recordBytes = TICK_RECORD_BYTES;
  private symbolCount = 0;
  count = 0;

  constructor(capacityBytes = 1 << 20) {
    this.bytes = new Uint8Array(capacityBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Records that fit after the current header and table. */
  get capacity(): number {
    return Math.floor((this.bytes.length - this.recordsAt) / this.recordBytes);
  }

  begin(symbols: readonly string[], hasQuotes = false): void {
    if (symbols.length > 0xffff) throw new RangeError('at most 65535 symbols per batch');
    const v = this.view;
    v.setUint16(0, TICK_BATCH_MAGIC, true);
    v.setUint8(2, TICK_BATCH_VERSION);
    v.setUint8(3, hasQuotes ? TICK_BATCH_FLAG_QUOTES : 0);
    v.setUint32(4, 0, true);
    v.setUint16(8, symbols.length, true);
    v.setUint16(10, 0, true);
    let off = TICK_BATCH_HEADER_BYTES;
    for (const s of symbols) {
      if (s.length === 0 || s.length > 255) throw new RangeError(`symbol length must be 1..255: ${s}`);
      if (off + 1 + s.length > this.bytes.length) throw new RangeError('symbol table exceeds the buffer');
      this.bytes[off++] = s.length;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) throw new RangeError(`symbol must be ASCII: ${s}`);
        this.bytes[off++] = c;
      }
    }
    const recordsAt = align8(off);
    this.bytes.fill(0, off, recordsAt);
    this.recordsAt = recordsAt;
    this.recordBytes = hasQuotes ? TICK_RECORD_BYTES_QUOTES : TICK_RECORD_BYTES;
    this.symbolCount = symbols.length;
    this.count = 0;
  }

  add(
    symbolIndex: number,
    price: number,
    volume: number,
    timestamp: number,
    bid = Number.NaN,
    ask = Number.NaN,
  ): void {
    if (symbolIndex < 0 || symbolIndex >= this.symbolCount)
      throw new RangeError('symbol index outside the table');
    const at = this.recordsAt + this.count * this.recordBytes;
    if (at + this.recordBytes > this.bytes.length) throw new RangeError('batch buffer full');
    const v = this.view;
    v.setUint32(at, symbolIndex, true);
    v.setUint32(at + 4, 0, true);
    v.setFloat64(at + 8, price, true);
    v.setFloat64(at + 16, volume, true);
    v.setFloat64(at + 24, timestamp, true);
    if (this.recordBytes === TICK_RECORD_BYTES_QUOTES) {
      v.setFloat64(at + 32, bid, true);
      v.setFloat64(at + 40, ask, true);
    }
    this.count++;
  }

  finish(): Uint8Array {
    this.view.setUint32(4, this.count, true);
    return this.bytes.subarray(0, this.recordsAt + this.count * this.recordBytes);
  }
}

/** Convenience encoder (allocates): a batch of `ticks`, quotes included when any tick has them. */
export function encodeTickBatch(ticks: readonly Tick[]): Uint8Array {
  const index = new Map<string, number>();
  for (const t of ticks) if (!index.has(t.symbol)) index.set(t.symbol, index.size);
  const symbols = [...index.keys()];
  const quotes = ticks.some((t) => t.bid != null || t.ask != null);
  const w = new TickBatchWriter(tickBatchBytes(ticks.length, symbols, quotes));
  w.begin(symbols, quotes);
  for (const t of ticks) {
    w.add(index.get(t.symbol)!, t.price, t.volume, t.timestamp, t.bid ?? Number.NaN, t.ask ?? Number.NaN);
  }
  return w.finish();
}
