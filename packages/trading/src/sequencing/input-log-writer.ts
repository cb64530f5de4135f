/**
 * Appends sequenced commands to an input log (format: sequencing/input-log-format.ts).
 * `append*` assigns the next sequence number, encodes the record into the current batch
 * buffer (no allocation) and returns the seq. A batch is written with one write() once it
 * is full (by the next append) or on `flush()` / `flushSync()`. A failed write throws, cuts
 * any partial batch off the file and keeps the records buffered for the next attempt. Writes go to the page cache synchronously
 * (a few microseconds per batch); with `fsync: true` the durability point is flush():
 * `flushSync()` fsyncs inline, `flush()` returns a Promise resolved once an fsync that
 * began after the call has completed; concurrent flush() calls share one fsync (group commit).
 *
 * Opening an existing log verifies it, truncates a torn tail and resumes the sequence.
 */
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  openSync,
  statSync,
  writeSync,
} from 'node:fs';
import { TradingError, TradingErrorCode } from '../errors.ts';
import {
  COMMAND_RECORD_SIZE,
  type CommandRecord,
  encodeCancel,
  encodeCommand,
  encodeNewOrder,
  encodeSetLastPrice,
  epochMicros,
  isLoggableKind,
} from './command-codec.ts';
import {
  BATCH_HEADER_SIZE,
  DEFAULT_BATCH_RECORDS,
  encodeFileHeader,
  FILE_HEADER_SIZE,
  MAX_BATCH_RECORDS,
  sealBatch,
} from './input-log-format.ts';
import { scanInputLog } from './input-log-reader.ts';
import { Sequencer } from './sequencer.ts';

export interface InputLogWriterOptions {
  /** Records per batch (default 1024). */
  batchRecords?: number;
  /** fsync on flush()/flushSync() (default false: page cache only). */
  fsync?: boolean;
  /** Timestamp source for records, epoch microseconds (default: epochMicros). */
  clock?: () => number;
}

const RESOLVED = Promise.resolve();

export class InputLogWriter {
  readonly path: string;
  readonly sequencer: Sequencer;
  readonly batchRecords: number;
  readonly fsync: boolean;
  /** Torn bytes cut off the end of an existing log when it was opened. */
  readonly truncatedBytes: number;
  batchesWritten = 0;
  bytesWritten = 0;

  private fd: number;
  private readonly clock: () => number;
  private readonly buf: Buffer;
  private readonly view: DataView;
  private count = 0;
  private firstSeq = 0;
  /** Bytes of the file that hold whole batches (where a failed write is cut back to). */
  private fileSize: number;
  private syncing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private closed = false;

