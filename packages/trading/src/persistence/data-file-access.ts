/**
 * The journal's files must be readable (segments, snapshots, halted accounts) and the active
 * logs writable by this process before recovery reads them: a data directory copied or
 * restored by another user (root) leaves files the service's user may not open. Refused as
 * the configuration mistake it is (TRD_ERR_INVALID_CONFIG naming the file and --data-dir, exit
 * 2, as for a directory it may not write), not as a bare EACCES after part of the recovery.
 */
import { closeSync, openSync, readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { TradingError, TradingErrorCode } from '../errors.ts';

const ACTIVE_LOG = /^input-log-\d+\.bin$/;
const READ_ONLY = /^(input-log-\d+\.seg-\d{16}\.bin|snapshot-\d{16}\.tks|halted-accounts\.json)$/;
/** Read when present: what `--fresh`, central risk and `--symbols` keep beside the journal. */
const SMALL = /^(fresh-floor(\.next)?|journal-id|partition\.json|risk-limits\.json)$/;

/** What a path that is not a regular file is, as messages name it ('a directory', 'a pipe (FIFO)', …). */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * A journal name that is not a regular file (a directory, a FIFO: left by a tool or a
 * mistake): opening a FIFO would block the start forever, a directory fails later with a
 * bare EISDIR. Refused as the configuration mistake it is, naming it.
 */
export function notARegularFile(path: string, dir: string, st: Stats): TradingError {
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `${path} is ${fileKind(st)}, not a file this service wrote: move it out of the data directory ${dir}, or pass another --data-dir (env TICKSTORM_DATA_DIR)`,
    'data-dir',
  );
}

function refused(code: string | undefined): boolean {
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

function notAccessible(path: string, dir: string, what: string, code: string): TradingError {
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `${path} cannot be ${what} by this process (${code}): every file of the data directory ${dir} must belong to the user the service runs as (chown -R), or pass another --data-dir (env TICKSTORM_DATA_DIR)`,
    'data-dir',
  );
}

/**
 * Throws TRD_ERR_INVALID_CONFIG naming the first journal file of `dir` that is not a regular
 * file, or that this process may not open as recovery needs.
 */
export function checkDataFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (refused(code)) throw notAccessible(dir, dir, 'listed', code!);
    throw err;
  }
  for (const f of names.sort()) {
    const write = ACTIVE_LOG.test(f);
    if (!write && !READ_ONLY.test(f) && !SMALL.test(f)) continue;
    const path = join(dir, f);
    try {
      const st = statSync(path); // never blocks, as opening a FIFO would
      if (!st.isFile()) throw notARegularFile(path, dir, st);
      closeSync(openSync(path, write ? 'r+' : 'r'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (err instanceof TradingError) throw err;
      if (refused(code)) throw notAccessible(path, dir, write ? 'read and written' : 'read', code!);
      if (code !== 'ENOENT') throw err; // removed meanwhile: not this check's business
    }
  }
}
