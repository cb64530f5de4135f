/**
 * The query launcher (guards/query-launcher.ts) at the edges: close() while the launcher dies
 * before it reported the query process's pid, or while the launcher could not be spawned at all,
 * ends (no hang); a message relayed to a serving process that has just died (EPIPE) does not
 * take the launcher down before it ends its query processes. (The launcher in ordinary service:
 * query-process.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { QUERY_GUARD_DEFAULTS } from '../src/guards/query-guard.ts';
import { QueryLauncher } from '../src/guards/query-launcher.ts';
import { QueryProcess } from '../src/guards/query-process.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `cond()` holds (checked every 5 ms, for up to 10 s). */
async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Bytes waiting to be read on the Unix sockets `pid` holds (`ss`: the Recv-Q column). */
function unreadBytes(pid: number): number {
  const out = spawnSync('ss', ['-xpn'], { encoding: 'utf8' }).stdout;
  let bytes = 0;
  for (const line of out.split('\n')) {
    if (line.includes(`pid=${pid},`)) bytes += Number(line.trim().split(/\s+/)[2]);
  }
  return bytes;
}

const HAS_SS = spawnSync('ss', ['-V']).status === 0;

describe('the query launcher at the edges', () => {
  let dir: string;
  let path: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickstorm-query-launcher-'));
    path = join(dir, 'metrics.duckdb');
    const inst = await DuckDBInstance.create(path);
    inst.closeSync();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('close() while the launcher dies before it forked the query process: close() ends', {
    timeout: 20_000,
  }, async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    qp.start(); // the launcher spawned; the fork asked for, its pid not known yet
    const launcherPid = qp.stats().launcherPid!;
    assert.ok(launcherPid > 0);
    assert.equal(qp.stats().pid, null);
    try {
      const closing = qp.close();
      process.kill(launcherPid, 'SIGKILL'); // before it read the fork: the query process never starts
      await closing;
      assert.equal(qp.stats().launcherPid, null);
    } finally {
      if (alive(launcherPid)) process.kill(launcherPid, 'SIGKILL');
    }
  });

  test('close() right after the launcher could not be spawned: close() ends', { timeout: 20_000 }, async () => {
    const launcher = new QueryLauncher();
    const execPath = process.execPath;
    let failed: Error | null = null;
    try {
      process.execPath = join(dir, 'no-such-node'); // spawn fails (ENOENT): 'error', never 'exit'
      launcher.fork(join(dir, 'never-loaded.js'), [], { execArgv: [] }).on('error', (e) => {
        failed = e;
      });
    } finally {
      process.execPath = execPath;
    }
    await launcher.close();
    assert.match(String(failed), /could not be started/);
    assert.equal(launcher.pid, null);
  });

  test('a message relayed to a serving process that just died (EPIPE): the launcher still ends its query process', {
    skip: HAS_SS ? false : 'no ss(8) to see the relayed message queued',
    timeout: 40_000,
  }, async () => {
    // A host (the serving process) starts a query process and prints its pid and the launcher's.
    // The launcher is stopped while the query process loads; its 'ready' then waits, unread, on
    // the launcher's socket. The query process is stopped too (as one stuck in a query would
    // be), the host killed -9, and the launcher continued: it reads the 'ready' first and relays
    // it to the dead host (EPIPE), then finds its channel closed and must end the query process
    // (SIGKILL 2 s after closing its channel).
    const url = new URL('../src/guards/query-process.ts', import.meta.url).href;
    const code = [
      `import { QueryProcess } from ${JSON.stringify(url)};`,
      `const qp = new QueryProcess({ path: ${JSON.stringify(path)}, limits: ${JSON.stringify(QUERY_GUARD_DEFAULTS)} }).start();`,
      'while (qp.stats().pid === null) await new Promise((r) => setTimeout(r, 1));',
      'console.log(qp.stats().pid, qp.stats().launcherPid);',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const host = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    host.stderr!.on('data', (d) => {
      stderr += String(d); // the launcher's too (inherited), after the host died
    });
    const hostExited = new Promise((r) => host.once('exit', r));
    let pid = 0;
    let launcherPid = 0;
    try {
      const line = await new Promise<string>((resolve) =>
        createInterface({ input: host.stdout! }).once('line', resolve),
      );
      [pid, launcherPid] = line.split(' ').map(Number) as [number, number];
      assert.ok(pid > 0 && launcherPid > 0, line);
      process.kill(launcherPid, 'SIGSTOP');
      await until("the query process's 'ready' queued on the stopped launcher", () => unreadBytes(launcherPid) > 0);
      process.kill(pid, 'SIGSTOP');
      host.kill('SIGKILL');
      await hostExited;
      process.kill(launcherPid, 'SIGCONT');
      await until('the launcher gone', () => !alive(launcherPid));
      await until('the stopped query process killed by the launcher', () => !alive(pid));
      assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error'/);
    } finally {
      host.kill('SIGKILL');
      for (const p of [pid, launcherPid]) {
        if (p > 0 && alive(p)) {
          process.kill(p, 'SIGKILL');
        }
      }
    }
  });
});
