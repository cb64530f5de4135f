/**
 * The query launcher (guards/query-launcher.ts) at the edges: close() while the launcher dies
 * before it reported the query process's pid, or while the launcher could not be spawned at all,
 * ends (no hang). (The launcher in ordinary service: query-process.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
