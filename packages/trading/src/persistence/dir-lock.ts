/**
 * One process per data directory: `<dir>/tickstorm.lock` holds the owner's pid and its
 * start time (Linux: /proc/<pid>/stat field 22), created with O_EXCL. Two processes
 * appending to one journal would issue the same order ids and leave a journal that no
 * longer replays, so a second process refuses to start (TRD_ERR_DATA_DIR_IN_USE, naming the
 * owner). A lock left by a process that died (kill -9, power loss) is stale: its pid is gone,
 * or now belongs to a process that started at another time; it is taken over. Released by
 * `release()` on a graceful stop.
 */
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { notARegularFile } from './data-file-access.ts';
import { processAlive, processStartTime } from './process-identity.ts';

export const LOCK_FILE = 'tickstorm.lock';

/** Directories locked by this process (a second lock of one of them is refused too). */
const held = new Set<string>();

export interface DirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number, started: string): boolean {
  if (pid === process.pid) return false; // not in `held`: a previous incarnation with our pid
  return processAlive(pid, started);
}

function parse(text: string): { pid: number; started: string } {
  const [pid, started] = text.trim().split(/\s+/);
  return { pid: Number(pid), started: started ?? '' };
}

function inUse(dir: string, path: string, pid: number): TradingError {
  return new TradingError(
    TradingErrorCode.DATA_DIR_IN_USE,
    `data directory ${dir} is in use by process ${pid} (${path}); every process needs its own --data-dir`,
  );
}

/** Creates `path` with `content` only if it does not exist (write a private file, link it). */
function create(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Where the data directory comes from, said in every refusal of it. */
const FLAG = 'pass another --data-dir (env TICKSTORM_DATA_DIR)';

/**
 * Locks `dir` (created if missing) for this process, or throws TRD_ERR_DATA_DIR_IN_USE; a
 * directory this process may not create or write is TRD_ERR_INVALID_CONFIG naming it, the
 * reason and --data-dir.
 */
export function lockDataDir(dir: string): DirLock {
  try {
    return lock(dir);
  } catch (err) {
    throw unusable(dir, err);
  }
}

/** A failed mkdir or write in `dir` as the configuration mistake it is; anything else as is. */
function unusable(dir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return notADirectory(dir, code);
  if (code === 'ENOENT') {
    // mkdir refused where the parent exists (/proc/nope), or a parent vanished meanwhile
    return new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `data directory ${dir} cannot be created (ENOENT): its parent does not take new directories; ${FLAG}`,
      'data-dir',
    );
  }
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return err;
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `data directory ${dir} is not writable by this process (${code}): the journal, snapshots, limits and metrics are kept there; ${FLAG}`,
    'data-dir',
  );
}

/** mkdir on a file (EEXIST), or below one (ENOTDIR): a configuration mistake like an unwritable directory. */
function notADirectory(dir: string, code: string): TradingError {
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `data directory ${dir} cannot be a directory (${code}): a file is in its place or in its path; ${FLAG}`,
    'data-dir',
  );
}

/**
 * For a process that takes no lock (api, market data): refuses a `dir` that is a file or
 * below one, as lockDataDir does (TRD_ERR_INVALID_CONFIG naming it), without creating it.
 */
export function checkDataDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw notADirectory(dir, code);
    return; // missing (created by whoever writes there) or unreadable: not this check's business
  }
  if (!isDir) throw notADirectory(dir, 'EEXIST');
}

/**
 * For a process that writes in `dir` without locking it (the api, its DuckDB metrics file
 * under the data dir): creates it and proves a file can be created there, or throws
 * TRD_ERR_INVALID_CONFIG as lockDataDir does (instead of a metrics-store error, or a hang).
 */
export function prepareDataDir(dir: string): void {
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    makeDir(dir);
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (err) {
    throw unusable(dir, err);
  }
}

function lock(dir: string): DirLock {
  makeDir(dir);
  const key = resolve(dir);
  const path = join(dir, LOCK_FILE);
  if (held.has(key)) throw inUse(dir, path, process.pid);
  const content = `${process.pid} ${processStartTime(process.pid)}\n`;
  for (let attempt = 0; !create(path, content); attempt++) {
    let text: string;
    try {
      // a FIFO in the lock's place would block the read below forever
      const st = statSync(path);
      if (!st.isFile()) throw notARegularFile(path, dir, st);
      text = readFileSync(path, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const owner = parse(text);
    if (Number.isSafeInteger(owner.pid) && owner.pid > 0 && alive(owner.pid, owner.started))
      throw inUse(dir, path, owner.pid);
    if (attempt >= 3) throw inUse(dir, path, owner.pid);
    // stale: move it aside under a private name; if what was moved is not the stale lock
    // (another process took it over in between), put it back and refuse
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = readFileSync(aside, 'latin1');
    if (moved !== text) {
      try {
        linkSync(aside, path);
      } catch {
        // another lock exists by now: that one stands
      }
      rmSync(aside, { force: true });
      throw inUse(dir, path, parse(moved).pid);
    }
    rmSync(aside, { force: true });
  }
  held.add(key);
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      held.delete(key);
      try {
        if (readFileSync(path, 'latin1') === content) rmSync(path, { force: true });
      } catch {
        // already gone
      }
    },
  };
}
