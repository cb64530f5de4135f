/**
 * The durable state in a data directory:
 *
 *   input-log-<s>.bin                   shard s's active input log (appended to)
 *   input-log-<s>.seg-<firstSeq>.bin    closed segments of shard s (rotated at a snapshot)
 *   snapshot-<n>.tks                    snapshots, n increasing (./snapshot-file.ts)
 *   halted-accounts.json                the kill switch's halted accounts (orders/halted-accounts.ts)
 *   tickstorm.lock                      the owning process (./dir-lock.ts)
 *   previous-<time>/                    state moved aside by `serve --fresh`
 *   fresh-floor                         the order-id generation the last `--fresh` started at (./fresh-floor.ts)
 *   fresh-floor.next                    the same, staged by a `--fresh` before its move (./fresh-floor.ts)
 *
 * Recovery = the newest snapshot, then for every shard the records after the snapshot's
 * seq from its segments and its active log, in seq order, with no gap. Retention keeps
 * the newest `retain` snapshots and the segments the oldest of them still needs.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { CommandRecord } from '../sequencing/command-codec.ts';
import { LOG_MAGIC, LOG_VERSION } from '../sequencing/input-log-format.ts';
import { type InputLogReader, readInputLog } from '../sequencing/input-log-reader.ts';
import { fsyncDir } from '../sequencing/input-log-writer.ts';

const pad = (n: number) => String(n).padStart(16, '0');

export function activeLogPath(dir: string, shard: number): string {
  return join(dir, `input-log-${shard}.bin`);
}

export function segmentPath(dir: string, shard: number, firstSeq: number): string {
  return join(dir, `input-log-${shard}.seg-${pad(firstSeq)}.bin`);
}

export function snapshotPath(dir: string, n: number): string {
  return join(dir, `snapshot-${pad(n)}.tks`);
}

export function haltedAccountsPath(dir: string): string {
  return join(dir, 'halted-accounts.json');
}

export interface SegmentFile {
  path: string;
  firstSeq: number;
}

export function listSegments(dir: string, shard: number): SegmentFile[] {
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^input-log-${shard}\\.seg-(\\d{16})\\.bin$`);
  const out: SegmentFile[] = [];
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m !== null) out.push({ path: join(dir, f), firstSeq: Number(m[1]) });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

export interface SnapshotEntry {
  path: string;
  n: number;
}

export function listSnapshots(dir: string): SnapshotEntry[] {
  if (!existsSync(dir)) return [];
  const out: SnapshotEntry[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^snapshot-(\d{16})\.tks$/.exec(f);
    if (m !== null) out.push({ path: join(dir, f), n: Number(m[1]) });
  }
  return out.sort((a, b) => a.n - b.n);
}

/** Removes snapshot temp files a crash left behind (never renamed, so never valid). */
export function removeTempFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir))
    if (/^(snapshot-\d{16}\.tks|halted-accounts\.json)\.tmp$/.test(f)) rmSync(join(dir, f), { force: true });
}

/** A journal, snapshot or halted-accounts file name (what `--fresh` moves aside and `hasState` looks for). */
export function isStateFile(name: string): boolean {
  return /^(input-log-\d+.*\.bin|snapshot-\d{16}\.tks|halted-accounts\.json)$/.test(name);
}

/** True when the directory holds any journal, snapshot or halted accounts. */
export function hasState(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some(isStateFile);
}

