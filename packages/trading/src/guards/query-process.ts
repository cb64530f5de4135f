/**
 * GET /api/metrics/query's SQL in a separate process, away from the event loop and the memory
 * of the process that serves orders (docs/sql-endpoint.md). For a file-backed DuckDB
 * store, whose shared file (`metrics.duckdb`) other processes may open read-only while the
 * system writes (metrics-store/shared-file-replica.ts):
 *
 * - the query process (./query-process-entry.ts) runs QueryGuard (one SELECT, external access
 *   off, configuration locked, row/byte caps, interrupt at the timeout, memory_limit) on its
 *   own READ_ONLY instance of the shared file, at nice 19 and SCHED_IDLE (every thread), with a bounded V8
 *   heap (`heapMb`) and one DuckDB thread;
 * - the query process first checks the SQL on an in-memory connection (./statement-precheck.ts:
 *   what the guard would refuse anyway is refused there); then, for a query that names a table
 *   of the file, `beforeQuery` (the replica's flush) copies the rows committed so far into the
 *   shared file, so a row stored just before is in the answer, and the query runs;
 * - answers come back on a Unix socket of their own and are written to the response through
 *   reused buffers (./answer-stream.ts): a hostile stream of large answers allocates nothing
 *   per chunk on this event loop (the churn would bring on the mark-compacts that pause it);
 * - at most `maxConcurrent` queries at once (429 TRD_ERR_TOO_MANY_QUERIES beyond, here);
 * - the process dies under a query (kill -9, V8 out of memory): every query it ran is
 *   answered 503 TRD_ERR_QUERY_UNAVAILABLE (+ Retry-After) and a new one takes over;
 * - a **spare** query process (`spare`, default on) is started once the current one is ready
 *   and waits, loaded and idle: when the current one is killed (memory, a query past its
 *   interrupt) or dies, the spare takes over at once, not after the old one exited and a new
 *   one loaded (tsx, DuckDB: 0.4 s on an idle box, seconds at SCHED_IDLE on a busy one, which
 *   the next query's answer waited for), and a new spare is started behind it;
 * - its RSS is read every `rssPollMs` while queries run: past `rssLimitMb` it is killed (the
 *   query that ran alone: 422 TRD_ERR_QUERY_TOO_LARGE, as it would be again; two: 503 both);
 * - the timeout is a budget counted here from the query's arrival (before the first process was
 *   ready, or with `spare: false`: from its handing to a ready process): a query not answered `timeoutMs` after is
 *   answered 504 TRD_ERR_QUERY_TIMEOUT then, wherever it is (in the check, the copy, the open,
 *   the run; the query process, at SCHED_IDLE on a busy box, may get its CPU late), and the
 *   query process is told to interrupt it; one still waiting for a process to be ready (kills
 *   in quick succession, the spare still loading) is answered 503 TRD_ERR_QUERY_UNAVAILABLE. Its slot stays
 *   taken until the process reports the query ended; one that has not `graceMs` (plus the
 *   open's retries) later (interrupt did not return) is killed, and the spare takes over. A
 *   query still in its check at the budget gets its process killed at once: DuckDB binding a
 *   plan that grows without end is not interruptible, and the queries after it would wait
 *   behind it on the check's one connection (one handed over less than `graceMs` before, after
 *   it waited for a process to be ready, is dropped at the check's end instead; killed if the
 *   check still runs `graceMs` after the handing).
 *
 * The process is started by `start()` (the system does at start, unless told to wait for the
 * first query) or at the first query, and closed with the system. Every start, restarts
 * included, is forked by a small launcher process (./query-launcher.ts), never by this one:
 * a fork here would stop this event loop while the kernel copies its page tables.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { AnswerReader, SlotPool, type StreamedResult } from './answer-stream.ts';
import {
  newQueryGuardStats,
  type QueryGuardOptions,
  type QueryRunner,
  type QueryRunnerStats,
  storeClosed,
} from './query-guard.ts';
import { QueryLauncher, type RemoteChild } from './query-launcher.ts';
import type { QueryProcessInit } from './query-process-entry.ts';

const ENTRY = fileURLToPath(new URL('./query-process-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** How long a new query process has to load (tsx, DuckDB) and say ready. */
const START_MS = 30_000;

