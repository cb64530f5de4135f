/**
 * Appends sequenced commands to an input log (format: sequencing/input-log-format.ts).
 * `append*` assigns the next sequence number, encodes the record (and its payload: account
 * name, clientOrderId, limits JSON) into the current batch buffer (no allocation) and
 * returns the seq. A batch is written with one write() once it is full (by the next
 * append) or on `flush()` / `flushSync()`. A failed write throws, cuts any partial batch
 * off the file and keeps the records buffered for the next attempt. Writes go to the page
 * cache synchronously (a few microseconds per batch); with `fsync: true` the durability
 * point is flush(): `flushSync()` fdatasyncs inline, `flush()` returns a Promise resolved
 * once an fdatasync that began after the call has completed; concurrent flush() calls
 * share one fdatasync (group commit). `syncedOffset` is the file length the last completed
 * fdatasync covers (what a power loss cannot take away). A failed fdatasync poisons the
 * writer (the kernel may have dropped the pages): every later append and flush throws
 * TRD_ERR_JOURNAL_UNAVAILABLE until the process restarts and recovers from the disk.
 *
 * Opening an existing log verifies it, truncates a torn tail and resumes the sequence; a
 * new file is fdatasynced and its directory fsynced.
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { TradingError, TradingErrorCode } from '../errors.ts';
import {
  COMMAND_RECORD_SIZE,
  CommandKind,
  type CommandRecord,
  encodeCancel,
  encodeCommand,
  encodeControl,
  encodeNewOrder,
  encodeSetLastPrice,
  epochMicros,
  isLoggableKind,
  paddedPayload,
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
import { fdatasyncOffPool } from './sync-thread.ts';

export interface InputLogWriterOptions {
  /** Records per batch (default 1024). */
  batchRecords?: number;
  /** fsync on flush()/flushSync() (default false: page cache only). */
  fsync?: boolean;
  /** Timestamp source for records, epoch microseconds (default: epochMicros). */
  clock?: () => number;
  /** Seq of the first record when the file is new or empty (default 1; a journal's next segment). */
  nextSeq?: number;
  /**
   * Record `syncedOffset` (u64 LE at byte 0) in `<path>.synced` after every fdatasync, before
   * the waiters are told: what a power-loss simulation may cut the log back to (crash harness).
   */
  syncMarker?: boolean;
}

/** Test hook: return an error to make the next write()/fdatasync fail with it (ENOSPC, EIO). */
export type LogFaultHook = (op: 'write' | 'sync') => NodeJS.ErrnoException | undefined;

/** Bytes reserved per record for payloads (account name + clientOrderId, 2 x (1 + 64), + priceAsked 8, padded). */
const PAYLOAD_SLACK = 144;

const RESOLVED = Promise.resolve();

export class InputLogWriter {
  readonly path: string;
  readonly sequencer: Sequencer;
  readonly batchRecords: number;
  readonly fsync: boolean;
  /** Torn bytes cut off the end of an existing log when it was opened, and where the cut was. */
  readonly truncatedBytes: number;
  truncatedAt = 0;
  /** Seq of the first record in this file (0 = none yet). */
  fileFirstSeq = 0;
  batchesWritten = 0;
  bytesWritten = 0;
  /** Completed fdatasyncs. */
  syncs = 0;
  /** File length covered by the last completed fdatasync (header size before the first). */
  syncedOffset: number;
  /** Failed writes and syncs so far. */
  writeErrors = 0;
  /** Set once an fdatasync failed: the writer refuses everything after it. */
  failure: Error | null = null;
  /** Fault injection for tests (null in production). */
  fault: LogFaultHook | null = null;

