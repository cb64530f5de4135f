/**
 * fdatasync on a thread of its own, for the input log's group commit.
 *
 * `fs.fdatasync` runs on libuv's threadpool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise, and it must be said before the process first uses the pool). DuckDB's calls
 * (the metrics store's appends, the shared file's copies with their checkpoint and fsync)
 * run on that pool too, so an order's fdatasync could wait behind them: 100 ms and more
 * while a copy checkpoints. Here one worker thread of the process does nothing but the
 * input logs' fdatasyncs, one after another, in the order asked.
 *
 * The worker keeps the process alive only while an fdatasync waits, and starts at the first call.
 * Where a worker cannot start, `fs.fdatasync` (the threadpool) is used.
 */
import { fdatasync } from 'node:fs';
import { Worker } from 'node:worker_threads';

type Done = (err: NodeJS.ErrnoException | null) => void;

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { fdatasyncSync } = require('node:fs');
parentPort.on('message', (m) => {
  let err = null;
  try {
    fdatasyncSync(m.fd);
  } catch (e) {
    err = { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall };
  }
  parentPort.postMessage({ id: m.id, err });
});
`;

interface Reply {
  id: number;
  err: { message: string; code?: string; errno?: number; syscall?: string } | null;
}

class SyncThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Done>();
  private nextId = 1;

  constructor() {
    // No execArgv: the source is plain JavaScript, and loader hooks (tsx) must not load in it.
    this.worker = new Worker(SOURCE, { eval: true, name: 'tickstorm-fdatasync', execArgv: [] });
    this.worker.on('message', (r: Reply) => {
      const done = this.waiting.get(r.id);
      if (done === undefined) return;
      this.waiting.delete(r.id);
      if (this.waiting.size === 0) this.worker.unref();
      done(r.err === null ? null : Object.assign(new Error(r.err.message), r.err));
    });
    // A worker that dies (it should not) fails what it held; later calls use the threadpool.
    const fail = (err: Error) => {
      if (shared === this) shared = null;
      broken = true;
      for (const done of this.waiting.values()) done(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the fdatasync thread exited (${code})`)));
    // Ref'd only while an fdatasync is waiting (as a threadpool request keeps the loop alive);
    // unref'd after the listeners, since adding one refs the worker's port again.
    this.worker.unref();
  }

  fdatasync(fd: number, done: Done): void {
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    this.waiting.set(id, done);
    this.worker.postMessage({ fd, id });
  }
}

let shared: SyncThread | null = null;
let broken = false;

/** fdatasync(fd) on the process's sync thread (the threadpool where none can run). */
export function fdatasyncOffPool(fd: number, done: Done): void {
  if (shared === null && !broken) {
    try {
      shared = new SyncThread();
    } catch {
      broken = true;
    }
  }
  if (shared === null) fdatasync(fd, done);
  else shared.fdatasync(fd, done);
}
