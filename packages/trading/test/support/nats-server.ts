/**
 * A throwaway nats-server for tests and benchmarks: Debian's `nats-server` package
 * (`.ci/run` installs it; `TICKSTORM_NATS_SERVER` names another binary) on 127.0.0.1 and a
 * port the OS picks (`-p -1`), read back from the server's own "Listening for client
 * connections" line: no sleep, no port race. JetStream on (`-js`, the role leases need it:
 * cluster/role-lease.ts) with a store directory of its own, kept across `restart()` as a real
 * server's is, removed by `stop()` (or when the test process ends; `jetstream: false`: a
 * server without it). `stop()` ends it (SIGTERM, awaited); `kill()` SIGKILLs it (a lost bus);
 * `restart()` starts it again on the same port.
 * A missing binary is an error naming the fix, never a silent skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapIfTestDies } from './child-process.ts';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The server process's pid (CPU accounting in benchmarks). */
  readonly pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** `freshStore`: its JetStream store emptied first (a server whose store was lost: a new pod, a new disk). */
  /** `jetstream: false`: started again without JetStream (the store kept for a later restart). */
  restart(o?: { freshStore?: boolean; jetstream?: boolean }): Promise<void>;
}

export function natsServerBinary(): string {
  const env = process.env.TICKSTORM_NATS_SERVER;
  if (env !== undefined && env !== '') return env;
  for (const p of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(p)) return p;
  }
  throw new Error(
    'nats-server not found: install Debian\'s "nats-server" package (.ci/run does) or set TICKSTORM_NATS_SERVER',
  );
}

function launch(
  bin: string,
  port: number,
  startTimeoutMs: number,
  storeDir: string | undefined,
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const js = storeDir === undefined ? [] : ['-js', '-sd', storeDir];
    const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-m', '0', ...js], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // killed (its store removed) if this test process dies first (its teardown never runs); cancelled on exit
    if (child.pid !== undefined) child.once('exit', reapIfTestDies(child.pid, 'KILL', storeDir));
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not start within ${startTimeoutMs} ms:\n${out}`));
    }, startTimeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stderr?.removeAllListeners('data');
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

function ended(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Store directories of servers not stopped yet: removed when this process exits. */
const stores = new Set<string>();
process.once('exit', () => {
  for (const d of stores) rmSync(d, { recursive: true, force: true });
});

export async function startNatsServer(
  o: { startTimeoutMs?: number; jetstream?: boolean } = {},
): Promise<NatsServer> {
  const bin = natsServerBinary();
  const startTimeoutMs = o.startTimeoutMs ?? 10_000;
  const storeDir = o.jetstream === false ? undefined : mkdtempSync(join(tmpdir(), 'tickstorm-nats-js-'));
  if (storeDir !== undefined) stores.add(storeDir);
  let child: ChildProcess;
  let port: number;
  try {
    ({ child, port } = await launch(bin, -1, startTimeoutMs, storeDir));
  } catch (err) {
    if (storeDir !== undefined) rmSync(storeDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    async stop() {
      await ended(child, 'SIGTERM');
      if (storeDir !== undefined) {
        rmSync(storeDir, { recursive: true, force: true });
        stores.delete(storeDir);
      }
    },
    kill: () => ended(child, 'SIGKILL'),
    async restart(r: { freshStore?: boolean; jetstream?: boolean } = {}) {
      await ended(child, 'SIGTERM');
      if (r.freshStore === true && storeDir !== undefined) {
        rmSync(storeDir, { recursive: true, force: true });
        mkdirSync(storeDir);
      }
      ({ child, port } = await launch(
        bin,
        port,
        startTimeoutMs,
        r.jetstream === false ? undefined : storeDir,
      ));
    },
  };
}