/** `--fresh`: moves every journal, snapshot and the halted accounts into `previous-<time>/`; returns it (or null). */
export function moveStateAside(dir: string): string | null {
  if (!hasState(dir)) return null;
  const aside = join(dir, `previous-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  makeDir(aside);
  for (const f of readdirSync(dir)) {
    if (/^(input-log-\d+.*\.bin(\.synced)?|snapshot-\d{16}\.tks(\.tmp)?|halted-accounts\.json)$/.test(f))
      renameSync(join(dir, f), join(aside, f));
  }
  fsyncDir(aside);
  fsyncDir(dir);
  return aside;
}

/**
 * An input log of the previous format (version 1, before journals were recovered) is kept
 * beside, renamed, so that it neither blocks the start nor gets appended to. Returns the
 * new name, or null when the file is absent or current.
 */
export function keepLegacyLog(path: string): string | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(10);
  let n = 0;
  try {
    n = readSync(fd, b, 0, 10, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 10 || b.toString('latin1', 0, 8) !== LOG_MAGIC) return null;
  const version = b.readUInt16LE(8);
  if (version === LOG_VERSION || version > 1) return null;
  const to = path.replace(/\.bin$/, `.v${version}-${new Date().toISOString().replace(/[:.]/g, '-')}.bin`);
  renameSync(path, to);
  fsyncDir(join(path, '..'));
  return to;
}

export interface JournalReplay {
  /** Last seq applied or skipped (the snapshot's seq when nothing followed it). */
  lastSeq: number;
  records: number;
  /** A torn tail found at the end of the active log: bytes and where it started. */
  tornBytes: number;
  tornAt: number;
  tornFile: string;
}

/**
 * Calls `apply(rec, reader)` for every record of shard `shard` with seq > `afterSeq`, in
 * order, from its segments then its active log. A gap (a record missing between the
 * snapshot and the end) throws TRD_ERR_LOG_CORRUPT naming the file and the offset;
 * so does corruption inside a file (the reader's checks). A torn tail is only acceptable
 * at the end of the last file.
 */
export function replayJournal(
  dir: string,
  shard: number,
  afterSeq: number,
  apply: (rec: CommandRecord, reader: InputLogReader) => void,
): JournalReplay {
  const files = listSegments(dir, shard).map((s) => s.path);
  const active = activeLogPath(dir, shard);
  if (existsSync(active)) files.push(active);
  const out: JournalReplay = { lastSeq: afterSeq, records: 0, tornBytes: 0, tornAt: 0, tornFile: '' };
  const rec = new CommandRecord();
  files.forEach((path, i) => {
    const reader = readInputLog(path);
    reader.skipThrough = afterSeq;
    try {
      while (reader.next(rec)) {
        if (rec.seq <= out.lastSeq) continue;
        if (rec.seq !== out.lastSeq + 1) {
          throw new TradingError(
            TradingErrorCode.LOG_CORRUPT,
            `input log ${path}: journal gap: found seq ${rec.seq}, expected ${out.lastSeq + 1} (batch at byte ${reader.validEnd}, records after the snapshot are missing)`,
          );
        }
        apply(rec, reader);
        out.lastSeq = rec.seq;
        out.records++;
      }
    } finally {
      reader.close();
    }
    if (reader.tornBytes > 0) {
      if (i < files.length - 1) {
        throw new TradingError(
          TradingErrorCode.LOG_CORRUPT,
          `input log ${path}: incomplete batch at byte ${reader.validEnd} in a closed segment`,
        );
      }
      out.tornBytes = reader.tornBytes;
      out.tornAt = reader.validEnd;
      out.tornFile = path;
    }
  });
  return out;
}

/**
 * Deletes snapshots beyond the newest `retain` and the segments of every shard that only
 * hold records at or before the oldest kept snapshot's seq (`keptSeq[s]`).
 */
export function prune(dir: string, retain: number, keptSeq: (oldest: SnapshotEntry) => number[]): void {
  const snaps = listSnapshots(dir);
  if (snaps.length === 0) return;
  const keep = snaps.slice(-Math.max(1, retain));
  for (const s of snaps.slice(0, snaps.length - keep.length)) rmSync(s.path, { force: true });
  const seqs = keptSeq(keep[0]);
  seqs.forEach((seq, shard) => {
    const segs = listSegments(dir, shard);
    for (let i = 0; i < segs.length; i++) {
      // a segment ends where the next file starts; the last segment ends where the active log starts
      const next = i + 1 < segs.length ? segs[i + 1].firstSeq : Number.POSITIVE_INFINITY;
      if (next - 1 <= seq) rmSync(segs[i].path, { force: true });
    }
  });
  fsyncDir(dir);
}
