/**
 * Starts the query processes (./query-process.ts) from a small process of its own, so a
 * restart never forks the process that serves orders. `fork()` copies the page tables of the
 * process that calls it, and the event loop waits meanwhile: 1.5-5 ms on a 250 MB serving
 * process, and hostile queries restart the query process several times a second (memory
 * kills, queries that outlive their interrupt). The launcher is forked once, while the system
 * starts (or at the first query), and holds a few MB.
 *
 * The launcher runs at nice 19 and, where util-linux's `chrt` is installed, SCHED_IDLE: a
 * query process inherits both from its first instruction, so loading its modules (tsx,
 * DuckDB) never takes a core from the order path either.
 *
 * A `RemoteChild` stands for one query process on this side: `pid` (once the launcher forked
 * it), 'message' (relayed), 'error' (never spawned) and 'exit' events, `send` (relayed),
 * `kill` (a signal sent from here, straight to the pid) and `disconnect` (the query process's
 * channel closed by the launcher: it exits).
 *
 * The launcher ends when its channel to this process closes (close(), or this process died):
 * it closes its children's channels (they exit), kills any still there 2 s later, and removes
 * the directory given as `removeAtEnd`. If the launcher itself dies, its children are killed
 * from here and report 'exit'; the next fork starts a new launcher.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';

/** The launcher's program (CommonJS, run with `node -e`: it loads nothing but Node's own modules). */
const LAUNCHER = `'use strict';
const { fork, execFileSync } = require('node:child_process');
const { setPriority } = require('node:os');
try { setPriority(0, 19); } catch {}
try { execFileSync('chrt', ['--idle', '-p', '0', String(process.pid)], { stdio: 'ignore' }); } catch {}
const kids = new Map();
// A callback: a write refused (EPIPE: the serving process died, its channel's end not read
// yet) goes to it, not to an unhandled 'error' that would end this process before its children.
const send = (m) => { if (process.connected) process.send(m, () => {}); };
let ending = false;
// The host's directory of answer sockets: removed when the host is gone (it may have died).
let dir = null;
const bye = () => {
  if (dir !== null) try { require('node:fs').rmSync(dir, { recursive: true, force: true }); } catch {}
  process.exit(0);
};
process.on('message', (m) => {
  if (m.t === 'fork') {
    if (typeof m.removeAtEnd === 'string') dir = m.removeAtEnd;
    let c;
    try {
      c = fork(m.module, m.args, {
        execPath: m.execPath, execArgv: m.execArgv, env: m.env,
        serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    } catch (e) {
      send({ t: 'error', n: m.n, message: e.message });
      return;
    }
    if (c.pid !== undefined) { kids.set(m.n, c); send({ t: 'spawned', n: m.n, pid: c.pid }); }
    c.on('message', (x) => send({ t: 'message', n: m.n, m: x }));
    c.on('error', (e) => { if (c.pid === undefined) send({ t: 'error', n: m.n, message: e.message }); });
    c.once('exit', (code, signal) => {
      kids.delete(m.n);
      send({ t: 'exit', n: m.n, code, signal });
      if (ending && kids.size === 0) bye();
    });
  } else if (m.t === 'send') {
    const c = kids.get(m.n);
    if (c !== undefined && c.connected) c.send(m.m, () => {});
  } else if (m.t === 'disconnect') {
    const c = kids.get(m.n);
    if (c !== undefined && c.connected) c.disconnect();
  }
});
process.on('disconnect', () => {
  ending = true;
  if (kids.size === 0) bye();
  for (const c of kids.values()) if (c.connected) c.disconnect();
  setTimeout(() => { for (const c of kids.values()) c.kill('SIGKILL'); bye(); }, 2000);
});
if (!process.connected) process.exit(0);
send({ t: 'up' });
`;

type LauncherMessage =
  | { t: 'up' }
  | { t: 'spawned'; n: number; pid: number }
  | { t: 'message'; n: number; m: unknown }
  | { t: 'error'; n: number; message: string }
  | { t: 'exit'; n: number; code: number | null; signal: NodeJS.Signals | null };

export interface RemoteForkOptions {
  execArgv: string[];
  /**
   * A directory the launcher removes when it ends because its host closed its channel or
   * died (the host's answer sockets: a host killed -9 cannot remove them itself).
   */
  removeAtEnd?: string;
}

/** One query process, as the launcher forked it. */
export class RemoteChild extends EventEmitter {
  pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** Its channel (through the launcher) is open: false once disconnected or exited. */
  connected = true;
  private ended = false;
  /** A signal asked for before the launcher reported the pid: sent once it does. */
  private pendingSignal: NodeJS.Signals | null = null;

