/**
 * The input log's fdatasync runs on a thread of its own (sequencing/sync-thread.ts): it
 * completes while every libuv threadpool thread is busy (as DuckDB's work keeps them), and a
 * failed fdatasync comes back as the error it was (the writer poisons itself on it).
 */
import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fdatasyncOffPool } from '../src/sequencing/sync-thread.ts';

const sync = (fd: number) =>
  new Promise<NodeJS.ErrnoException | null>((resolve) => fdatasyncOffPool(fd, resolve));

test('fdatasync completes while the threadpool is busy; a failure keeps its code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-sync-'));
  const fd = openSync(join(dir, 'log'), 'w');
  try {
    writeSync(fd, Buffer.alloc(4096, 1));
    assert.equal(await sync(fd), null); // the thread is up
    // Every threadpool thread busy for a while (pbkdf2 runs there), one more job queued.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    let poolDone = 0;
    const pool = Array.from(
      { length: threads + 1 },
      () =>
        new Promise<void>((resolve) =>
          pbkdf2('x', 'y', 400_000, 32, 'sha256', () => {
            poolDone++;
            resolve();
          }),
        ),
    );
    writeSync(fd, Buffer.alloc(4096, 2));
    assert.equal(await sync(fd), null);
    assert.equal(poolDone, 0, 'the fdatasync did not wait for the threadpool');
    await Promise.all(pool);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const err = await sync(fd); // closed: EBADF
  assert.equal(err?.code, 'EBADF');
  assert.equal(err?.syscall, 'fdatasync');
});
