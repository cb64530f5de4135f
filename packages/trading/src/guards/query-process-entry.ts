/**
 * The query process (forked by ./query-process.ts): runs GET /api/metrics/query's SQL through
 * QueryGuard on its own DuckDB instance, opened READ_ONLY on the shared metrics file
 * (`metrics.duckdb`, which metrics-store/shared-file-replica.ts keeps up to date), at the
 * lowest CPU priority, with a bounded V8 heap (set by the parent's execArgv).
 *
 * The file is held only while queries run: the instance is opened for the first query and
 * closed when the last one ends (before that query's answer is sent, so the parent's next copy
 * into the file finds it free). An open refused because another process holds the file (the
 * replica copying) is retried for up to `openRetryMs`.
 *
 * Messages (IPC, serialization 'advanced'):
 *   parent -> child  { id, sql }                       checked first (./statement-precheck.ts)
 *                    { id, t: 'run' }                   run the checked query `id`
 *                    { id, t: 'cancel' }                the parent answered `id` 504 (its budget
 *                                                       spent): interrupt it, or drop it if not
 *                                                       run yet, and report it ended (an error)
 *   child -> parent  { type: 'ready', pid }             listening on `answerPath`
 *                    { id, t: 'checked', flush }        may run: the parent flushes (if `flush`:
 *                                                       it may read the store's tables), then 'run'
 *                    { id, t: 'error', code, message }
 * Answers go on the Unix socket at `answerPath` (the parent connects once, after ready), one
 * frame each (./answer-stream.ts): a 16-byte header, then the JSON.
 * The child exits when the IPC channel closes (the parent closed it, or died).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { setPriority } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { encodeAnswerHeader } from './answer-stream.ts';
import { type GuardedResult, QueryGuard, type QueryGuardOptions } from './query-guard.ts';
import { NO_EXTENSION_AUTOLOAD, StatementPrecheck } from './statement-precheck.ts';

export interface QueryProcessInit {
  /** The shared metrics file, opened READ_ONLY. */
  path: string;
  limits: QueryGuardOptions;
  /** DuckDB threads of the instance (1: each query runs on the thread that reads it). */
  threads: number;
  /** How long an open refused by a lock held elsewhere is retried (ms). */
  openRetryMs: number;
  /** The Unix socket the answers are written to (the parent connects once). */
  answerPath: string;
}

const init = JSON.parse(process.argv[2] ?? '{}') as QueryProcessInit;
// A callback: a write refused as the channel closes (EPIPE: the parent closed it, or the
// launcher ended, while a query still ran) goes to it, not to an 'error' that kills the process
// with a stack trace as it exits anyway.
const send = (m: unknown) => {
  if (process.connected) process.send!(m, undefined, undefined, () => {});
};

let idlePolicy = true;

/**
 * Nice 19 for every thread of this process (Linux nices threads one by one; new ones inherit
 * their creator's), and the SCHED_IDLE policy where util-linux's `chrt` is installed: such
 * threads run only when no ordinary thread wants the CPU, so a waking order-path thread takes
 * the core at once. Without `chrt` nice 19 is what remains.
 */
function renice(): void {
  if (idlePolicy) {
    try {
      execFileSync('chrt', ['--all-tasks', '--idle', '-p', '0', String(process.pid)], { stdio: 'ignore' });
    } catch {
      idlePolicy = false;
    }
  }
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    tids = ['0'];
  }
  for (const t of tids) {
    try {
      setPriority(Number(t), 19);
    } catch {
      // a thread that ended meanwhile
    }
  }
}

interface Session {
  instance: DuckDBInstance;
  guard: QueryGuard;
}

let session: Session | null = null;
let opening: Promise<Session> | null = null;
let running = 0;

