/**
 * Shared by the query-process tests (query-process.test.ts, query-process-launcher.test.ts):
 * a query that never ends by itself, waiting on a condition, the coded error a query rejects
 * with, a DuckDB file to query, and a host process (a serving process of its own) that starts
 * a query process and can be killed -9.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import { TradingError } from '../../src/errors.ts';
import { QUERY_GUARD_DEFAULTS } from '../../src/guards/query-guard.ts';

/** Runs until interrupted (or its process killed). */
export const ENDLESS =
  'SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1';

/** Resolves once `cond()` holds, checked every `stepMs` (default 5) for up to `timeoutMs` (default 10 s). */
export async function until(
  what: string,
  cond: () => boolean,
  o: { stepMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const end = Date.now() + (o.timeoutMs ?? 10_000);
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, o.stepMs ?? 5));
  }
}

/** The TradingError `p` rejects with (fails the test when it resolves or rejects otherwise). */
export async function codeOf(p: Promise<unknown>): Promise<TradingError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof TradingError, String(err));
  return err;
}

/** A DuckDB file `metrics.duckdb` in a new temp directory (`setupSql` run in it first). */
export async function metricsFile(prefix: string, setupSql?: string): Promise<{ dir: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'metrics.duckdb');
  const inst = await DuckDBInstance.create(path);
  if (setupSql !== undefined) {
    const c = await inst.connect();
    await c.run(setupSql);
    c.closeSync();
  }
  inst.closeSync();
  return { dir, path };
}

export interface QueryHost {
  host: ChildProcess;
  /** Its query process's pid and its launcher's. */
  pid: number;
  launcherPid: number;
  exited: Promise<unknown>;
}

/**
 * A host process with a QueryProcess on `path`, started (`loading`: `start()`, the query
 * process still loading when this resolves) or after a first query (`ready`), once it has
 * printed both pids. `stderr` 'pipe' gives the caller the host's stderr (the launcher's too).
 */
export async function startQueryHost(
  path: string,
  when: 'loading' | 'ready',
  stderr: 'inherit' | 'pipe' = 'inherit',
): Promise<QueryHost> {
  const url = new URL('../../src/guards/query-process.ts', import.meta.url).href;
  const code = [
    `import { QueryProcess } from ${JSON.stringify(url)};`,
    `const qp = new QueryProcess({ path: ${JSON.stringify(path)}, limits: ${JSON.stringify(QUERY_GUARD_DEFAULTS)} });`,
    `if (${JSON.stringify(when)} === 'ready') await qp.query('SELECT 1'); else qp.start();`,
    // The launcher reports the pid a moment after it forked the query process.
    'while (qp.stats().pid === null) await new Promise((r) => setTimeout(r, 1));',
    'console.log(qp.stats().pid, qp.stats().launcherPid);',
    'setInterval(() => {}, 1000);',
  ].join('\n');
  const host = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', stderr],
  });
  const exited = new Promise((r) => host.once('exit', r));
  try {
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: host.stdout! }).once('line', resolve),
    );
    const [pid, launcherPid] = line.split(' ').map(Number) as [number, number];
    assert.ok(pid > 0 && launcherPid > 0, line);
    return { host, pid, launcherPid, exited };
  } catch (err) {
    host.kill('SIGKILL');
    throw err;
  }
}