export interface QueryProcessOptions {
  /** The shared metrics file (opened READ_ONLY by the query process). */
  path: string;
  limits: QueryGuardOptions;
  /** Copies the rows committed so far into the shared file (the replica's flush). */
  beforeQuery?: () => Promise<unknown>;
  /** DuckDB threads in the query process (default 1). */
  threads?: number;
  /** --max-old-space-size of the query process (default 256 MB). */
  heapMb?: number;
  /** The query process is killed past this RSS (default 500 MB). */
  rssLimitMb?: number;
  /** How often its RSS is read while queries run (default 50 ms). */
  rssPollMs?: number;
  /** Past the timeout (plus the open's retries) by this long, the process is killed (default 1,000 ms). */
  graceMs?: number;
  /** How long the query process retries opening the file while another process holds it (default 1,000 ms). */
  openRetryMs?: number;
  /** A loaded, idle query process waits to take over when the current one dies (default true). */
  spare?: boolean;
}

export interface QueryProcessStats extends QueryRunnerStats {
  /** Queries handed to the query process and not answered yet (of `running`). */
  sent: number;
  /** Queries answered 503 because the query process died (or was killed) under them. */
  unavailable: number;
  /** Query processes started after the first (one died or was killed). */
  restarts: number;
  /** Killed past rssLimitMb. */
  memoryKills: number;
  /** Queries answered 422 TRD_ERR_QUERY_TOO_LARGE (alone in the process at a memory kill). */
  tooLarge: number;
  /** The process that forks the query processes (null before the first start and after close). */
  launcherPid: number | null;
  /** The spare query process (null: none started yet, or `spare: false`) and whether it is ready. */
  sparePid: number | null;
  spareReady: boolean;
}

interface Pending {
  child: Child;
  resolve: (r: StreamedResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Answered 504 at the budget: the query process still has it until it reports it ended. */
  answered: boolean;
  /** Past the query process's check (./statement-precheck.ts). */
  checked: boolean;
  /** When it was handed to the query process (performance.now()). */
  handedAt: number;
  /** Frees the query's slot (once). */
  release: () => void;
}

/** A query's slot, from the 429 check until the query process let go of the query. */
interface Slot {
  release: () => void;
  /** Handed to a pending query, which releases it. */
  held: boolean;
}

interface Child {
  proc: RemoteChild;
  ready: Promise<void>;
  /** Why it was killed (the answer to the queries it still ran), or null. */
  killedFor: TradingError | null;
  wasReady: boolean;
  /** Settles when it has exited (or never started) and its queries were answered. */
  ended: Promise<void>;
  /** Its answer socket's path (removed when the process exits). */
  answerPath: string;
  /** The queries sent to it and not answered yet. */
  ids: Set<number>;
}

export class QueryProcess implements QueryRunner {
  readonly o: Required<Omit<QueryProcessOptions, 'beforeQuery'>> & Pick<QueryProcessOptions, 'beforeQuery'>;
  private child: Child | null = null;
  /** Loaded and idle, it takes over when `child` dies (null: none, or still to be started). */
  private spare: Child | null = null;
  /** The first spare was started (it is no restart). */
  private spareStarted = false;
  /** A query process has been ready (the budget then counts from each query's arrival). */
  private everReady = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Slots taken (from the 429 check to the answer). */
  private running = 0;
  private rssTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private started = 0;
  private readonly counts = { ...newQueryGuardStats(), unavailable: 0, memoryKills: 0, tooLarge: 0 };
  /** Reused answer buffers, shared by the processes started one after another. */
  private readonly pool = new SlotPool(64 * 1024, 32);
  /** A private directory (0700) for the answer sockets, made at the first start. */
  private socketDir: string | null = null;
  /** Forks the query processes, so that no restart forks this process (./query-launcher.ts). */
  private readonly launcher = new QueryLauncher();