  private fd: number;
  private readonly clock: () => number;
  private buf: Buffer;
  private view: DataView;
  private count = 0;
  /** Bytes of records and payloads in the current batch. */
  private dataLen = 0;
  private firstSeq = 0;
  /** Bytes of the file that hold whole batches (where a failed write is cut back to). */
  private fileSize: number;
  private syncing: Promise<void> | null = null;
  private markerFd = -1;
  private readonly marker = Buffer.alloc(8);
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
    this.buf = Buffer.alloc(BATCH_HEADER_SIZE + n * (COMMAND_RECORD_SIZE + PAYLOAD_SLACK));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.syncedOffset = fileSize;
    if (opts.syncMarker === true) {
      this.markerFd = openSync(`${path}.synced`, 'w');
      this.writeMarker();
    }
  }

  private writeMarker(): void {
    if (this.markerFd < 0) return;
    this.marker.writeBigUInt64LE(BigInt(this.syncedOffset), 0);
    writeSync(this.markerFd, this.marker, 0, 8, 0);
  }

  /** Creates the log, or verifies an existing one, cuts a torn tail and resumes after its last seq. */
  static open(path: string, opts: InputLogWriterOptions = {}): InputLogWriter {
    let nextSeq = opts.nextSeq ?? 1;
    let truncated = 0;
    let validEnd = 0;
    let fileFirstSeq = 0;
    if (existsSync(path) && statSync(path).size > 0) {
      const scan = scanInputLog(path);
      if (scan.lastSeq > 0) {
        nextSeq = scan.lastSeq + 1;
        fileFirstSeq = scan.firstSeq;
      }
      validEnd = scan.validEnd;
      truncated = scan.fileSize - validEnd;
    }
    const created = !existsSync(path);
    const fd = openSync(path, 'a');
    try {
      if (truncated > 0) {
        ftruncateSync(fd, validEnd);
        if (opts.fsync) fdatasyncSync(fd);
      }
      if (validEnd === 0) {
        const header = Buffer.alloc(FILE_HEADER_SIZE);
        encodeFileHeader(header, epochMicros());
        writeFully(fd, header, FILE_HEADER_SIZE);
        if (opts.fsync) fdatasyncSync(fd);
      }
      if (created && opts.fsync) fsyncDir(dirname(path));
      const size = validEnd === 0 ? FILE_HEADER_SIZE : validEnd;
      const w = new InputLogWriter(path, fd, size, new Sequencer(nextSeq), truncated, opts);
      w.fileFirstSeq = fileFirstSeq;
      w.truncatedAt = truncated > 0 ? validEnd : 0;
      return w;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The writer's clock: epoch microseconds for the next record. */
  now(): number {
    return this.clock();
  }

  /** Last seq assigned (0 = none). */
  get lastSeq(): number {
    return this.sequencer.lastSeq;
  }

  /** Records appended but not yet written. */
  get pendingRecords(): number {
    return this.count;
  }

  /**
   * A NEW_ORDER. `accountName` and `clientOrderId` (printable ASCII, <= 255 bytes each;
   * '' = none) and `priceAsked` (an off-tick price as sent, before rounding; 0 = none) ride
   * in the record's payload so that a restart restores them.
   */
  appendNewOrder(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
    timestamp = this.clock(),
    accountName = '',
    clientOrderId = '',
    priceAsked = 0,
  ): number {
    const asked = priceAsked > 0 && Number.isFinite(priceAsked);
    const plen =
      accountName === '' && clientOrderId === '' && !asked
        ? 0
        : 2 + accountName.length + clientOrderId.length + (asked ? 8 : 0);
    const seq = this.begin(plen);
    const off = this.slot();
    encodeNewOrder(this.view, off, seq, timestamp, book, side, type, priceTicks, qty, account);
    if (plen > 0) {
      const b = this.buf;
      let p = off + COMMAND_RECORD_SIZE;
      b[p++] = accountName.length;
      p += b.write(accountName, p, 'latin1');
      b[p++] = clientOrderId.length;
      p += b.write(clientOrderId, p, 'latin1');
      if (asked) this.view.setFloat64(p, priceAsked, true);
      this.view.setUint32(off + 44, plen, true);
    }
    this.end(plen);
    return seq;
  }

  appendCancel(orderId: number, timestamp = this.clock(), reason = 0): number {
    const seq = this.begin(0);
    encodeCancel(this.view, this.slot(), seq, timestamp, orderId, reason);
    this.end(0);
    return seq;
  }

  appendSetLastPrice(book: number, priceTicks: number, timestamp = this.clock()): number {
    const seq = this.begin(0);
    encodeSetLastPrice(this.view, this.slot(), seq, timestamp, book, priceTicks);
    this.end(0);
    return seq;
  }

  /** SET_LIMITS: the risk limits now in force, as JSON (`JSON.stringify` of RiskLimits). */
  appendLimits(json: string, timestamp = this.clock()): number {
    const plen = Buffer.byteLength(json, 'utf8');
    const seq = this.begin(plen);
    const off = this.slot();
    encodeControl(this.view, off, CommandKind.SET_LIMITS);
    this.view.setFloat64(off + 8, seq, true);
    this.view.setFloat64(off + 16, timestamp, true);
    this.buf.write(json, off + COMMAND_RECORD_SIZE, 'utf8');
    this.view.setUint32(off + 44, plen, true);
    this.end(plen);
    return seq;
  }

  /** Appends a decoded record; assigns (and stores in `rec.seq`) its seq; keeps its timestamp. */
  appendRecord(rec: CommandRecord): number {
    if (!isLoggableKind(rec.kind)) {
      throw new TradingError(TradingErrorCode.INTERNAL, `command kind ${rec.kind} cannot be logged`);
    }
    if (rec.kind === CommandKind.SET_LIMITS) {
      throw new TradingError(TradingErrorCode.INTERNAL, 'SET_LIMITS is appended with appendLimits(json)');
    }
    const seq = this.begin(0);
    rec.seq = seq;
    encodeCommand(this.view, this.slot(), rec);
    this.end(0);
    return seq;
  }

  /** Unwritten or unsynced records exist (a flush would do something). */
  get dirty(): boolean {
    return this.count > 0 || (this.fsync && this.syncedOffset < this.fileSize);
  }

  /** Bytes of whole batches in the file. */
  get writtenOffset(): number {
    return this.fileSize;
  }

  /** Writes the partial batch now; fdatasyncs inline if `fsync` (or `sync`: before a snapshot). */
  flushSync(sync = this.fsync): void {
    this.writeBatch();
    if (sync && !this.closed && this.syncedOffset < this.fileSize) {
      const upto = this.fileSize;
      const f = this.fault?.('sync');
      try {
        if (f !== undefined) throw f;
        fdatasyncSync(this.fd);
      } catch (err) {
        this.poison(err as Error);
        throw this.failure;
      }
      this.syncs++;
      this.syncedOffset = upto;
      this.writeMarker();
    }
  }

  /** Writes the partial batch; resolves once it is durable (group commit when `fsync`). */
  flush(): Promise<void> {
    try {
      this.writeBatch();
    } catch (err) {
      return Promise.reject(err);
    }
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
    try {
      await this.flush();
    } finally {
      this.closeSync();
    }
  }

  /**
   * Writes what is buffered (fsync if configured) and closes the file. The file is closed
   * even when that last write fails (the error is rethrown after).
   */
  closeSync(): void {
    if (this.closed) return;
    let failure: unknown = null;
    try {
      this.flushSync();
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    const fd = this.fd;
    this.fd = -1;
    if (this.markerFd >= 0) {
      closeSync(this.markerFd);
      this.markerFd = -1;
    }
    // An fsync of flush() may still be running on this fd: close it after that.
    const pending = this.queued ?? this.syncing;
    if (pending === null) closeSync(fd);
    else
      pending.then(
        () => closeSync(fd),
        () => closeSync(fd),
      );
    if (failure !== null) throw failure;
  }

  private startSync(): Promise<void> {
    if (this.closed) return RESOLVED;
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.syncedOffset >= this.fileSize) return RESOLVED;
    const upto = this.fileSize;
    const p = new Promise<void>((resolve, reject) => {
      const done = (err: Error | null) => {
        this.syncing = null;
        if (err) {
          this.poison(err);
          reject(this.failure);
        } else {
          this.syncs++;
          if (upto > this.syncedOffset) this.syncedOffset = upto;
          this.writeMarker();
          resolve();
        }
      };
      const f = this.fault?.('sync');
      if (f !== undefined) setImmediate(done, f);
      else fdatasyncOffPool(this.fd, done);
    });
    this.syncing = p;
    return p;
  }

  private poison(err: Error): void {
    this.writeErrors++;
    this.failure ??= new TradingError(
      TradingErrorCode.JOURNAL_UNAVAILABLE,
      `input log ${this.path}: fdatasync failed (${(err as NodeJS.ErrnoException).code ?? err.message}); the journal refuses new commands until a restart`,
    );
  }

  private begin(payload: number): number {
    if (this.closed)
      throw new TradingError(TradingErrorCode.SHUTTING_DOWN, `input log ${this.path} is closed`);
    if (this.failure !== null) throw this.failure;
    // A full batch is written before a record is added, so a failed write refuses this
    // command (no seq taken) instead of losing one the caller believes accepted.
    const need = COMMAND_RECORD_SIZE + paddedPayload(payload);
    if (this.count === this.batchRecords || BATCH_HEADER_SIZE + this.dataLen + need > this.buf.length) {
      this.writeBatch();
    }
    if (BATCH_HEADER_SIZE + need > this.buf.length) {
      this.buf = Buffer.alloc(BATCH_HEADER_SIZE + need);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    const seq = this.sequencer.next();
    if (this.count === 0) this.firstSeq = seq;
    if (this.fileFirstSeq === 0) this.fileFirstSeq = seq;
    return seq;
  }

  private slot(): number {
    return BATCH_HEADER_SIZE + this.dataLen;
  }

  private end(payload: number): void {
    const padded = paddedPayload(payload);
    if (padded > payload)
      this.buf.fill(
        0,
        this.slot() + COMMAND_RECORD_SIZE + payload,
        this.slot() + COMMAND_RECORD_SIZE + padded,
      );
    this.dataLen += COMMAND_RECORD_SIZE + padded;
    this.count++;
  }

  /** Writes the buffered batch; on failure cuts any partial write off and keeps the batch buffered. */
  private writeBatch(): void {
    if (this.count === 0 || this.closed) return;
    if (this.failure !== null) throw this.failure;
    const len = sealBatch(this.buf, this.count, this.firstSeq, this.dataLen);
    try {
      const f = this.fault?.('write');
      if (f !== undefined) throw f;
      writeFully(this.fd, this.buf, len);
    } catch (err) {
      this.writeErrors++;
      try {
        ftruncateSync(this.fd, this.fileSize);
      } catch {
        // the file keeps a partial batch: the reader cuts it as a torn tail
      }
      throw journalError(this.path, err as Error);
    }
    this.fileSize += len;
    this.count = 0;
    this.dataLen = 0;
    this.batchesWritten++;
    this.bytesWritten += len;
  }
}

function journalError(path: string, err: Error): TradingError {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  const e = new TradingError(
    TradingErrorCode.JOURNAL_UNAVAILABLE,
    `input log ${path}: write failed (${code})`,
  );
  e.cause = err;
  return e;
}

function writeFully(fd: number, buf: Buffer, len: number): void {
  let done = 0;
  while (done < len) done += writeSync(fd, buf, done, len - done);
}

/** fsyncs a directory so that a file created or renamed in it survives a power loss. */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory: nothing more can be done
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
