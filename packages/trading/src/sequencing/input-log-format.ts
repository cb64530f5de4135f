/**
 * The input log: the append-only binary file of every command a matcher shard accepted,
 * in sequence order. Replaying it into a fresh engine rebuilds the same books, orders and
 * fills (the engine is deterministic). All integers little-endian. (Also in docs/input-log.md.)
 *
 * File = file header, then zero or more batches. Nothing is ever rewritten in place; a
 * writer only appends whole batches (one write() each).
 *
 * File header (32 bytes):
 *   0   8  magic        ASCII "TKSINLOG"
 *   8   2  u16 version  2 (version 1: 24-byte batch headers, no payloads; no longer written or read)
 *  10   2  u16 header   32 (file header size)
 *  12   4  u32 record   48 (command record size, sequencing/command-codec.ts)
 *  16   8  f64 created  epoch microseconds at creation (informational)
 *  24   4  u32 reserved 0
 *  28   4  u32 crc      CRC-32 (zlib.crc32) of bytes 0..27
 *
 * Batch = batch header (32 bytes) then `count` records, each 48 bytes followed by its
 * payload (u32 at record offset 44 = payload bytes, stored padded to a multiple of 8):
 *   0   4  u32 magic    0x32435442 ("BTC2" as bytes 42 54 43 32)
 *   4   4  u32 count    records in the batch, 1..MAX_BATCH_RECORDS
 *   8   8  f64 firstSeq sequence number of the first record (exact integer)
 *  16   4  u32 dataLen  bytes of records and payloads after the header
 *  20   4  u32 dataCrc  CRC-32 of those dataLen bytes
 *  24   4  u32 reserved 0
 *  28   4  u32 hdrCrc   CRC-32 of batch header bytes 0..27
 *
 * Invariants checked by the reader: record i of a batch has seq firstSeq + i; each batch's
 * firstSeq is the previous batch's last seq + 1 (gapless); kinds are 1..4; the records
 * and their payloads fill dataLen exactly.
 *
 * Recovery rule. A crash can leave the final batch incomplete (a write stops at a prefix).
 * The final batch is "torn", reported (count and bytes) and not applied, when: fewer than
 * 24 bytes remain; or its header is valid (magic, hdrCrc) but its records run past end of
 * file; or it ends exactly at end of file and fails its dataCrc; or its header is invalid
 * and every remaining byte is zero (a zero-filled tail). Any other bad batch (bad header
 * with data after it, bad dataCrc with data after it, a sequence gap) is corruption:
 * TRD_ERR_LOG_CORRUPT. The header CRC is what keeps a corrupted count in the middle of
 * the file from passing for a torn tail. A writer that
 * reopens a log truncates a torn tail before appending. A file shorter than its header is
 * an empty log.
 */
import { crc32 } from 'node:zlib';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { COMMAND_RECORD_SIZE } from './command-codec.ts';

export const LOG_MAGIC = 'TKSINLOG';
export const LOG_VERSION = 2;
export const FILE_HEADER_SIZE = 32;
export const BATCH_HEADER_SIZE = 32;
export const BATCH_MAGIC = 0x32435442;
export const MAX_BATCH_RECORDS = 1 << 20;
export const DEFAULT_BATCH_RECORDS = 1024;

export function corrupt(path: string, at: number, what: string): TradingError {
  return new TradingError(TradingErrorCode.LOG_CORRUPT, `input log ${path}: ${what} at byte ${at}`);
}

export function encodeFileHeader(buf: Buffer, createdMicros: number): void {
  buf.fill(0, 0, FILE_HEADER_SIZE);
  buf.write(LOG_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(LOG_VERSION, 8);
  buf.writeUInt16LE(FILE_HEADER_SIZE, 10);
  buf.writeUInt32LE(COMMAND_RECORD_SIZE, 12);
  buf.writeDoubleLE(createdMicros, 16);
  buf.writeUInt32LE(crc32(buf.subarray(0, 28)), 28);
}

/** Throws TRD_ERR_LOG_CORRUPT unless `buf` starts with a valid version-2 file header. */
export function verifyFileHeader(buf: Buffer, path: string): void {
  if (buf.length < FILE_HEADER_SIZE || buf.toString('latin1', 0, 8) !== LOG_MAGIC) {
    throw corrupt(path, 0, 'bad magic (not a Tickstorm input log)');
  }
  if (buf.readUInt32LE(28) !== crc32(buf.subarray(0, 28))) throw corrupt(path, 0, 'file header CRC mismatch');
  const version = buf.readUInt16LE(8);
  if (version !== LOG_VERSION) throw corrupt(path, 8, `unsupported version ${version}`);
  const headerSize = buf.readUInt16LE(10);
  if (headerSize !== FILE_HEADER_SIZE) throw corrupt(path, 10, `unexpected header size ${headerSize}`);
  const recordSize = buf.readUInt32LE(12);
  if (recordSize !== COMMAND_RECORD_SIZE) throw corrupt(path, 12, `unexpected record size ${recordSize}`);
}

/**
 * Fills the batch header at `buf[0..32)`; the records (and payloads, `dataLen` bytes) must
 * already be at `buf[32..)`. Returns the batch length.
 */
export function sealBatch(buf: Buffer, count: number, firstSeq: number, dataLen: number): number {
  const len = BATCH_HEADER_SIZE + dataLen;
  buf.writeUInt32LE(BATCH_MAGIC, 0);
  buf.writeUInt32LE(count, 4);
  buf.writeDoubleLE(firstSeq, 8);
  buf.writeUInt32LE(dataLen, 16);
  buf.writeUInt32LE(crc32(buf.subarray(BATCH_HEADER_SIZE, len)), 20);
  buf.writeUInt32LE(0, 24);
  buf.writeUInt32LE(crc32(buf.subarray(0, 28)), 28);
  return len;
}

/** True if a batch header has the magic and a matching header CRC. */
export function batchHeaderValid(header: Buffer): boolean {
  return header.readUInt32LE(0) === BATCH_MAGIC && header.readUInt32LE(28) === crc32(header.subarray(0, 28));
}

/** CRC of the batch data `data[0..dataLen)`, to compare with the header's dataCrc. */
export function batchDataCrc(data: Buffer, dataLen: number): number {
  return crc32(data.subarray(0, dataLen));
}