  constructor(
    readonly n: number,
    private readonly launcher: QueryLauncher,
  ) {
    super();
  }

  /** Relayed by the launcher; `cb` gets an error when the launcher cannot be reached. */
  send(m: unknown, cb?: (err: Error | null) => void): void {
    this.launcher.relay({ t: 'send', n: this.n, m }, cb);
  }

  /** Sends `signal` straight to the process (once forked; nothing once it exited). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.ended) return;
    if (this.pid === undefined) {
      this.pendingSignal = signal;
      return;
    }
    try {
      process.kill(this.pid, signal);
    } catch {
      // gone already: its 'exit' is on the way
    }
  }

  /** Closes its channel (the query process exits when it closes). */
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    this.launcher.relay({ t: 'disconnect', n: this.n });
  }

  /** @internal the launcher's report */
  spawned(pid: number): void {
    this.pid = pid;
    if (this.pendingSignal !== null) this.kill(this.pendingSignal);
  }

  /** @internal never spawned: 'error', and no 'exit' */
  failed(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.connected = false;
    this.emit('error', new Error(message));
  }

  /** @internal */
  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.ended) return;
    this.ended = true;
    this.connected = false;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

export class QueryLauncher {
  private proc: ChildProcess | null = null;
  private readonly children = new Map<number, RemoteChild>();
  private next = 1;
  private closed = false;

  /** The launcher's pid (null before the first fork, after close, or while it is restarted). */
  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /**
   * Forks `module` (with `args`) from the launcher, starting the launcher first if there is
   * none. The query process runs this process's Node (`process.execPath`) with this process's
   * environment, as `child_process.fork` from here would.
   */
  fork(module: string, args: string[], o: RemoteForkOptions): RemoteChild {
    if (this.closed) throw new Error('the query launcher is closed');
    const launcher = this.proc ?? this.startLauncher();
    const child = new RemoteChild(this.next++, this);
    this.children.set(child.n, child);
    child.once('exit', () => this.children.delete(child.n));
    child.once('error', () => this.children.delete(child.n));
    launcher.send({
      t: 'fork',
      n: child.n,
      module,
      args,
      execPath: process.execPath,
      execArgv: o.execArgv,
      env: { ...process.env },
      removeAtEnd: o.removeAtEnd,
    });
    return child;
  }

  /** @internal */
  relay(m: object, cb?: (err: Error | null) => void): void {
    const proc = this.proc;
    if (proc === null || !proc.connected) {
      if (cb !== undefined) queueMicrotask(() => cb(new Error('the query launcher is not running')));
      return;
    }
    proc.send(m, (err) => cb?.(err ?? null));
  }

  private startLauncher(): ChildProcess {
    // Its own environment has no NODE_OPTIONS (a --require meant for the server is not loaded
    // here); the query processes get this process's environment with each fork.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const proc = spawn(process.execPath, ['-e', LAUNCHER], {
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc = proc;
    proc.on('message', (m: LauncherMessage) => {
      if (m.t === 'up') return;
      const child = this.children.get(m.n);
      if (child === undefined) return;
      if (m.t === 'spawned') child.spawned(m.pid);
      else if (m.t === 'message') child.emit('message', m.m);
      else if (m.t === 'error') child.failed(m.message);
      else child.exited(m.code, m.signal);
    });
    let gone = false;
    const lost = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.proc === proc) this.proc = null;
      // Its children lost their channel and exit by themselves; they are killed from here so
      // that none outlives what answers for it.
      for (const child of [...this.children.values()]) {
        if (child.pid === undefined) child.failed(`the query launcher ${why}`);
        else {
          child.kill('SIGKILL');
          child.exited(null, 'SIGKILL');
        }
      }
    };
    proc.on('error', (err) => {
      // Never spawned (ENOENT, EAGAIN): no 'exit' follows. Otherwise 'exit' follows.
      if (proc.pid === undefined) lost(`could not be started: ${err.message}`);
    });
    proc.once('exit', (code, signal) => lost(`exited (${signal ?? `code ${code}`})`));
    return proc;
  }

  /**
   * Closes the launcher's channel: it closes its children's (they exit), kills any left after
   * 2 s, and exits. Resolves when it exited.
   */
  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => {
      proc.once('exit', () => r());
      // Never spawned (ENOENT, EAGAIN; reported on the next tick): 'error', and no 'exit'.
      proc.on('error', () => {
        if (proc.pid === undefined) r();
      });
    });
    if (proc.connected) proc.disconnect();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
