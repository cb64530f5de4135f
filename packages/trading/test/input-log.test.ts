import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OrderType, Side } from '../src/domain/enums.ts';
import { TradingErrorCode } from '../src/errors.ts';
import { COMMAND_RECORD_SIZE, CommandKind, CommandRecord } from '../src/sequencing/command-codec.ts';
import { BATCH_HEADER_SIZE, FILE_HEADER_SIZE } from '../src/sequencing/input-log-format.ts';
import { readInputLog, scanInputLog } from '../src/sequencing/input-log-reader.ts';
import { InputLogWriter } from '../src/sequencing/input-log-writer.ts';
import { Sequencer } from '../src/sequencing/sequencer.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `log-${n++}.bin`);
const BATCH = 7;
const batchBytes = (count: number) => BATCH_HEADER_SIZE + count * COMMAND_RECORD_SIZE;

/** Writes `count` commands cycling through the three kinds, batches of 7; returns the path. */
function writeLog(count: number, path = fresh(), opts: { fsync?: boolean } = {}): string {
  const w = InputLogWriter.open(path, { batchRecords: BATCH, clock: () => 1000, ...opts });
  for (let i = 0; i < count; i++) append(w, i);
  w.closeSync();
  return path;
}

function append(w: InputLogWriter, i: number): number {
  if (i % 3 === 0) return w.appendNewOrder(i % 5, Side.BUY, OrderType.LIMIT, 10_000 + i, 1 + i, i % 4);
  if (i % 3 === 1) return w.appendCancel(16_777_216 + i);
  return w.appendSetLastPrice(2, 9_000 + i);
}

function readAll(path: string): { recs: CommandRecord[]; reader: ReturnType<typeof readInputLog> } {
  const reader = readInputLog(path);
  const recs: CommandRecord[] = [];
  for (const r of reader) recs.push(new CommandRecord().copyFrom(r)); // the iterator reuses one record
  return { recs, reader };
}

function corruptCode(fn: () => unknown): void {
  assert.throws(fn, (e: { code?: string }) => e.code === TradingErrorCode.LOG_CORRUPT);
}