  constructor(o: QueryProcessOptions) {
    this.o = {
      threads: 1,
      heapMb: 256,
      rssLimitMb: 500,
      rssPollMs: 50,
      graceMs: 1000,
      openRetryMs: 1000,
      spare: true,
      ...o,
    };
  }

  /** Starts the query process now rather than at the first query (it loads in the background). */
  start(): this {
    try {
      if (!this.closed) this.ensureChild();
    } catch {
      // fork refused (ENOMEM, ENOTDIR...): the first query tries again (and answers 503)
    }
    return this;
  }

  async query(sql: string): Promise<StreamedResult> {
    if (this.closed) throw storeClosed();
    if (this.running >= this.o.limits.maxConcurrent) {
      this.counts.busy++;
      throw new TradingError(
        TradingErrorCode.TOO_MANY_QUERIES,
        `at most ${this.o.limits.maxConcurrent} queries run at once; retry later`,
      );
    }
    this.running++;
    this.counts.queries++;
    let freed = false;
    const slot: Slot = {
      release: () => {
        if (freed) return;
        freed = true;
        this.running--;
      },
      held: false,
    };
    try {
      const r = await this.dispatch(sql, slot);
      if (r.truncated) this.counts.truncated++;
      return r;
    } catch (err) {
      const code = err instanceof TradingError ? err.code : null;
      if (code === TradingErrorCode.QUERY_REFUSED) this.counts.refused++;
      else if (code === TradingErrorCode.QUERY_TIMEOUT) this.counts.timeouts++;
      else if (code === TradingErrorCode.QUERY_UNAVAILABLE) this.counts.unavailable++;
      else if (code === TradingErrorCode.QUERY_TOO_LARGE) this.counts.tooLarge++;
      else this.counts.failed++;
      throw err;
    } finally {
      if (!slot.held) slot.release();
    }
  }

  private async dispatch(sql: string, slot: Slot): Promise<StreamedResult> {
    // Closed meanwhile: no query process is started after close() (nothing would end it).
    if (this.closed) throw storeClosed();
    const arrived = performance.now();
    // Once a query process has been ready, the budget counts from the query's arrival: after
    // kills in quick succession the spare may still be loading, and the query is not left to
    // wait for it past the budget. Before (the first start), from its handing to the process.
    const fromArrival = this.everReady && this.o.spare;
    let child = this.ensureChild();
    // Killed and not exited yet (a memory kill, a timeout): the query waits for the one started after.
    while (child.killedFor !== null) {
      await child.ended;
      if (this.closed) throw storeClosed();
      child = this.ensureChild();
    }
    let readyTimer: NodeJS.Timeout | undefined;
    try {
      if (!fromArrival) await child.ready;
      else
        await Promise.race([
          child.ready,
          new Promise<never>((_, reject) => {
            readyTimer = setTimeout(
              () =>
                reject(
                  unavailable(
                    `no query process was ready within ${this.o.limits.timeoutMs} ms (the spare still loading after a restart); retry`,
                  ),
                ),
              Math.max(0, arrived + this.o.limits.timeoutMs - performance.now()),
            );
          }),
        ]);
    } catch (err) {
      // close() ended the process while it started: the query is answered as close() answers.
      if (this.closed) throw storeClosed();
      throw err;
    } finally {
      clearTimeout(readyTimer);
    }
    const sent = fromArrival ? arrived : performance.now();
    if (this.closed) throw storeClosed();
    if (this.child !== child || child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw unavailable('the query process exited before the query was sent');
    }
    const id = this.nextId++;
    return new Promise<StreamedResult>((resolve, reject) => {
      const timer = setTimeout(
        () => this.budgetSpent(id),
        Math.max(0, sent + this.o.limits.timeoutMs - performance.now()),
      );
      timer.unref();
      this.pending.set(id, {
        child,
        resolve,
        reject,
        timer,
        answered: false,
        checked: false,
        handedAt: performance.now(),
        release: slot.release,
      });
      slot.held = true;
      child.ids.add(id);
      this.watchRss();
      child.proc.send({ id, sql }, (err) => {
        if (err) this.settle(id, unavailable(`cannot reach the query process: ${err.message}`));
      });
    });
  }

