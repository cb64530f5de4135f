/**
 * The spare query process (guards/query-process.ts): loaded and idle while the current one
 * serves, it takes over when the current one is killed, so the next query is answered within
 * its timeout rather than after a new process loaded. The query processes here load slowly on
 * purpose (a `--require` that sleeps 2.5 s before tsx and DuckDB load, as a busy box does to a
 * SCHED_IDLE process): without the spare, the query after a memory kill waited for that load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QUERY_GUARD_DEFAULTS } from '../src/guards/query-guard.ts';
import { QueryProcess } from '../src/guards/query-process.ts';
import { alive } from './support/child-process.ts';
import { codeOf, ENDLESS, metricsFile, until } from './support/query-process-support.ts';

/** Rows of 1 MB: a 2,048-row chunk takes the process far past a 300 MB RSS bound. */
const WIDE = "SELECT repeat('x', 1000000) AS s FROM range(5000)";
const SLOW_START_MS = 2500;

describe('the spare query process', () => {
  let dir: string;
  let path: string;
  let slowDir: string;
  const nodeOptions = process.env.NODE_OPTIONS;
  before(async () => {
    ({ dir, path } = await metricsFile('tickstorm-query-spare-', 'CREATE TABLE t AS SELECT 1 AS x'));
    slowDir = mkdtempSync(join(tmpdir(), 'tickstorm-slow-start-'));
    const slow = join(slowDir, 'slow-start.cjs');
    writeFileSync(slow, `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${SLOW_START_MS});\n`);
    // Read by each query process when the launcher forks it (the launcher drops NODE_OPTIONS).
    process.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${slow}`.trim();
  });
  after(() => {
    if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = nodeOptions;
    rmSync(dir, { recursive: true, force: true });
    rmSync(slowDir, { recursive: true, force: true });
  });

  test('after a memory kill the next query is answered within its 2 s timeout (504 in < 3.5 s), by the spare', {
    timeout: 60_000,
  }, async (t) => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS, rssLimitMb: 300 });
    try {
      qp.start();
      await until('the spare ready', () => qp.stats().spareReady === true, { timeoutMs: 30_000 });
      const { pid, sparePid } = qp.stats();
      const killed = await codeOf(qp.query(WIDE));
      assert.equal(killed.code, 'TRD_ERR_QUERY_TOO_LARGE');
      const start = performance.now();
      const err = await codeOf(qp.query(ENDLESS));
      const ms = performance.now() - start;
      t.diagnostic(`504 after ${Math.round(ms)} ms`);
      assert.equal(err.code, 'TRD_ERR_QUERY_TIMEOUT');
      assert.ok(ms < 3500, `the 504 came after ${Math.round(ms)} ms`);
      assert.equal(qp.stats().pid, sparePid, 'the spare took over');
      assert.equal(qp.stats().restarts, 1);
      await until('the killed process gone', () => !alive(pid!));
      // and a new spare is loading behind it
      await until('a new spare', () => qp.stats().sparePid !== null && qp.stats().sparePid !== sparePid);
    } finally {
      await qp.close();
    }
  });

  test('two kills in a row, the new spare still loading: the next query is answered 503 within its 2 s, not after the load', {
    timeout: 60_000,
  }, async (t) => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS, rssLimitMb: 300 });
    try {
      qp.start();
      await until('the spare ready', () => qp.stats().spareReady === true, { timeoutMs: 30_000 });
      assert.equal((await codeOf(qp.query(WIDE))).code, 'TRD_ERR_QUERY_TOO_LARGE');
      // the spare took over, and its own spare loads (2.5 s at least): killed again meanwhile
      assert.equal((await codeOf(qp.query(WIDE))).code, 'TRD_ERR_QUERY_TOO_LARGE');
      assert.equal(qp.stats().spareReady, false);
      const start = performance.now();
      const err = await codeOf(qp.query(ENDLESS));
      const ms = performance.now() - start;
      t.diagnostic(`${err.code} after ${Math.round(ms)} ms`);
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      assert.match(err.message, /no query process was ready within 2000 ms/);
      assert.ok(ms < 3500, `answered after ${Math.round(ms)} ms`);
      // once it is ready, it answers
      await until('the new process ready', () => qp.stats().pid !== null && qp.stats().spareReady, {
        timeoutMs: 30_000,
      });
      const r = await qp.query('SELECT 3 AS x');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"x":3}],"truncated":false}');
    } finally {
      await qp.close();
    }
  });

  test('close() ends the spare too', { timeout: 60_000 }, async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    qp.start();
    await until('the spare forked', () => qp.stats().sparePid !== null, { timeoutMs: 30_000 });
    const { pid, sparePid } = qp.stats();
    await qp.close();
    assert.ok(!alive(pid!));
    assert.ok(!alive(sparePid!));
  });
});
