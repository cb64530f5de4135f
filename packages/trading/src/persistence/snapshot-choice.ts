/**
 * Which snapshot a start restores, and what `--fresh` must stay above.
 *
 * A snapshot is only a shortcut through the journal: the newest one that reads whole (file
 * CRCs, meta) is restored and the journal after it replayed. An unreadable newer one (emptied,
 * cut short or with a bad byte: a disk or file system that lost it, never a crash of the
 * writer, which renames only a complete `fdatasync`ed file) is skipped and reported; the
 * journal replay that follows still refuses a gap, so an older snapshot is used only when
 * every record after it is still there (`--retain-snapshots` 2 or more keeps them). With no
 * readable snapshot left the whole journal is replayed from seq 1. In a directory `--fresh` was
 * used on, that journal's order ids start at the generation `--fresh` recorded in `fresh-floor`
 * (the core starts its engines there), so the replay issues the same ids; when that file does
 * not read, or the directory was freshened before the file existed (`previous-*` and no
 * `fresh-floor`), nothing says where they start and the start refuses (TRD_ERR_LOG_CORRUPT).
 */
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { CommandKind } from '../sequencing/command-codec.ts';
import { fsyncDir } from '../sequencing/input-log-writer.ts';
import { FLOOR_FILE, freshFloor, stagedFreshFloor } from './fresh-floor.ts';
import { activeLogPath, listSnapshots, replayJournal } from './journal-dir.ts';
import { readSnapshotFile, type Sections } from './snapshot-file.ts';
import { type ImageMeta, readMeta } from './state-image.ts';

export interface SkippedSnapshot {
  path: string;
  reason: string;
}

export interface SnapshotChoice {
  /** The newest readable snapshot, or null (replay the journal from seq 1). */
  chosen: { path: string; sections: Sections; meta: ImageMeta } | null;
  /** Newer snapshots that did not read, newest first. */
  skipped: SkippedSnapshot[];
}

/** A snapshot that does not read as one (rather than a file the process may not read). */
function unreadable(err: unknown): boolean {
  if (err instanceof TradingError) return err.code === TradingErrorCode.LOG_CORRUPT;
  return err instanceof SyntaxError || /no meta section/.test((err as Error).message);
}

function readWhole(path: string): { sections: Sections; meta: ImageMeta } {
  const sections = readSnapshotFile(path);
  const meta = readMeta(sections);
  if (!Array.isArray(meta.lastSeq) || !Array.isArray(meta.engines)) {
    throw new TradingError(
      TradingErrorCode.LOG_CORRUPT,
      `snapshot ${path}: meta section lacks lastSeq or engines`,
    );
  }
  return { sections, meta };
}

/** True when an older `--fresh` (before `fresh-floor` existed) moved a state of `dir` aside. */
function freshenedWithoutFloor(dir: string): boolean {
  return (
    existsSync(dir) &&
    !existsSync(join(dir, FLOOR_FILE)) &&
    readdirSync(dir).some((f) => f.startsWith('previous-'))
  );
}

/** The snapshot to restore; throws when none reads and the journal alone cannot rebuild the ids. */
export function chooseSnapshot(dir: string): SnapshotChoice {
  const skipped: SkippedSnapshot[] = [];
  const snaps = listSnapshots(dir);
  for (let i = snaps.length - 1; i >= 0; i--) {
    const path = snaps[i].path;
    try {
      return { chosen: { path, ...readWhole(path) }, skipped };
    } catch (err) {
      if (!unreadable(err)) throw err;
      skipped.push({ path, reason: (err as Error).message });
    }
  }
  // the journal alone: its ids start at --fresh's recorded floor, which must read
  try {
    freshFloor(dir);
  } catch (err) {
    const why =
      skipped.length > 0 ? `${describeSkipped(skipped)}, and no older snapshot reads` : 'no snapshot';
    throw new TradingError(
      TradingErrorCode.LOG_CORRUPT,
      `${why}; ${(err as Error).message}: it is where the order ids since the last --fresh start, so the journal alone is not replayed (put the number back, from a copy or the genBase of a snapshot written after that --fresh, or start with --fresh)`,
    );
  }
  if (skipped.length > 0 && freshenedWithoutFloor(dir)) {
    throw new TradingError(
      TradingErrorCode.LOG_CORRUPT,
      `${describeSkipped(skipped)}, and no older snapshot reads: --fresh was used here before it recorded fresh-floor, so only a snapshot records where order ids start and the journal alone is not replayed (move the unreadable file away only with a copy of an older snapshot, or start with --fresh)`,
    );
  }
  return { chosen: null, skipped };
}

export function describeSkipped(skipped: readonly SkippedSnapshot[]): string {
  return skipped.map((s) => `unreadable snapshot skipped: ${s.reason}`).join('; ');
}

/**
 * Renames skipped snapshots to `<name>.unreadable-<time>` once the start has recovered without
 * them (kept for inspection; no longer listed, pruned or read). Returns the new names.
 */
export function setAsideSkipped(dir: string, skipped: readonly SkippedSnapshot[]): string[] {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out: string[] = [];
  for (const s of skipped) {
    const to = `${s.path}.unreadable-${stamp}`;
    renameSync(s.path, to);
    out.push(to);
  }
  if (out.length > 0) fsyncDir(dir);
  return out;
}

/** The largest slot generation a readable snapshot holds (its pools and its engines' bases). */
function snapshotGeneration(sections: Sections, meta: ImageMeta): number {
  let floor = 0;
  for (const [name, b] of sections) {
    if (!name.startsWith('gen-')) continue;
    const gen = new Int32Array(new Uint8Array(b).buffer);
    for (let i = 0; i < gen.length; i++) if (gen[i] > floor) floor = gen[i];
  }
  for (const e of meta.engines) if (e.genBase > floor) floor = e.genBase;
  return floor;
}

/** A margin for what cannot be read: more generations than any slot reaches between two snapshots. */
const UNREAD_MARGIN = 1 << 20;

/**
 * A generation above every order id the state in `dir` ever issued: the newest readable
 * snapshot's highest slot generation plus the NEW_ORDER records after it (each raises one
 * slot's generation by one at most), with a wide margin for an unreadable snapshot or journal.
 * `--fresh` starts its engines there, so ids never repeat; it never refuses for damage.
 */
export function generationFloor(dir: string): number {
  let floor = 0;
  let after: number[] = [];
  let margin = 0;
  try {
    const { chosen, skipped } = chooseSnapshot(dir);
    if (skipped.length > 0) margin += UNREAD_MARGIN;
    if (chosen !== null) {
      after = chosen.meta.lastSeq;
      floor = snapshotGeneration(chosen.sections, chosen.meta);
    }
  } catch {
    margin += UNREAD_MARGIN; // not even an older snapshot reads
  }
  // an earlier --fresh's base: with no snapshot since, the journal's orders count from it
  try {
    floor = Math.max(floor, freshFloor(dir));
  } catch {
    margin += UNREAD_MARGIN; // that base is lost
  }
  // a --fresh cut short before its move: its floor counted the whole state, part may be gone
  floor = Math.max(floor, stagedFreshFloor(dir));
  let orders = 0;
  for (let s = 0; existsSync(activeLogPath(dir, s)) || s < after.length; s++) {
    try {
      replayJournal(dir, s, after[s] ?? 0, (rec) => {
        if (rec.kind === CommandKind.NEW_ORDER) orders++;
      });
    } catch {
      // a damaged old state: count what could be read, and leave a wide margin
      orders += UNREAD_MARGIN;
    }
  }
  return floor + orders + margin + 1;
}