  private constructor(
    path: string,
    fd: number,
    fileSize: number,
    seq: Sequencer,
    truncated: number,
    opts: InputLogWriterOptions,
  ) {
    const n = opts.batchRecords ?? DEFAULT_BATCH_RECORDS;
    if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_RECORDS) {
      throw new TradingError(TradingErrorCode.INVALID_CONFIG, `batchRecords must be 1..${MAX_BATCH_RECORDS}`);
    }
    this.path = path;
    this.fd = fd;
    this.fileSize = fileSize;
    this.sequencer = seq;
    this.truncatedBytes = truncated;
    this.batchRecords = n;
    this.fsync = opts.fsync ?? false;
    this.clock = opts.clock ?? epochMicros;
    this.buf = Buffer.alloc(BATCH_HEADER_SIZE + n * COMMAND_RECORD_SIZE);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Creates the log, or verifies an existing one, cuts a torn tail and resumes after its last seq. */
  static open(path: string, opts: InputLogWriterOptions = {}): InputLogWriter {
    let nextSeq = 1;
    let truncated = 0;
    let validEnd = 0;
    if (existsSync(path) && statSync(path).size > 0) {
      const scan = scanInputLog(path);
      nextSeq = scan.lastSeq + 1;
      validEnd = scan.validEnd;
      truncated = scan.fileSize - validEnd;
    }
    const fd = openSync(path, 'a');
    try {
      if (truncated > 0) ftruncateSync(fd, validEnd);
      if (validEnd === 0) {
        const header = Buffer.alloc(FILE_HEADER_SIZE);
        encodeFileHeader(header, epochMicros());
        writeFully(fd, header, FILE_HEADER_SIZE);
        if (opts.fsync) fsyncSync(fd);
      }
      const size = validEnd === 0 ? FILE_HEADER_SIZE : validEnd;
      return new InputLogWriter(path, fd, size, new Sequencer(nextSeq), truncated, opts);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Last seq assigned (0 = none). */
  get lastSeq(): number {
    return this.sequencer.lastSeq;
  }

  /** Records appended but not yet written. */
  get pendingRecords(): number {
    return this.count;
  }

  appendNewOrder(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
    timestamp = this.clock(),
  ): number {
    const seq = this.begin();
    encodeNewOrder(this.view, this.slot(), seq, timestamp, book, side, type, priceTicks, qty, account);
    this.end();
    return seq;
  }

  appendCancel(orderId: number, timestamp = this.clock()): number {
    const seq = this.begin();
    encodeCancel(this.view, this.slot(), seq, timestamp, orderId);
    this.end();
    return seq;
  }

  appendSetLastPrice(book: number, priceTicks: number, timestamp = this.clock()): number {
    const seq = this.begin();
    encodeSetLastPrice(this.view, this.slot(), seq, timestamp, book, priceTicks);
    this.end();
    return seq;
  }

  /** Appends a decoded record; assigns (and stores in `rec.seq`) its seq; keeps its timestamp. */
  appendRecord(rec: CommandRecord): number {
    if (!isLoggableKind(rec.kind)) {
      throw new TradingError(TradingErrorCode.INTERNAL, `command kind ${rec.kind} cannot be logged`);
    }
    const seq = this.begin();
    rec.seq = seq;
    encodeCommand(this.view, this.slot(), rec);
    this.end();
    return seq;
  }

  /** Writes the partial batch now; fsyncs inline if `fsync`. */
  flushSync(): void {
    this.writeBatch();
    if (this.fsync && !this.closed) fsyncSync(this.fd);
  }

  /** Writes the partial batch; resolves once it is durable (group commit when `fsync`). */
  flush(): Promise<void> {
    this.writeBatch();
    if (!this.fsync || this.closed) return RESOLVED;
    if (this.syncing === null) return this.startSync();
    // An fsync is running, but it may predate our write: join the next one.
    if (this.queued === null) {
      const next = () => {
        this.queued = null;
        return this.startSync();
      };
      this.queued = this.syncing.then(next, next);
    }
    return this.queued;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closeSync();
  }

  /** Writes what is buffered (fsync if configured) and closes the file. */
  closeSync(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    const fd = this.fd;
    this.fd = -1;
    // An fsync of flush() may still be running on this fd: close it after that.
    const pending = this.queued ?? this.syncing;
    if (pending === null) closeSync(fd);
    else
      pending.then(
        () => closeSync(fd),
        () => closeSync(fd),
      );
  }

  private startSync(): Promise<void> {
    if (this.closed) return RESOLVED;
    const p = new Promise<void>((resolve, reject) => {
      fsync(this.fd, (err) => {
        this.syncing = null;
        if (err) reject(err);
        else resolve();
      });
    });
    this.syncing = p;
    return p;
  }

  private begin(): number {
    if (this.closed)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, `input log ${this.path} is closed`);
    // A full batch is written before a record is added, so a failed write refuses this
    // command (no seq taken) instead of losing one the caller believes accepted.
    if (this.count === this.batchRecords) this.writeBatch();
    const seq = this.sequencer.next();
    if (this.count === 0) this.firstSeq = seq;
    return seq;
  }

  private slot(): number {
    return BATCH_HEADER_SIZE + this.count * COMMAND_RECORD_SIZE;
  }

  private end(): void {
    this.count++;
  }

  /** Writes the buffered batch; on failure cuts any partial write off and keeps the batch buffered. */
  private writeBatch(): void {
    if (this.count === 0 || this.closed) return;
    const len = sealBatch(this.buf, this.count, this.firstSeq);
    try {
      writeFully(this.fd, this.buf, len);
    } catch (err) {
      ftruncateSync(this.fd, this.fileSize);
      throw err;
    }
    this.fileSize += len;
    this.count = 0;
    this.batchesWritten++;
    this.bytesWritten += len;
  }
}

function writeFully(fd: number, buf: Buffer, len: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, buf, done, len - done);
}