  /**
   * `id` was not answered within the budget: 504 now, the query process told to interrupt it
   * (or drop it, not run yet) and report; if it has not `openRetryMs + graceMs` later, it is
   * killed (the spare takes over). Killed at once if the query is still in its check.
   */
  private budgetSpent(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined || p.answered) return;
    p.answered = true;
    p.reject(
      new TradingError(
        TradingErrorCode.QUERY_TIMEOUT,
        `query interrupted after ${this.o.limits.timeoutMs} ms`,
      ),
    );
    // Still in the check: DuckDB binding a plan that grows without end (no interrupt reaches
    // it), and every later query would wait behind it on the check's one connection. Unless it
    // was handed over only a moment ago (it waited for a process to be ready): then it is dropped
    // at the check's end, and the process killed only if the check still runs `graceMs` after
    // the handing (a kill would throw a loaded process away for nothing). Running: interrupted,
    // and killed if it has not returned `openRetryMs + graceMs` later.
    const checked = p.checked;
    const wait = checked
      ? this.o.openRetryMs + this.o.graceMs
      : this.o.graceMs - (performance.now() - p.handedAt);
    const stuck = () =>
      this.kill(
        p.child,
        unavailable(
          checked
            ? 'the query process was restarted: a query did not return from its interrupt'
            : 'the query process was restarted: a query was still in its check at its timeout',
        ),
      );
    if (wait <= 0) {
      stuck();
      return;
    }
    p.child.proc.send({ id, t: 'cancel' }, () => {});
    p.timer = setTimeout(stuck, wait);
    p.timer.unref();
  }

  /**
   * The query process found `id` worth running (./statement-precheck.ts). If it may read the
   * store's tables (`flush`), the new rows are copied into the shared file first (`beforeQuery`,
   * the replica's flush), so a row stored just before the query is in its answer. SQL refused
   * at the check, and SELECTs that name no table of the file (`range(...)`), cost no copy.
   */
  private async runChecked(child: Child, id: number, flush: boolean): Promise<void> {
    // A failed copy (another process holds the shared file) leaves the answer a copy behind.
    if (flush) await this.o.beforeQuery?.().catch(() => {});
    // Sent to this process for its check, the query runs there, as a query sent before a kill
    // does: it answers if the process still can, and is answered 503 when it ends.
    // Answered 504 meanwhile: not run (the query process drops it at the 'cancel' it was sent).
    const p = this.pending.get(id);
    if (p === undefined || p.answered || child.proc.exitCode !== null || child.proc.signalCode !== null)
      return;
    child.proc.send({ id, t: 'run' }, (err) => {
      if (err) this.settle(id, unavailable(`cannot reach the query process: ${err.message}`));
    });
  }

  /** The current query process: the spare if there is one, else a new one (and a spare behind it). */
  private ensureChild(): Child {
    if (this.child !== null) return this.child;
    const spare = this.spare;
    this.spare = null;
    const child = spare ?? this.startChild();
    this.child = child;
    this.refillSpare(child);
    return child;
  }

  /** Starts a spare once `current` is ready (unless `spare: false`, or one is there already). */
  private refillSpare(current: Child): void {
    if (!this.o.spare) return;
    current.ready.then(
      () => {
        if (this.closed || this.child !== current || this.spare !== null) return;
        try {
          this.spare = this.startChild();
          this.spareStarted = true;
        } catch {
          // fork refused: the next take-over starts a process of its own
        }
      },
      () => {},
    );
  }