describe('input log writer and reader', () => {
  it('writes full batches on its own, a partial one on close, and reads every command back', () => {
    const path = fresh();
    const w = InputLogWriter.open(path, { batchRecords: BATCH, clock: () => 1000 });
    const seqs: number[] = [];
    for (let i = 0; i < 20; i++) seqs.push(append(w, i));
    assert.deepEqual(
      seqs,
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(w.batchesWritten, 2);
    assert.equal(w.pendingRecords, 6);
    assert.equal(statSync(path).size, FILE_HEADER_SIZE + 2 * batchBytes(7));
    w.closeSync();
    assert.equal(statSync(path).size, FILE_HEADER_SIZE + 2 * batchBytes(7) + batchBytes(6));
    const { recs, reader } = readAll(path);
    assert.equal(recs.length, 20);
    assert.deepEqual([reader.batches, reader.firstSeq, reader.lastSeq, reader.tornBatches], [3, 1, 20, 0]);
    recs.forEach((r, i) => {
      assert.equal(r.seq, i + 1);
      assert.equal(r.timestamp, 1000);
      assert.equal(r.kind, [CommandKind.NEW_ORDER, CommandKind.CANCEL, CommandKind.SET_LAST_PRICE][i % 3]);
    });
    assert.deepEqual([recs[3].book, recs[3].priceTicks, recs[3].qty, recs[3].account], [3, 10_003, 4, 3]);
    assert.equal(recs[4].orderId, 16_777_216 + 4);
    assert.deepEqual([recs[5].book, recs[5].priceTicks], [2, 9_005]);
    assert.throws(
      () => w.appendCancel(1),
      (e: { code?: string }) => e.code === TradingErrorCode.SHUTTING_DOWN,
    );
  });

  it('flush() and flushSync() write the partial batch; concurrent fsync flushes share a group commit', async () => {
    const path = fresh();
    const w = InputLogWriter.open(path, { batchRecords: 100, fsync: true });
    append(w, 0);
    w.flushSync();
    append(w, 1);
    const a = w.flush();
    append(w, 2);
    const b = w.flush();
    append(w, 3);
    const c = w.flush();
    assert.equal(b, c, 'flushes issued while an fsync runs join one follow-up fsync');
    await Promise.all([a, b, c]);
    assert.equal(w.batchesWritten, 4);
    assert.equal(scanInputLog(path).records, 4);
    await w.close();
    await w.close();
    assert.equal(readInputLog(path).scan().lastSeq, 4);
  });

  it('reads an empty log and a header-only log', () => {
    const empty = fresh();
    writeFileSync(empty, '');
    assert.deepEqual([scanInputLog(empty).records, scanInputLog(empty).lastSeq], [0, 0]);
    const headerOnly = writeLog(0);
    assert.equal(statSync(headerOnly).size, FILE_HEADER_SIZE);
    assert.deepEqual([scanInputLog(headerOnly).records, scanInputLog(headerOnly).tornBatches], [0, 0]);
  });

  it('ignores and reports a torn final batch, wherever the write stopped', () => {
    const full = FILE_HEADER_SIZE + 2 * batchBytes(7) + batchBytes(6); // 20 records
    const lastStart = FILE_HEADER_SIZE + 2 * batchBytes(7);
    for (const cut of [
      lastStart + 5,
      lastStart + BATCH_HEADER_SIZE,
      lastStart + BATCH_HEADER_SIZE + 50,
      full - 1,
    ]) {
      const path = writeLog(20);
      truncateSync(path, cut);
      const { recs, reader } = readAll(path);
      assert.equal(recs.length, 14, `cut at ${cut}`);
      assert.deepEqual([reader.tornBatches, reader.tornBytes, reader.lastSeq], [1, cut - lastStart, 14]);
      assert.equal(reader.validEnd, lastStart);
    }
    // A final batch of full length whose bytes did not all reach the disk (bad CRC).
    const badTail = writeLog(20);
    flipByte(badTail, full - 3);
    assert.deepEqual([scanInputLog(badTail).records, scanInputLog(badTail).tornBatches], [14, 1]);
    // A zero-filled tail (file extended, data never written).
    const zeros = writeLog(14);
    const fd = openSync(zeros, 'a');
    writeSync(fd, Buffer.alloc(100));
    closeSync(fd);
    assert.deepEqual([scanInputLog(zeros).records, scanInputLog(zeros).tornBytes], [14, 100]);
  });

  it('throws TRD_ERR_LOG_CORRUPT for corruption before the final batch', () => {
    const first = FILE_HEADER_SIZE;
    for (const at of [
      first + 2,
      first + 4,
      first + 9,
      first + BATCH_HEADER_SIZE + 30,
      first + batchBytes(7) + 40,
    ]) {
      const path = writeLog(20);
      flipByte(path, at);
      corruptCode(() => scanInputLog(path));
      // Iteration throws too, before handing out a record of the bad batch.
      corruptCode(() => [...readInputLog(path)]);
    }
    const notALog = fresh();
    writeFileSync(notALog, Buffer.alloc(64, 1));
    corruptCode(() => readInputLog(notALog));
    const badHeader = writeLog(3);
    flipByte(badHeader, 9); // version
    corruptCode(() => readInputLog(badHeader));
  });

  it('detects a sequence gap between batches even with valid CRCs', () => {
    const a = writeLog(7);
    const b = fresh();
    const w = InputLogWriter.open(b, { batchRecords: BATCH });
    for (let i = 0; i < 15; i++) append(w, i);
    w.closeSync();
    // Splice batch 3 of b (seqs 15..) after batch 1 of a (seqs 1..7): a gap of 7.
    const bytesB = readFileSync(b);
    const third = bytesB.subarray(FILE_HEADER_SIZE + 2 * batchBytes(7));
    const fd = openSync(a, 'a');
    writeSync(fd, third);
    writeSync(fd, third);
    closeSync(fd);
    corruptCode(() => scanInputLog(a));
  });
});

describe('sequencer and resume', () => {
  it('assigns gapless numbers and resumes after the last seq of a log', () => {
    const s = new Sequencer();
    assert.deepEqual([s.lastSeq, s.next(), s.next(), s.peek(), s.lastSeq], [0, 1, 2, 3, 2]);
    assert.throws(
      () => new Sequencer(0),
      (e: { code?: string }) => e.code === TradingErrorCode.INVALID_CONFIG,
    );
    assert.equal(Sequencer.fromLog(join(dir, 'missing.bin')).peek(), 1);
    const path = writeLog(20);
    assert.equal(Sequencer.fromLog(path).peek(), 21);
  });

  it('a reopened writer cuts a torn tail and continues the sequence without a gap', () => {
    const path = writeLog(20);
    truncateSync(path, statSync(path).size - 10);
    const w = InputLogWriter.open(path, { batchRecords: BATCH });
    assert.equal(w.truncatedBytes, batchBytes(6) - 10);
    assert.equal(w.lastSeq, 14);
    assert.equal(append(w, 0), 15);
    for (let i = 1; i < 10; i++) append(w, i);
    w.closeSync();
    const { recs, reader } = readAll(path);
    assert.deepEqual(
      recs.map((r) => r.seq),
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    assert.equal(reader.tornBatches, 0);
  });

  it('opening a corrupt log for append refuses to touch it', () => {
    const path = writeLog(20);
    flipByte(path, FILE_HEADER_SIZE + 40);
    const before = readFileSync(path);
    corruptCode(() => InputLogWriter.open(path));
    assert.deepEqual(readFileSync(path), before);
  });
});

function flipByte(path: string, at: number): void {
  const buf = readFileSync(path);
  buf[at] ^= 0x5a;
  writeFileSync(path, buf);
}
