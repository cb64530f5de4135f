/**
 * The order-id floor `--fresh` starts its engines at, kept beside the journal.
 *
 * `--fresh` moves the old state into `previous-<time>/` and starts empty with ids above every
 * id that state issued (a slot generation: the floor). The floor must outlive a crash before
 * the snapshot of the empty state is written, and must apply only to the journal started
 * after the move. So `--fresh` stages it in `fresh-floor.next` (written and synced) before the
 * move and renames it to `fresh-floor` once the state is aside. A start that finds
 * `fresh-floor.next`: with no state left beside it the move was done, and it is put in force;
 * with the state still there (the move cut short or never begun) only `--fresh` may go on (it
 * redoes the move); any other start refuses, since neither floor is sure for that journal.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { replaceFileDurably } from '../sequencing/durable-file.ts';
import { fsyncDir } from '../sequencing/input-log-writer.ts';
import { hasState, isStateFile } from './journal-dir.ts';

export const FLOOR_FILE = 'fresh-floor';
const NEXT_FILE = 'fresh-floor.next';

/** Largest generation a `fresh-floor` may hold (the order pool's largest slot generation). */
const MAX_FLOOR = 2 ** 29 - 2;

function readFloor(file: string): number {
  const text = readFileSync(file, 'utf8').trim();
  const n = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (n >= 1 && n <= MAX_FLOOR) return n;
  throw new TradingError(
    TradingErrorCode.LOG_CORRUPT,
    `${file} does not hold a generation (1..${MAX_FLOOR}): ${JSON.stringify(text.slice(0, 40))}`,
  );
}

/**
 * The generation the last `--fresh` on `dir` started at: 0 when it never ran (no `fresh-floor`);
 * throws TRD_ERR_LOG_CORRUPT when the file is there but does not hold one (a disk that lost
 * it: 0 would reissue the ids the journal after that `--fresh` acknowledged).
 */
export function freshFloor(dir: string): number {
  const file = join(dir, FLOOR_FILE);
  return existsSync(file) ? readFloor(file) : 0;
}

/** False when `fresh-floor` is there and does not hold a generation. */
export function freshFloorReads(dir: string): boolean {
  try {
    freshFloor(dir);
    return true;
  } catch {
    return false;
  }
}

/** The floor a `--fresh` cut short had staged (0: none, or it does not read). */
export function stagedFreshFloor(dir: string): number {
  const file = join(dir, NEXT_FILE);
  try {
    return existsSync(file) ? readFloor(file) : 0;
  } catch {
    return 0;
  }
}

/** `--fresh`, before it moves the state aside: stages `floor`, durably. */
export function stageFreshFloor(dir: string, floor: number): void {
  replaceFileDurably(join(dir, NEXT_FILE), [Buffer.from(`${floor}\n`)]);
}

/** `--fresh`, once the state is aside: the staged floor is put in force (rename, directory synced). */
export function commitFreshFloor(dir: string): void {
  renameSync(join(dir, NEXT_FILE), join(dir, FLOOR_FILE));
  fsyncDir(dir);
}

/**
 * The `previous-*` folders a `--fresh` cut short began to fill: changed since it staged its
 * floor (`since`, the staged file's mtime) and holding state files.
 */
function partlyMoved(dir: string, since: number): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('previous-')) continue;
    const p = join(dir, f);
    try {
      const st = statSync(p);
      if (st.isDirectory() && st.mtimeMs >= since && readdirSync(p).some(isStateFile)) out.push(p);
    } catch {
      // gone meanwhile, or not readable: not one this check can name
    }
  }
  return out;
}

/**
 * At every start, before anything reads the floor: a `--fresh` cut short after it staged its
 * floor. Returns a line to report when it was completed here, null when there was none (or
 * `fresh` redoes it); throws TRD_ERR_INVALID_CONFIG when the state was not moved (or only
 * partly) and this start is not `--fresh`.
 */
export function settleFreshFloor(dir: string, fresh: boolean): string | null {
  const next = join(dir, NEXT_FILE);
  if (!existsSync(next)) return null;
  if (!hasState(dir)) {
    commitFreshFloor(dir);
    return `--fresh was cut short after it moved the state aside: its id floor (${next}) is now in force`;
  }
  if (fresh) return null;
  // killed during the move: part of the state is already aside, and the rest alone is not it
  const aside = partlyMoved(dir, statSync(next).mtimeMs);
  const keep =
    aside.length === 0
      ? `remove ${next} to keep the state as it is`
      : `to keep the state, move the files ${aside.join(' and ')} received back into ${dir}, then remove ${next}`;
  throw new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `${next}: a --fresh was cut short ${aside.length === 0 ? 'before it moved' : 'while it moved'} the state aside, so which ids this journal holds is not sure: start with --fresh to finish it, or ${keep}`,
    'fresh',
  );
}