  private startChild(): Child {
    this.socketDir ??= mkdtempSync(join(tmpdir(), 'tickstorm-query-'));
    const answerPath = join(this.socketDir, `${this.started}.sock`);
    const init: QueryProcessInit = {
      path: this.o.path,
      limits: this.o.limits,
      threads: this.o.threads,
      openRetryMs: this.o.openRetryMs,
      answerPath,
    };
    let proc: RemoteChild;
    try {
      proc = this.launcher.fork(ENTRY, [JSON.stringify(init)], {
        execArgv: ['--import', TSX, `--max-old-space-size=${this.o.heapMb}`],
        removeAtEnd: this.socketDir,
      });
    } catch (err) {
      // The launcher could not be spawned: some spawn errors are thrown (ENOMEM, ENOTDIR, E2BIG).
      throw unavailable(`cannot start the query process: ${(err as Error).message}`);
    }
    this.started++;
    let onReady!: () => void;
    let onFail!: (e: Error) => void;
    let onEnded!: () => void;
    const child: Child = {
      proc,
      killedFor: null,
      wasReady: false,
      ended: new Promise<void>((res) => {
        onEnded = res;
      }),
      answerPath,
      ids: new Set(),
      ready: new Promise<void>((res, rej) => {
        onReady = res;
        onFail = rej;
      }),
    };
    child.ready.catch(() => {});
    // A process that never says ready is killed: the queries waiting for it get 503.
    const startTimer = setTimeout(
      () => this.kill(child, unavailable(`the query process did not start within ${START_MS} ms`)),
      START_MS,
    );
    startTimer.unref();
    child.ready.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
    const reader = new AnswerReader({
      pool: this.pool,
      onAnswer: (id, r) => this.settle(id, null, r),
    });
    proc.on('message', (m: ChildMessage) => {
      if ('type' in m) {
        // Listening: connect to its answer socket; ready once connected.
        const socket = connect({ path: answerPath, onread: reader.onread });
        reader.attach(socket);
        socket.once('connect', () => {
          child.wasReady = true;
          this.everReady = true;
          onReady();
        });
        socket.on('error', () => {}); // 'close' follows
        socket.once('close', () => {
          const why = unavailable('the query process closed its answer socket');
          reader.close(why);
          this.kill(child, why);
        });
        return;
      }
      if (m.t === 'checked') {
        const p = this.pending.get(m.id);
        if (p !== undefined) p.checked = true;
        void this.runChecked(child, m.id, m.flush);
      } else this.settle(m.id, new TradingError(m.code as TradingErrorCode, m.message));
    });
    let ended = false;
    const end = (why: TradingError) => {
      if (ended) return;
      ended = true;
      onFail(why);
      rmSync(child.answerPath, { force: true });
      const wasCurrent = this.child === child;
      if (wasCurrent) this.child = null;
      const wasSpare = this.spare === child;
      if (wasSpare) this.spare = null;
      for (const id of [...child.ids]) this.settle(id, why);
      // Replaced at once after a death in service (not after a failed start: the next query
      // tries): the spare takes over, or a spare that died is started again.
      if (!this.closed && child.wasReady && (wasCurrent || wasSpare)) {
        try {
          if (wasCurrent) this.ensureChild();
          else if (this.child !== null) this.refillSpare(this.child);
        } catch {
          // fork refused: the next query tries again (this runs in an event handler: no throw)
        }
      }
      onEnded();
    };
    proc.on('error', (err: Error) => {
      // Never spawned (EMFILE, EAGAIN, ENOENT, ENOTDIR; or the launcher could not start): no
      // 'exit' follows, so it ends here.
      end(unavailable(`cannot start the query process: ${err.message}`));
    });
    proc.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      end(
        child.killedFor ??
          unavailable(`the query process exited (${signal ?? `code ${code}`}) under the query`),
      );
    });
    return child;
  }

  /** Answers `id` (false: nobody waits for it any more). */
  private settle(id: number, err: Error | null, r?: StreamedResult): boolean {
    const p = this.pending.get(id);
    if (p === undefined) return false;
    this.pending.delete(id);
    p.child.ids.delete(id);
    clearTimeout(p.timer);
    p.release();
    // Answered 504 at the budget: what it reports now only frees its slot (an answer's bytes are dropped).
    if (p.answered) return false;
    if (err !== null) p.reject(err);
    else p.resolve(r!);
    return true;
  }

  /**
   * Kills `child`: the queries it still runs are answered with `why` once it exited. The
   * current one is replaced now (by the spare), not when its exit is reported.
   */
  private kill(child: Child, why: TradingError): void {
    if (child.killedFor !== null) return;
    child.killedFor = why;
    child.proc.kill('SIGKILL');
    // Queries answered at the budget are over: their slots are free now, not at the exit.
    for (const id of [...child.ids]) if (this.pending.get(id)?.answered) this.settle(id, why);
    if (this.child === child) {
      this.child = null;
      if (!this.closed && child.wasReady) {
        try {
          this.ensureChild();
        } catch {
          // fork refused: the next query tries again
        }
      }
    }
  }

  private watchRss(): void {
    if (this.rssTimer !== null) return;
    this.rssTimer = setInterval(() => {
      const child = this.child;
      if (child === null || child.ids.size === 0) {
        clearInterval(this.rssTimer!);
        this.rssTimer = null;
        return;
      }
      const mb = rssMb(child.proc.pid);
      // Killed already (and still exiting, its 'exit' relayed by the launcher): not again, and
      // its queries are answered with why it was killed.
      if (mb > this.o.rssLimitMb && child.killedFor === null) {
        this.counts.memoryKills++;
        const bound = `${Math.round(mb)} MB > ${this.o.rssLimitMb} MB`;
        // One query running: it grew the process, and would again if retried (no Retry-After).
        // Two: either may have, and both are answered 503 + Retry-After.
        if (child.ids.size === 1) {
          const [id] = child.ids;
          this.settle(
            id!,
            new TradingError(
              TradingErrorCode.QUERY_TOO_LARGE,
              `the query took the query process past its memory bound (${bound}) and was ended; narrow it (fewer or smaller columns, a LIMIT) before retrying`,
            ),
          );
        }
        this.kill(
          child,
          unavailable(`the query process passed its memory bound (${bound}) and was restarted`),
        );
      }
    }, this.o.rssPollMs);
    this.rssTimer.unref();
  }

  stats(): QueryProcessStats {
    return {
      ...this.counts,
      running: this.running,
      sent: this.pending.size,
      limits: this.o.limits,
      pid: this.child?.proc.pid ?? null,
      launcherPid: this.launcher.pid,
      sparePid: this.spare?.proc.pid ?? null,
      spareReady: this.spare?.wasReady ?? false,
      restarts: Math.max(0, this.started - 1 - (this.spareStarted ? 1 : 0)),
    };
  }

  /** Answers what runs with 503 TRD_ERR_SHUTTING_DOWN, closes the IPC channel (the process exits). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.rssTimer !== null) clearInterval(this.rssTimer);
    for (const id of [...this.pending.keys()]) {
      this.settle(id, storeClosed());
    }
    const ending: Promise<void>[] = [];
    for (const child of [this.child, this.spare]) {
      const proc = child?.proc;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) continue;
      // Settles on 'exit', and on 'error' too: a process the launcher never forked (it died
      // first, or the fork failed) has no 'exit'.
      if (proc.connected) proc.disconnect();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      ending.push(child!.ended.then(() => clearTimeout(timer)));
    }
    await Promise.all(ending);
    await this.launcher.close();
    if (this.socketDir !== null) rmSync(this.socketDir, { recursive: true, force: true });
  }
}

type ChildMessage =
  | { type: 'ready'; pid: number }
  | { id: number; t: 'checked'; flush: boolean }
  | { id: number; t: 'error'; code: string; message: string };

function unavailable(message: string): TradingError {
  return new TradingError(TradingErrorCode.QUERY_UNAVAILABLE, message);
}

/** RSS in MB from /proc (NaN where there is none: no bound is applied). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    return (pages * 4096) / 1048576;
  } catch {
    return Number.NaN;
  }
}
