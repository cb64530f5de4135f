/**
 * A shard whose matcher runs in a worker thread (routing/shard-worker.ts). Commands go
 * to the worker and results come back through two SharedArrayBuffer SPSC rings of 48-byte
 * records (command codec / result codec); the worker sleeps in Atomics.wait, this side in
 * Atomics.waitAsync, and each side notifies only when the other sleeps. Optionally both
 * busy-poll first (spinMicros, workerSpinMicros; off by default, see WorkerShardOptions).
 * Results return in command order; up to `capacity` commands may be in flight (beyond:
 * TRD_ERR_OVERLOADED).
 *
 * The worker is ref'd only while commands are in flight, so an idle shard never holds the
 * process open; still, call close(): it flushes and closes the worker's log, then ends it.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { spawnTsWorker } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import {
  COMMAND_RECORD_SIZE,
  CommandKind,
  encodeCancel,
  encodeControl,
  encodeNewOrder,
  encodeSetLastPrice,
} from '../sequencing/command-codec.ts';
import { SpscRing } from './ring-buffer.ts';
import type { Shard } from './shard.ts';
import { decodeResult, RESULT_RECORD_SIZE, ShardResult } from './shard-result.ts';
import { DEFAULT_SPIN_MICROS, shardWorkerData, type WorkerShardOptions } from './worker-shard-options.ts';

export type { WorkerShardOptions } from './worker-shard-options.ts';

/** Sends without busy-polling after a poll timed out. */
const SPIN_BACKOFF = 256;

type Resolve = (r: ShardResult) => void;
type Reject = (e: Error) => void;

export class WorkerShard implements Shard {
  readonly index: number;
  readonly capacity: number;
  /** Seq of the last command in the worker's log when it started (0 = none/no log). */
  readonly resumedSeq: number;
  private readonly worker: Worker;
  private readonly commands: SpscRing;
  private readonly results: SpscRing;
  private readonly resolvers: (Resolve | undefined)[];
  private readonly rejecters: (Reject | undefined)[];
  private readonly spinMs: number;
  /** Sends left before busy-polling is tried again (after a poll timed out). */
  private spinSkip = 0;
  private sent = 0;
  private received = 0;
  private armed = false;
  private refed = true;
  private holds = 0;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly snapshotWaiters: ((s: unknown) => void)[] = [];
  private readonly onWake = (): void => {
    this.armed = false;
    this.results.doneWaiting();
    this.pump();
  };

