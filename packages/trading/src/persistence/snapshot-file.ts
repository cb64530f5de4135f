/**
 * The snapshot container: named, CRC-checked sections, written atomically (temp file,
 * fdatasync, rename, directory fsync) so that a crash leaves either the old set of
 * snapshots or the new one, never a partial file under a snapshot's name.
 *
 *   file header (32 bytes): magic "TKSSNAP1" | u32 version 1 | u32 sections | f64 created
 *                           (epoch ms) | u32 reserved | u32 CRC-32 of bytes 0..27
 *   section (32-byte header, then data padded to 8 bytes):
 *                           name (16 bytes latin1, zero padded) | f64 length | u32 CRC-32 of
 *                           the data | u32 reserved
 *
 * All integers little-endian. A bad header or CRC throws TRD_ERR_LOG_CORRUPT naming the
 * file and the byte offset. Sections start 8-byte aligned so typed arrays view them in place.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { replaceFileDurably } from '../sequencing/durable-file.ts';

const MAGIC = 'TKSSNAP1';
const HEADER = 32;
const SECTION_HEADER = 32;

function corrupt(path: string, at: number, what: string): TradingError {
  return new TradingError(TradingErrorCode.LOG_CORRUPT, `snapshot ${path}: ${what} at byte ${at}`);
}

export type Sections = Map<string, Buffer>;

function bytesOf(data: Buffer | ArrayBufferView | string): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes `sections` to `path` atomically (temp + fdatasync + rename + directory fsync). */
export function writeSnapshotFile(
  path: string,
  sections: Map<string, Buffer | ArrayBufferView | string>,
): number {
  const chunks: Buffer[] = [];
  const head = Buffer.alloc(HEADER);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(1, 8);
  head.writeUInt32LE(sections.size, 12);
  head.writeDoubleLE(Date.now(), 16);
  head.writeUInt32LE(crc32(head.subarray(0, 28)), 28);
  chunks.push(head);
  const zero = Buffer.alloc(8);
  let total = HEADER;
  for (const [name, data] of sections) {
    const b = bytesOf(data);
    const h = Buffer.alloc(SECTION_HEADER);
    if (name.length > 16) throw new TradingError(TradingErrorCode.INTERNAL, `section name ${name} too long`);
    h.write(name, 0, 'latin1');
    h.writeDoubleLE(b.length, 16);
    h.writeUInt32LE(crc32(b), 24);
    chunks.push(h, b);
    const pad = (8 - (b.length % 8)) % 8;
    if (pad > 0) chunks.push(zero.subarray(0, pad));
    total += SECTION_HEADER + b.length + pad;
  }
  replaceFileDurably(path, chunks);
  return total;
}

/** Reads and verifies every section of a snapshot file. */
export function readSnapshotFile(path: string): Sections {
  const buf = readFileSync(path);
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) throw corrupt(path, 0, 'bad magic');
  if (buf.readUInt32LE(28) !== crc32(buf.subarray(0, 28))) throw corrupt(path, 0, 'header CRC mismatch');
  if (buf.readUInt32LE(8) !== 1) throw corrupt(path, 8, `unsupported version ${buf.readUInt32LE(8)}`);
  const n = buf.readUInt32LE(12);
  const out: Sections = new Map();
  let at = HEADER;
  for (let i = 0; i < n; i++) {
    if (at + SECTION_HEADER > buf.length) throw corrupt(path, at, 'truncated section header');
    const name = buf.toString('latin1', at, at + 16).replace(/\0+$/, '');
    const len = buf.readDoubleLE(at + 16);
    const start = at + SECTION_HEADER;
    if (!Number.isSafeInteger(len) || len < 0 || start + len > buf.length) {
      throw corrupt(path, at, `section ${name} runs past the end of the file`);
    }
    const data = buf.subarray(start, start + len);
    if (crc32(data) !== buf.readUInt32LE(at + 24)) throw corrupt(path, at, `section ${name} CRC mismatch`);
    out.set(name, data);
    at = start + len + ((8 - (len % 8)) % 8);
  }
  return out;
}

export function f64View(b: Buffer | undefined): Float64Array {
  if (b === undefined) return new Float64Array(0);
  if (b.byteOffset % 8 === 0) return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
  return new Float64Array(new Uint8Array(b).buffer);
}

export function i32View(b: Buffer | undefined): Int32Array {
  if (b === undefined) return new Int32Array(0);
  if (b.byteOffset % 4 === 0) return new Int32Array(b.buffer, b.byteOffset, b.length / 4);
  return new Int32Array(new Uint8Array(b).buffer);
}

/** Only the first section (meta) of a snapshot, without reading the rest of the file. */
export function readSnapshotMeta(path: string): { lastSeq: number[] } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(HEADER + SECTION_HEADER);
    readSync(fd, head, 0, head.length, 0);
    const len = head.readDoubleLE(HEADER + 16);
    if (!Number.isSafeInteger(len) || len < 0 || len > 1 << 28)
      throw corrupt(path, HEADER, 'bad meta section');
    const data = Buffer.alloc(len);
    readSync(fd, data, 0, len, HEADER + SECTION_HEADER);
    if (crc32(data) !== head.readUInt32LE(HEADER + 24))
      throw corrupt(path, HEADER, 'section meta CRC mismatch');
    return JSON.parse(data.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}
