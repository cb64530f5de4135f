/**
 * A `tickstorm` child process that a test watches while it runs: its output so far, a wait
 * for a line that matches (bounded; no sleeps), its exit, and a kill for teardown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './cli.ts';

export interface Watched {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match in stdout (now or later); rejects after `timeoutMs` or at exit. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills it if still running (teardown). */
  stop(): Promise<void>;
}

/** Starts `tickstorm ...args`, with `env` over the test's environment. */
export function startTickstorm(args: string[], env: NodeJS.ProcessEnv = {}): Watched {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  const notify = () => {
    for (const w of [...watchers]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      notify();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m !== null) finish(() => resolve(m));
          else if (done) finish(() => reject(new Error(`exited before ${re}:\n${out}\n${err}`)));
        };
        const finish = (f: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          f();
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${re} within ${timeoutMs} ms:\n${out}\n${err}`))),
          timeoutMs,
        );
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (!done) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * `start` runs a tickstorm child (`env` over the test's) and remembers it; `stopAll` (for afterEach) kills those still
 * running and forgets them.
 */
export function trackedTickstorm(): {
  start(args: string[], env?: NodeJS.ProcessEnv): Watched;
  stopAll(): Promise<void>;
} {
  const children: Watched[] = [];
  return {
    start(args, env) {
      const c = startTickstorm(args, env);
      children.push(c);
      return c;
    },
    async stopAll() {
      await Promise.all(children.splice(0).map((c) => c.stop()));
    },
  };
}

/**
 * `tickstorm run FILE --master --expect-workers 2` on an OS-chosen port, writing `--json json`,
 * started with `start` (trackedTickstorm's); resolves with the master and its port once it listens.
 */
export async function startRunMaster(
  start: (args: string[]) => Watched,
  file: string,
  json: string,
): Promise<{ master: Watched; port: string }> {
  const master = start([
    'run',
    file,
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    json,
  ]);
  const [, port] = await master.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  return { master, port };
}
