/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary directory
 * (trust auth, UTF-8, C locale), `postgres` on a free 127.0.0.1 port with its socket in that
 * directory, a database created, and `{url, stop(), kill(), restart()}`.
 *
 * Binaries: `TICKSTORM_PG_BIN`, else the newest /usr/lib/postgresql/<version>/bin (Debian's
 * `postgresql` package; `.ci/run` installs it). Missing binaries are an error naming the
 * fix, never a silent skip.
 *
 * PostgreSQL refuses to run as root. As root the directory is chown'ed to the `postgres` user
 * and every binary runs as that user: spawned with its uid/gid, which is what
 * `runuser -u postgres --` does, minus the extra process in between (so `kill()` reaches the
 * postmaster itself). The postmaster runs in its own process group: `kill()` SIGKILLs the
 * group (postmaster and backends, a real crash); `restart()` starts it again on the same
 * directory and port (crash recovery replays the WAL).
 *
 * Readiness is a bounded connect loop (the server accepts connections only once recovery
 * is done), not a sleep.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { alive, reapIfTestDies } from './child-process.ts';

export interface PgServerOptions {
  /** Database to create (default `tickstorm`). */
  database?: string;
  /** `fsync` setting (default on; tests that do not crash the OS may turn it off for speed). */
  fsync?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
  /** Bound on start and recovery (default 30 s). */
  startTimeoutMs?: number;
  /** Listen on this port (a server started where a client already waits); default a free one. */
  port?: number;
  /** pg_hba.conf lines put before initdb's (first match wins), e.g. a role that needs a password. */
  hbaFirst?: string[];
}

export interface PgServer {
  /** postgres://postgres@127.0.0.1:PORT/DB */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The postmaster's pid (changes on restart). */
  readonly pid: number;
  /** Fast shutdown (SIGINT), waits for exit, removes the directory. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster and its backends (a crash); waits until they are gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same directory and port; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Log output so far (for failure messages). */
  log(): string;
  /** Creates another database on this server; its URL. */
  createDatabase(name: string): Promise<string>;
}

/** The directory holding initdb and postgres. Throws a message naming the fix when absent. */
export function findPgBin(): string {
  const env = process.env.TICKSTORM_PG_BIN;
  if (env !== undefined && env !== '') {
    if (!existsSync(join(env, 'initdb'))) throw new Error(`TICKSTORM_PG_BIN=${env} holds no initdb`);
    return env;
  }
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb): install Debian\'s "postgresql" ' +
        'package (.ci/run does) or set TICKSTORM_PG_BIN to the directory holding initdb and postgres',
    );
  }
  return join(base, versions[0], 'bin');
}

/** A port the OS reports free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'running as root needs a "postgres" user to run PostgreSQL as (Debian\'s package creates it)',
    );
  }
}

export async function startPgServer(opts: PgServerOptions = {}): Promise<PgServer> {
  const bin = findPgBin();
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-pg-'));
  const data = join(dir, 'data');
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!);
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...as, cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.error?.message}`);
  }
  if (opts.hbaFirst !== undefined) {
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(hba, `${opts.hbaFirst.join('\n')}\n${readFileSync(hba, 'utf8')}`);
  }
  const database = opts.database ?? 'tickstorm';
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let port = opts.port ?? (await freePort());
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let logText = '';
  let stopped = false;
  /** Ends the postmaster (immediate shutdown) and removes `dir` if the test process dies first. */
  let unreap: () => void = () => undefined;

  const launch = async (): Promise<void> => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
    args.push('-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`);
    for (const [k, v] of Object.entries(opts.settings ?? {})) args.push('-c', `${k}=${v}`);
    const c = spawn(join(bin, 'postgres'), args, {
      ...as,
      cwd: dir,
      detached: true, // its own process group: kill() reaches every backend
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    unreap();
    if (c.pid !== undefined) unreap = reapIfTestDies(c.pid, 'QUIT', dir);
    c.stdout?.setEncoding('utf8').on('data', (d: string) => {
      logText += d;
    });
    c.stderr?.setEncoding('utf8').on('data', (d: string) => {
      logText += d;
    });
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) {
        throw new Error(`postgres exited (${c.exitCode ?? c.signalCode}) while starting:\n${logText}`);
      }
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) {
          throw new Error(`postgres not ready within ${timeoutMs} ms: ${(err as Error).message}\n${logText}`);
        }
        // Not accepting yet (starting up / recovering): wait for either its exit or a short retry.
        await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
      }
    }
  };

  const killGroup = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === null || c.pid === undefined) return;
    // Backends call setsid(): they are not in the postmaster's group. A crash (SIGKILL) takes
    // them too, found as the postmaster's children, and waits until they are gone.
    const backends = signal === 'SIGKILL' ? childrenOf(c.pid) : [];
    if (c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(-c.pid, signal);
      } catch {
        // already gone
      }
    }
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    unreap();
    await waitFor(() => backends.every((pid) => !alive(pid)), 'the killed backends to exit', 10_000, 5);
    child = null;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killGroup('SIGINT');
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await launch();
        break;
      } catch (err) {
        // The free port may have been taken between the probe and the bind: try another.
        await killGroup('SIGKILL');
        const movable = opts.port === undefined && /could not bind|Address already in use/i.test(logText);
        if (attempt >= 2 || !movable) throw err;
        port = await freePort();
        logText = '';
      }
    }
    await createDb(port, database);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    port,
    dir,
    get pid() {
      return child?.pid ?? 0;
    },
    stop,
    kill: () => killGroup('SIGKILL'),
    restart: async () => {
      if (stopped) throw new Error('restart after stop');
      await killGroup('SIGINT');
      for (let attempt = 0; ; attempt++) {
        try {
          await launch();
          return;
        } catch (err) {
          // An orphaned backend may still hold the old shared memory for a moment.
          if (attempt >= 20 || !/pre-existing shared memory block/.test(logText)) throw err;
          logText = '';
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    },
    log: () => logText,
    createDatabase: async (name: string) => {
      await createDb(port, name);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}

/** Pids whose parent is `ppid` (Linux /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const ppidField = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidField === ppid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function createDb(port: number, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

/** Resolves once `cond()` holds; rejects after `timeoutMs` naming `what`. Checks every `everyMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
