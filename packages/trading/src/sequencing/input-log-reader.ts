/**
 * Reads an input log (format: sequencing/input-log-format.ts, docs/input-log.md) batch by
 * batch with positional reads, so memory stays bounded by one batch. Every batch is
 * verified (magic, CRC, gapless seqs, known kinds) before any of its records is returned.
 * A torn final batch is skipped and reported (`tornBatches`, `tornBytes`); corruption
 * anywhere else throws TradingError TRD_ERR_LOG_CORRUPT.
 *
 *   const reader = readInputLog(path);
 *   for (const cmd of reader) apply(cmd);   // `cmd` is one reused CommandRecord
 *   reader.tornBatches;                      // 0 or 1
 *
 * or, allocation-free: `while (reader.next(rec)) ...`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  COMMAND_RECORD_SIZE,
  CommandKind,
  CommandRecord,
  decodeCommand,
  isLoggableKind,
  paddedPayload,
  readPayloadLength,
} from './command-codec.ts';
import {
  BATCH_HEADER_SIZE,
  batchDataCrc,
  batchHeaderValid,
  corrupt,
  FILE_HEADER_SIZE,
  MAX_BATCH_RECORDS,
  verifyFileHeader,
} from './input-log-format.ts';

export class InputLogReader implements Iterable<CommandRecord> {
  readonly path: string;
  readonly fileSize: number;
  /** Complete, verified batches read so far. */
  batches = 0;
  /** Records returned so far. */
  records = 0;
  /** Seq of the first and the last record read (0 = none). */
  firstSeq = 0;
  lastSeq = 0;
  /** 1 if the final batch was torn (skipped), else 0; and its size in bytes. */
  tornBatches = 0;
  tornBytes = 0;
  /** Byte offset where the verified part of the file ends (a writer truncates here). */
  validEnd = 0;
  /** True once every batch has been read (or the tail found torn). */
  done = false;
  /** `next` skips whole batches whose records all have seq <= this (unread records of a snapshot). */
  skipThrough = 0;
  /** Payload of the record `next` returned last: NEW_ORDER account name and clientOrderId ('' = none). */
  accountName = '';
  clientOrderId = '';
  /** NEW_ORDER: the price as sent before it was rounded to the tick (0 = none; older logs: 0). */
  priceAsked = 0;
  /** Payload of the last SET_LIMITS record: the limits as JSON ('' otherwise). */
  text = '';

  private fd: number;
  private pos = 0;
  private readonly header = Buffer.alloc(BATCH_HEADER_SIZE);
  private buf = Buffer.alloc(64 * COMMAND_RECORD_SIZE);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private batchCount = 0;
  private batchIndex = 0;
  /** Byte offset in `buf` of the next record of the batch. */
  private batchOff = 0;
  private readonly iterRecord = new CommandRecord();

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'r');
    try {
      this.fileSize = fstatSync(this.fd).size;
      if (this.fileSize < FILE_HEADER_SIZE) {
        // A crash while creating the file: an empty log.
        this.tornBytes = this.fileSize;
        this.finish();
        return;
      }
      const fh = Buffer.alloc(FILE_HEADER_SIZE);
      this.readAt(fh, FILE_HEADER_SIZE, 0);
      verifyFileHeader(fh, path);
      this.pos = this.validEnd = FILE_HEADER_SIZE;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Decodes the next command into `out`; false at the end of the log. */
  next(out: CommandRecord): boolean {
    while (this.batchIndex >= this.batchCount) {
      if (this.done || !this.loadBatch()) return false;
      if (this.lastSeq <= this.skipThrough) this.batchIndex = this.batchCount;
    }
    const off = this.batchOff;
    decodeCommand(this.view, off, out);
    const plen = readPayloadLength(this.view, off);
    this.accountName = this.clientOrderId = this.text = '';
    this.priceAsked = 0;
    if (plen > 0) {
      const p = off + COMMAND_RECORD_SIZE;
      if (out.kind === CommandKind.NEW_ORDER) {
        const b = this.buf;
        const alen = b[p];
        this.accountName = b.toString('latin1', p + 1, p + 1 + alen);
        const clen = b[p + 1 + alen];
        this.clientOrderId = b.toString('latin1', p + 2 + alen, p + 2 + alen + clen);
        if (plen >= 2 + alen + clen + 8) this.priceAsked = this.view.getFloat64(p + 2 + alen + clen, true);
      } else if (out.kind === CommandKind.SET_LIMITS) {
        this.text = this.buf.toString('utf8', p, p + plen);
      }
    }
    this.batchOff = off + COMMAND_RECORD_SIZE + paddedPayload(plen);
    this.batchIndex++;
    this.records++;
    return true;
  }

  *[Symbol.iterator](): Iterator<CommandRecord> {
    const rec = this.iterRecord;
    try {
      while (this.next(rec)) yield rec;
    } finally {
      this.close();
    }
  }

  /** Reads (and verifies) the rest of the log without returning records; returns this. */
  scan(): this {
    try {
      while (!this.done) {
        if (this.loadBatch()) {
          this.records += this.batchCount - this.batchIndex;
          this.batchIndex = this.batchCount;
        }
      }
    } finally {
      this.close();
    }
    return this;
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private finish(): void {
    this.done = true;
    this.close();
  }

  private torn(bytes: number): false {
    this.tornBatches = 1;
    this.tornBytes = bytes;
    this.finish();
    return false;
  }

  /** Loads and verifies the batch at `pos`; false at the end (or a torn tail). */
  private loadBatch(): boolean {
    const at = this.pos;
    const remaining = this.fileSize - at;
    if (remaining === 0) {
      this.finish();
      return false;
    }
    if (remaining < BATCH_HEADER_SIZE) return this.torn(remaining);
    const h = this.header;
    this.readAt(h, BATCH_HEADER_SIZE, at);
    const count = h.readUInt32LE(4);
    const firstSeq = h.readDoubleLE(8);
    if (!batchHeaderValid(h) || count === 0 || count > MAX_BATCH_RECORDS) {
      if (this.zeroTail(at)) return this.torn(remaining);
      throw corrupt(this.path, at, 'bad batch header');
    }
    const bytes = h.readUInt32LE(16);
    const len = BATCH_HEADER_SIZE + bytes;
    if (bytes < count * COMMAND_RECORD_SIZE)
      throw corrupt(this.path, at, 'batch length shorter than its records');
    if (len > remaining) return this.torn(remaining);
    if (this.buf.length < bytes) {
      this.buf = Buffer.alloc(bytes);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    this.readAt(this.buf, bytes, at + BATCH_HEADER_SIZE);
    if (batchDataCrc(this.buf, bytes) !== h.readUInt32LE(20)) {
      if (len === remaining) return this.torn(remaining);
      throw corrupt(this.path, at, 'batch CRC mismatch');
    }
    const expected = this.lastSeq === 0 ? firstSeq : this.lastSeq + 1;
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 1 || firstSeq !== expected) {
      throw corrupt(this.path, at, `sequence gap: batch starts at ${firstSeq}, expected ${expected}`);
    }
    const v = this.view;
    let off = 0;
    for (let i = 0; i < count; i++) {
      if (off + COMMAND_RECORD_SIZE > bytes) throw corrupt(this.path, at, `record ${i} runs past its batch`);
      if (v.getFloat64(off + 8, true) !== firstSeq + i)
        throw corrupt(this.path, at, `record ${i} out of sequence`);
      if (!isLoggableKind(v.getUint8(off))) throw corrupt(this.path, at, `record ${i} has an unknown kind`);
      off += COMMAND_RECORD_SIZE + paddedPayload(readPayloadLength(v, off));
    }
    if (off !== bytes) throw corrupt(this.path, at, 'records do not fill the batch');
    if (this.firstSeq === 0) this.firstSeq = firstSeq;
    this.lastSeq = firstSeq + count - 1;
    this.batches++;
    this.pos = this.validEnd = at + len;
    this.batchCount = count;
    this.batchIndex = 0;
    this.batchOff = 0;
    return true;
  }

  private zeroTail(from: number): boolean {
    const chunk = Buffer.alloc(64 * 1024);
    for (let p = from; p < this.fileSize; ) {
      const n = Math.min(chunk.length, this.fileSize - p);
      this.readAt(chunk, n, p);
      for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
      p += n;
    }
    return true;
  }

  private readAt(into: Buffer, len: number, position: number): void {
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, into, got, len - got, position + got);
      if (n === 0) throw corrupt(this.path, position + got, 'unexpected end of file');
      got += n;
    }
  }
}

/** Opens a log for reading; iterate it, or call `next(rec)`, or `scan()`. */
export function readInputLog(path: string): InputLogReader {
  return new InputLogReader(path);
}

/** Summary of a whole log (verified): counts, last seq, torn tail, valid end. */
export function scanInputLog(path: string): InputLogReader {
  return new InputLogReader(path).scan();
}
