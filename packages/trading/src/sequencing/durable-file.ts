/**
 * Replacing a small file so that a crash leaves the old contents or the new, never a mix:
 * write a temp file beside it (every byte, short writes resumed), fdatasync, close, rename
 * over the old name, fsync the directory so the rename itself survives. Used by the snapshot
 * container and by the kill switch's halted accounts.
 */
import { closeSync, fdatasyncSync, openSync, renameSync, writevSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from './input-log-writer.ts';

/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const IOV_BATCH = 512;

/** Writes every byte of `chunks` to `fd`, resuming after short writes. */
export function writeAllSync(fd: number, chunks: readonly Buffer[]): void {
  for (let i = 0; i < chunks.length; i += IOV_BATCH) {
    let part = chunks.slice(i, i + IOV_BATCH).filter((c) => c.length > 0);
    while (part.length > 0) {
      let done = writevSync(fd, part);
      const rest: Buffer[] = [];
      for (const c of part) {
        if (done >= c.length) done -= c.length;
        else {
          rest.push(done > 0 ? c.subarray(done) : c);
          done = 0;
        }
      }
      part = rest;
    }
  }
}

/** Replaces `path` with `chunks` atomically and durably (temp + fdatasync + rename + directory fsync). */
export function replaceFileDurably(path: string, chunks: readonly Buffer[]): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeAllSync(fd, chunks);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}