async function openSession(): Promise<Session> {
  const end = performance.now() + init.openRetryMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    let instance: DuckDBInstance | null = null;
    try {
      instance = await DuckDBInstance.create(init.path, {
        access_mode: 'READ_ONLY',
        threads: String(init.threads),
        // Never spill to disk: a query past memory_limit fails at once, instead of writing
        // temp files beside the journal whose fdatasync the orders wait on. (Set before
        // external access is turned off, which refuses it after.)
        temp_directory: '',
        enable_external_access: 'false',
        ...NO_EXTENSION_AUTOLOAD,
      });
      const inst = instance;
      const guard = await QueryGuard.open(() => inst.connect(), init.limits);
      renice(); // the threads DuckDB and libuv started for this instance
      return { instance: inst, guard };
    } catch (err) {
      instance?.closeSync();
      const msg = (err as Error).message;
      if (!/lock/i.test(msg) || performance.now() + wait > end) {
        throw new TradingError(
          TradingErrorCode.QUERY_UNAVAILABLE,
          `cannot open the shared metrics file ${init.path}: ${msg}`,
        );
      }
      // Another process (the replica's copy, a reader) holds the file for a moment.
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function closeSession(): void {
  if (session === null) return;
  session.guard.close();
  session.instance.closeSync();
  session = null;
}

/** Running queries' interrupts (set before the first await of run()). */
const aborts = new Map<number, AbortController>();
/** Queries in their check, and those of them cancelled meanwhile. */
const checking = new Set<number>();
const cancelled = new Set<number>();

const timedOut = (id: number) =>
  send({ id, t: 'error', code: TradingErrorCode.QUERY_TIMEOUT, message: 'query interrupted at its budget' });

async function run(id: number, sql: string): Promise<void> {
  const abort = new AbortController();
  aborts.set(id, abort);
  running++;
  let result: GuardedResult | null = null;
  let error: { code: string; message: string } | null = null;
  try {
    if (session === null) {
      opening ??= openSession().finally(() => {
        opening = null;
      });
      session = await opening;
    }
    result = await session.guard.query(sql, abort.signal);
  } catch (err) {
    error =
      err instanceof TradingError
        ? { code: err.code, message: err.message }
        : { code: TradingErrorCode.INTERNAL, message: (err as Error).message };
  } finally {
    aborts.delete(id);
    running--;
    // Idle: release the shared file before answering, so the parent's next copy finds it free.
    if (running === 0) closeSession();
  }
  if (error !== null) {
    send({ id, t: 'error', ...error });
    return;
  }
  const r = result!;
  const out = await answers;
  let bytes = 0;
  for (const piece of r.json) bytes += piece.length;
  // One frame, written in one go: frames of two answers never interleave.
  out.write(encodeAnswerHeader(id, bytes, r.rowCount, r.truncated));
  for (const piece of r.json) out.write(piece);
}

/** The parent's one connection to the answer socket (the server closes, removing the file). */
let connected!: (s: Socket) => void;
const answers = new Promise<Socket>((resolve) => {
  connected = resolve;
});
const server = createServer((socket) => {
  server.close();
  // The parent went away (the IPC channel's 'disconnect' below ends the process too).
  socket.on('error', () => process.exit(0));
  socket.on('close', () => process.exit(0));
  connected(socket);
});
// Listening never keeps the process alive by itself: a parent that died while this process
// loaded never connects (and holds no IPC channel either).
server.unref();

/** Queries checked and waiting for the parent's 'run' (it flushed the replica for them). */
const checked = new Map<number, string>();
// The in-memory connection for the first look; without it every query goes on to the guard.
const precheck = await StatementPrecheck.open().catch(() => null);

async function check(id: number, sql: string): Promise<void> {
  checking.add(id);
  const r = (await precheck?.check(sql).catch(() => null)) ?? { refused: null, readsStore: true };
  checking.delete(id);
  if (cancelled.delete(id)) {
    timedOut(id);
    return;
  }
  if (r.refused !== null) {
    send({ id, t: 'error', code: TradingErrorCode.QUERY_REFUSED, message: r.refused });
    return;
  }
  checked.set(id, sql);
  send({ id, t: 'checked', flush: r.readsStore });
}

renice();
process.on('message', (m: { id: number; sql: string } | { id: number; t: 'run' | 'cancel' }) => {
  if ('sql' in m) void check(m.id, m.sql);
  else if (m.t === 'cancel') {
    if (checked.delete(m.id)) timedOut(m.id);
    else if (checking.has(m.id)) cancelled.add(m.id);
    else aborts.get(m.id)?.abort();
  } else {
    const sql = checked.get(m.id);
    checked.delete(m.id);
    if (sql !== undefined) void run(m.id, sql);
  }
});
process.on('disconnect', () => {
  closeSession();
  precheck?.close();
  process.exit(0);
});
// The channel closed while this module loaded ('disconnect' was emitted before the listener).
if (!process.connected) process.exit(0);
server.listen(init.answerPath, () => send({ type: 'ready', pid: process.pid }));
