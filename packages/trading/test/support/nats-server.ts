/**
 * A throwaway nats-server for tests and benchmarks: Debian's `nats-server` package
 * (`.ci/run` installs it; `TICKSTORM_NATS_SERVER` names another binary) on 127.0.0.1 and a
 * port the OS picks (`-p -1`), read back from the server's own "Listening for client
 * connections" line: no sleep, no port race. `stop()` ends it (SIGTERM, awaited);
 * `kill()` SIGKILLs it (a lost bus); `restart()` starts it again on the same port.
 * A missing binary is an error naming the fix, never a silent skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { reapIfTestDies } from './child-process.ts';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The server process's pid (CPU accounting in benchmarks). */
  readonly pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
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
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-m', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // killed if this test process dies first (its teardown never runs); cancelled on exit
    if (child.pid !== undefined) child.once('exit', reapIfTestDies(child.pid, 'KILL'));
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

export async function startNatsServer(o: { startTimeoutMs?: number } = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  const startTimeoutMs = o.startTimeoutMs ?? 10_000;
  let { child, port } = await launch(bin, -1, startTimeoutMs);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    stop: () => ended(child, 'SIGTERM'),
    kill: () => ended(child, 'SIGKILL'),
    async restart() {
      await ended(child, 'SIGTERM');
      ({ child, port } = await launch(bin, port, startTimeoutMs));
    },
  };
}