  private constructor(
    worker: Worker,
    commands: SpscRing,
    results: SpscRing,
    opts: WorkerShardOptions,
    seq: number,
  ) {
    this.index = opts.index ?? 0;
    this.worker = worker;
    this.commands = commands;
    this.results = results;
    this.capacity = commands.capacity;
    this.resumedSeq = seq;
    this.resolvers = new Array(this.capacity).fill(undefined);
    this.rejecters = new Array(this.capacity).fill(undefined);
    this.spinMs = (opts.spinMicros ?? DEFAULT_SPIN_MICROS) / 1000;
    worker.on('message', (m: { type: string; data?: unknown }) => {
      if (m.type === 'snapshot') this.snapshotWaiters.shift()?.(m.data);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`shard worker ${this.index} exited (code ${code})`)));
    this.updateRef();
  }

  static async start(opts: WorkerShardOptions = {}): Promise<WorkerShard> {
    const data = shardWorkerData(opts);
    const worker = spawnTsWorker(new URL('./shard-worker.ts', import.meta.url), {
      workerData: data as unknown as Record<string, unknown>,
    });
    const exited = once(worker, 'exit').then(([code]) => [{ type: 'exit', lastSeq: 0, code }]);
    const [ready] = (await Promise.race([once(worker, 'message'), exited])) as [
      { type: string; lastSeq: number; code?: number },
    ];
    if (ready.type !== 'ready') {
      await worker.terminate();
      throw new TradingError(
        TradingErrorCode.INTERNAL,
        `shard worker failed to start (${ready.type} ${ready.code})`,
      );
    }
    const commands = new SpscRing(data.commandRing, COMMAND_RECORD_SIZE);
    const results = new SpscRing(data.resultRing, RESULT_RECORD_SIZE);
    return new WorkerShard(worker, commands, results, opts, ready.lastSeq);
  }

  /** Commands sent whose result has not arrived. */
  get inFlight(): number {
    return this.sent - this.received;
  }

  submit(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
  ): Promise<ShardResult> {
    const off = this.claim();
    if (off < 0) return this.refuse();
    encodeNewOrder(this.commands.view, off, 0, 0, book, side, type, priceTicks, qty, account);
    return this.send();
  }

  cancel(orderId: number, reason = 0): Promise<ShardResult> {
    const off = this.claim();
    if (off < 0) return this.refuse();
    encodeCancel(this.commands.view, off, 0, 0, orderId, reason);
    return this.send();
  }

  setLastPrice(book: number, priceTicks: number): Promise<ShardResult> {
    const off = this.claim();
    if (off < 0) return this.refuse();
    encodeSetLastPrice(this.commands.view, off, 0, 0, book, priceTicks);
    return this.send();
  }

  /** The worker engine's snapshot() (structured-cloned), taken after every command sent before. */
  async snapshot(): Promise<unknown> {
    this.holds++;
    try {
      const snap = new Promise<unknown>((resolve) => this.snapshotWaiters.push(resolve));
      await this.control(CommandKind.CTL_SNAPSHOT);
      return await snap;
    } finally {
      this.holds--;
      this.updateRef();
    }
  }

  async flush(): Promise<void> {
    await this.control(CommandKind.CTL_FLUSH);
  }

  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = (async () => {
        this.holds++;
        this.updateRef();
        if (this.failure === null) await this.control(CommandKind.CTL_CLOSE, true).catch(() => {});
        this.failure ??= new TradingError(TradingErrorCode.SHUTTING_DOWN, `shard ${this.index} is closed`);
        await this.worker.terminate();
        this.holds--;
      })();
    }
    return this.closing;
  }

  private control(kind: number, evenIfClosing = false): Promise<ShardResult> {
    if (this.closing !== null && !evenIfClosing) return this.refuse();
    const off = this.claim();
    if (off < 0) return this.refuse();
    encodeControl(this.commands.view, off, kind);
    return this.send();
  }

  private claim(): number {
    if (this.failure !== null || this.sent - this.received >= this.capacity) return -1;
    return this.commands.claim();
  }

  private refuse(): Promise<ShardResult> {
    const err =
      this.failure ??
      new TradingError(TradingErrorCode.OVERLOADED, `shard ${this.index}: ${this.capacity} in flight`);
    return Promise.reject(err);
  }

  private send(): Promise<ShardResult> {
    const slot = this.sent & (this.capacity - 1);
    const p = new Promise<ShardResult>((resolve, reject) => {
      this.resolvers[slot] = resolve;
      this.rejecters[slot] = reject;
    });
    this.sent++;
    this.commands.publish();
    if (this.armed) return p;
    if (this.spinSkip > 0) this.spinSkip--;
    else if (this.spinMs > 0) {
      const until = performance.now() + this.spinMs;
      let off = this.results.peek();
      while (off < 0 && performance.now() < until) off = this.results.peek();
      // A poll that timed out means the worker is not keeping up (asleep, or no free CPU):
      // stop polling for a while rather than take CPU it needs.
      if (off < 0) this.spinSkip = SPIN_BACKOFF;
      this.pump();
      return p;
    }
    {
      // Results are only taken in a later task, so a synchronous burst sees a stable in-flight count.
      const wait = this.results.waitAsync();
      this.armed = true;
      if (wait === null) queueMicrotask(this.onWake);
      else wait.then(this.onWake);
      this.updateRef();
    }
    return p;
  }

  /** Delivers every available result, then sleeps (async) on the ring if more are due. */
  private pump(): void {
    if (this.failure !== null) return;
    const ring = this.results;
    for (;;) {
      let off = ring.peek();
      while (off >= 0) {
        const r = decodeResult(ring.view, off, new ShardResult());
        ring.release();
        const slot = this.received & (this.capacity - 1);
        const resolve = this.resolvers[slot]!;
        this.resolvers[slot] = this.rejecters[slot] = undefined;
        this.received++;
        resolve(r);
        off = ring.peek();
      }
      if (this.sent === this.received) break;
      const wait = ring.waitAsync();
      if (wait !== null) {
        this.armed = true;
        wait.then(this.onWake);
        break;
      }
      ring.doneWaiting();
    }
    this.updateRef();
  }

  private updateRef(): void {
    const want = this.sent !== this.received || this.holds > 0;
    if (want === this.refed) return;
    this.refed = want;
    if (want) this.worker.ref();
    else this.worker.unref();
  }

  private fail(err: Error): void {
    if (this.failure === null) {
      this.failure =
        this.closing !== null
          ? new TradingError(TradingErrorCode.SHUTTING_DOWN, `shard ${this.index} is closed`)
          : new TradingError(TradingErrorCode.INTERNAL, `shard ${this.index} failed: ${err.message}`);
    }
    while (this.received < this.sent) {
      const slot = this.received & (this.capacity - 1);
      const reject = this.rejecters[slot];
      this.resolvers[slot] = this.rejecters[slot] = undefined;
      this.received++;
      reject?.(this.failure);
    }
    for (const w of this.snapshotWaiters.splice(0)) w(undefined);
    this.results.wakeAll();
    this.updateRef();
  }
}
