/**
 * GET /api/metrics/query on a file store runs in a separate process (guards/query-process.ts):
 * another pid, nice 19 on every thread; a row stored just before a query is in its answer
 * (the shared file is copied first); the process killed under a query answers 503 + Retry-After
 * and the next query runs in a new one; past its RSS bound it is killed (503); an outside
 * process holding the shared file gets a 503 once the open's retries are spent; an in-memory
 * store keeps the queries in this process; closing the system ends the query process.
 * (Every hostile SQL's code through the query process: hostile-sql.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpStatusOf } from '../src/errors.ts';
import { QUERY_GUARD_DEFAULTS } from '../src/guards/query-guard.ts';
import { QueryProcess, type QueryProcessStats } from '../src/guards/query-process.ts';
import { alive } from './support/child-process.ts';
import { holdElsewhere } from './support/duckdb-elsewhere.ts';
import { codeOf, ENDLESS, metricsFile, startQueryHost, until } from './support/query-process-support.ts';
import { type Fixture, pollUntil, startFixture } from './support/trading-fixture.ts';

/** The nice value of a thread (field 19 of /proc/PID/task/TID/stat). */
function niceOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The parent pid of a process (field 4 of its stat). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The scheduling policy of a thread (field 41 of its stat; 5 is SCHED_IDLE). */
function policyOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
}

const HAS_CHRT = spawnSync('chrt', ['--version']).status === 0;

describe('the query process (file store)', () => {
  let f: Fixture;
  let api: string;
  const q = (sql: string) => f.http.get(`${api}/api/metrics/query?sql=${encodeURIComponent(sql)}`);
  const stats = () => f.sys.queryGuard!.stats() as QueryProcessStats;
  before(async () => {
    // The product's 2 s: counted from the query's arrival (the copy into the shared file, the check
    // and the open included), in a process that gets its CPU late on a busy box.
    f = await startFixture({ services: ['api'], queryLimits: { timeoutMs: 2000 } });
    api = f.url('api');
  });
  after(() => f.close());

  test('queries run in another process, at nice 19 on every thread', async () => {
    const r = await q('SELECT 42 AS x');
    assert.deepEqual(r.body, { rows: [{ x: 42 }], truncated: false });
    const pid = stats().pid!;
    assert.ok(pid > 0 && pid !== process.pid, `query pid ${pid}`);
    const tids = readdirSync(`/proc/${pid}/task`).map(Number);
    assert.ok(tids.length > 1);
    for (const tid of tids) assert.equal(niceOf(pid, tid), 19, `thread ${tid}`);
    // SCHED_IDLE where util-linux's chrt exists (Debian: always).
    if (HAS_CHRT) for (const tid of tids) assert.equal(policyOf(pid, tid), 5, `thread ${tid} SCHED_IDLE`);
    const health = await f.http.get(`${api}/health`);
    assert.equal(health.body.queries.pid, pid);
    // Forked by the launcher, not by the serving process (whose event loop a fork would stop).
    const launcherPid = stats().launcherPid!;
    assert.ok(launcherPid > 0 && launcherPid !== process.pid);
    assert.equal(parentOf(pid), launcherPid);
    assert.equal(parentOf(launcherPid), process.pid);
    assert.equal(health.body.queries.launcherPid, launcherPid);
    assert.equal(niceOf(launcherPid, launcherPid), 19);
    if (HAS_CHRT) assert.equal(policyOf(launcherPid, launcherPid), 5);
  });

  test('a row stored just before a query is in its answer', async () => {
    for (let i = 0; i < 3; i++) {
      const name = `query_process_fresh_${i}`;
      const p = await f.http.post(`${api}/api/metrics`, JSON.stringify([{ name, value: i + 0.5 }]), {
        'content-type': 'application/json',
      });
      assert.equal(p.status, 202);
      const r = await q(`SELECT value FROM trading_metrics WHERE name = '${name}'`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.rows, [{ value: i + 0.5 }]);
    }
  });

  test('the query process killed under a query: 503 + Retry-After, the next query runs in a new one', async () => {
    await q('SELECT 1'); // started
    // (a kill with no spare ready yet: the next query waits for one at most its 2 s, then 503)
    await until('the spare ready', () => stats().spareReady);
    const before = stats();
    const running = q(ENDLESS);
    await pollUntil('the query sent to the query process', async () =>
      stats().sent === 1 ? true : undefined,
    );
    process.kill(before.pid!, 'SIGKILL');
    const r = await running;
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'TRD_ERR_QUERY_UNAVAILABLE');
    assert.equal(r.headers.get('retry-after'), '1');
    const next = await q('SELECT 7 AS x');
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.deepEqual(next.body.rows, [{ x: 7 }]);
    const after = stats();
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.restarts, before.restarts + 1);
    assert.equal(after.unavailable, before.unavailable + 1);
    assert.ok(!alive(before.pid!));
  });

  test('the timeout is still 504 and the 2-at-once bound 429', async () => {
    const running = [q(ENDLESS), q(ENDLESS)];
    await pollUntil('two queries sent', async () => (stats().sent === 2 ? true : undefined));
    const third = await q('SELECT 1');
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'TRD_ERR_TOO_MANY_QUERIES');
    for (const r of await Promise.all(running)) {
      assert.equal(r.status, 504, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_TIMEOUT');
    }
  });
});

test('started with the store (as serve does); closing the system ends it', async () => {
  const f = await startFixture({ services: ['api'], queryProcessStart: 'with-store' });
  let pid: number;
  let launcherPid: number;
  try {
    const stats = () => f.sys.queryGuard!.stats() as QueryProcessStats;
    // The launcher is there at once; it reports the query process's pid once it forked it.
    launcherPid = stats().launcherPid!;
    assert.ok(launcherPid > 0 && alive(launcherPid));
    await until('the query process forked', () => stats().pid !== null);
    pid = stats().pid!;
    assert.ok(pid > 0 && pid !== process.pid && alive(pid));
    const r = await f.http.get(
      `${f.url('api')}/api/metrics/query?sql=${encodeURIComponent('SELECT 1 AS x')}`,
    );
    assert.equal(r.status, 200);
    assert.equal((f.sys.queryGuard!.stats() as QueryProcessStats).pid, pid);
  } finally {
    await f.close();
  }
  assert.ok(!alive(pid));
  assert.ok(!alive(launcherPid));
});

test('an in-memory store keeps the queries in this process', async () => {
  const f = await startFixture({ services: ['api'], metricsPath: ':memory:' });
  try {
    const r = await f.http.get(
      `${f.url('api')}/api/metrics/query?sql=${encodeURIComponent('SELECT 1 AS x')}`,
    );
    assert.deepEqual(r.body, { rows: [{ x: 1 }], truncated: false });
    assert.equal(f.sys.queryGuard!.stats().pid, process.pid);
  } finally {
    await f.close();
  }
});

describe('QueryProcess on a file', () => {
  let dir: string;
  let path: string;
  before(async () => {
    ({ dir, path } = await metricsFile(
      'tickstorm-query-process-',
      'CREATE TABLE t AS SELECT range AS x FROM range(10)',
    ));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('past its RSS bound the process is killed: the query alone 422 (not to be retried), two at once 503', async () => {
    const qp = new QueryProcess({
      path,
      limits: { ...QUERY_GUARD_DEFAULTS, timeoutMs: 5000 },
      rssLimitMb: 1,
    });
    try {
      const alone = await codeOf(qp.query(ENDLESS));
      assert.equal(alone.code, 'TRD_ERR_QUERY_TOO_LARGE');
      assert.equal(httpStatusOf(alone.code), 422);
      assert.match(alone.message, /memory bound/);
      assert.equal(qp.stats().memoryKills, 1);
      assert.equal(qp.stats().tooLarge, 1);
      // Two in the process when it passes the bound: either may have grown it.
      const both = await Promise.all([codeOf(qp.query(ENDLESS)), codeOf(qp.query(ENDLESS))]);
      for (const err of both) {
        assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
        assert.match(err.message, /memory bound/);
      }
      assert.equal(qp.stats().memoryKills, 2);
      assert.equal(qp.stats().tooLarge, 1);
    } finally {
      await qp.close();
    }
  });

  test('another process holding the file: the open is retried, then 503', async () => {
    const holder = await holdElsewhere(path);
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS, openRetryMs: 100 });
    try {
      const err = await codeOf(qp.query('SELECT count(*) AS n FROM t'));
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      assert.match(err.message, /lock/i);
      holder.stdin!.end();
      await new Promise((r) => holder.once('exit', r));
      const r = await qp.query('SELECT count(*) AS n FROM t');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":10}],"truncated":false}');
    } finally {
      if (holder.exitCode === null) holder.kill();
      await qp.close();
    }
  });

  test('close() while a query waits for the copy: 503 SHUTTING_DOWN, the query never runs, no query process left', async () => {
    let release!: () => void;
    const copied = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const copying = new Promise<void>((r) => {
      entered = r;
    });
    const qp = new QueryProcess({
      path,
      limits: QUERY_GUARD_DEFAULTS,
      beforeQuery: () => {
        entered();
        return copied;
      },
    });
    // close() answers the waiting query at once (the copy is still under way)
    const answered = codeOf(qp.query('SELECT sum(x) FROM t'));
    await copying;
    const started = qp.stats().pid; // the query process that checked the SQL
    await qp.close();
    release();
    try {
      const err = await answered;
      assert.equal(err.code, 'TRD_ERR_SHUTTING_DOWN');
      const pid = qp.stats().pid;
      assert.ok(pid === null || pid === started, 'no query process was started after close()');
      if (started !== null) await until('the query process ended with close()', () => !alive(started));
    } finally {
      const pid = qp.stats().pid;
      if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  test('close() while a query waits for the process to start: 503 SHUTTING_DOWN', async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    const answered = codeOf(qp.query('SELECT 1'));
    await until('the query process forked', () => qp.stats().pid !== null);
    await qp.close();
    const err = await answered;
    assert.equal(err.code, 'TRD_ERR_SHUTTING_DOWN');
  });

  test('a query process that cannot be spawned: 503 at once (no hang), the next query starts one', {
    timeout: 20_000,
  }, async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    const execPath = process.execPath;
    try {
      process.execPath = join(dir, 'no-such-node'); // fork fails (ENOENT): 'error', never 'exit'
      qp.start();
    } finally {
      process.execPath = execPath;
    }
    try {
      const err = await codeOf(qp.query('SELECT 1'));
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      const r = await qp.query('SELECT count(*) AS n FROM t');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":10}],"truncated":false}');
    } finally {
      await qp.close();
    }
  });

  test('a restart that cannot fork (fork throws) leaves this process up: 503, then a new one', async () => {
    // No spare: the restart is a fork (with a spare, the spare takes over: query-process-spare.test.ts).
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS, spare: false });
    const execPath = process.execPath;
    try {
      await qp.query('SELECT 1');
      const pid = qp.stats().pid!;
      process.execPath = join(path, 'node'); // under a file: fork throws ENOTDIR at once
      process.kill(pid, 'SIGKILL');
      await until('the death noticed', () => qp.stats().pid !== pid);
      assert.equal(qp.stats().pid, null);
      const err = await codeOf(qp.query('SELECT 1'));
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      assert.match(err.message, /ENOTDIR/);
      process.execPath = execPath;
      const r = await qp.query('SELECT count(*) AS n FROM t');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":10}],"truncated":false}');
    } finally {
      process.execPath = execPath;
      await qp.close();
    }
  });

  test('a query process that cannot load: 503, no respawn until the next query, then it recovers', async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    const nodeOptions = process.env.NODE_OPTIONS;
    const restore = () => {
      if (nodeOptions === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = nodeOptions;
    };
    try {
      process.env.NODE_OPTIONS = `--require ${join(dir, 'no-such-module.cjs')}`; // exits at once
      for (let i = 0; i < 2; i++) {
        const err = await codeOf(qp.query('SELECT 1'));
        assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
        assert.equal(qp.stats().pid, null, 'a process that never started is not restarted by itself');
      }
      assert.equal(qp.stats().restarts, 1); // one start a query
      restore();
      const r = await qp.query('SELECT count(*) AS n FROM t');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":10}],"truncated":false}');
    } finally {
      restore();
      await qp.close();
    }
  });

  test('the launcher killed under a query: 503, its query process ends, the next query starts both again', async () => {
    const qp = new QueryProcess({ path, limits: { ...QUERY_GUARD_DEFAULTS, timeoutMs: 30_000 } });
    try {
      await qp.query('SELECT 1'); // started
      const { pid, launcherPid } = qp.stats();
      const running = codeOf(qp.query(ENDLESS));
      await until('the query sent', () => qp.stats().sent === 1);
      process.kill(launcherPid!, 'SIGKILL');
      const err = await running;
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      await until('the orphaned query process gone', () => !alive(pid!));
      const r = await qp.query('SELECT count(*) AS n FROM t');
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":10}],"truncated":false}');
      assert.notEqual(qp.stats().launcherPid, launcherPid);
      assert.notEqual(qp.stats().pid, pid);
    } finally {
      await qp.close();
    }
  });

  test('close() during a query: 503 SHUTTING_DOWN, the process ends', async () => {
    const qp = new QueryProcess({ path, limits: { ...QUERY_GUARD_DEFAULTS, timeoutMs: 30_000 } });
    await qp.query('SELECT 1'); // started
    const running = qp.query(ENDLESS);
    await until('the query sent', () => qp.stats().sent === 1);
    const pid = qp.stats().pid!;
    const launcherPid = qp.stats().launcherPid!;
    const answered = codeOf(running);
    await qp.close();
    const err = await answered;
    assert.equal(err.code, 'TRD_ERR_SHUTTING_DOWN');
    assert.ok(!alive(pid));
    assert.ok(!alive(launcherPid), 'the launcher ended with close()');
    assert.equal(qp.stats().launcherPid, null);
  });

  test('SQL the guard refuses, and SELECTs that name no table of the file, cost no copy into the shared file', async () => {
    let copies = 0;
    const qp = new QueryProcess({
      path,
      limits: QUERY_GUARD_DEFAULTS,
      beforeQuery: async () => {
        copies++;
      },
    });
    try {
      const refused = {
        "ATTACH '/tmp/tickstorm-precheck.duckdb' AS h": /only one read-only SELECT/,
        "COPY (SELECT 1) TO '/tmp/tickstorm-precheck.csv'": /file system operations are disabled/,
        "SELECT * FROM read_csv('/etc/passwd')": /file system operations are disabled/,
        'INSTALL httpfs': /only one read-only SELECT/,
        "SET memory_limit = '64GB'": /only one read-only SELECT/,
        'SELECT 1; SELECT 2': /expected exactly one statement, got 2/,
        'SELEC 1': /invalid SQL/,
      };
      for (const [sql, why] of Object.entries(refused)) {
        const err = await codeOf(qp.query(sql));
        assert.equal(err.code, 'TRD_ERR_QUERY_REFUSED', sql);
        assert.match(err.message, why, sql);
      }
      assert.equal(copies, 0, 'a refused statement cost a copy');
      assert.equal(existsSync('/tmp/tickstorm-precheck.csv'), false);
      // SELECTs that read no table of the file run without a copy (no stored row can be in them)
      const tableFree = {
        'SELECT * FROM range(3)': [{ range: 0 }, { range: 1 }, { range: 2 }],
        "SELECT repeat('x', 3) AS s": [{ s: 'xxx' }],
        'WITH a AS (SELECT 2 AS v) SELECT v * 2 AS w FROM a': [{ w: 4 }],
      };
      for (const [sql, rows] of Object.entries(tableFree)) {
        const r = await qp.query(sql);
        assert.deepEqual(JSON.parse(String(await r.stream.collect())).rows, rows, sql);
      }
      assert.equal(copies, 0, 'a SELECT on no table of the file cost a copy');
      // a SELECT on a table only the file has passes the check, is copied for, and runs;
      // so does one that joins such a table with a table function
      const r = await qp.query('SELECT sum(x) AS s FROM t');
      assert.deepEqual(JSON.parse(String(await r.stream.collect())).rows, [{ s: 45 }]);
      assert.equal(copies, 1);
      const j = await qp.query('SELECT count(*)::INT AS n FROM range(2), t');
      assert.deepEqual(JSON.parse(String(await j.stream.collect())).rows, [{ n: 20 }]);
      assert.equal(copies, 2);
      // one the file refuses after the check (no such table) is still refused, by the guard
      const missing = await codeOf(qp.query('SELECT * FROM no_such_table'));
      assert.equal(missing.code, 'TRD_ERR_QUERY_REFUSED');
      assert.equal(qp.stats().refused, 8);
      assert.equal(copies, 3, "a table the check cannot see may be the file's: copied for");
    } finally {
      await qp.close();
    }
  });

  test('its parent killed while it loads (or after): the query process ends by itself', async () => {
    // A host process that starts a query process, prints its pid and waits; killed -9 at once,
    // while the query process is still loading (tsx, DuckDB), or once it is ready.
    for (const when of ['loading', 'ready'] as const) {
      const { host, pid, launcherPid, exited } = await startQueryHost(path, when);
      try {
        // The directory of its answer socket, from its command line (the host cannot remove
        // it once killed: the launcher does).
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
        const socketDir = dirname((JSON.parse(argv[argv.length - 2]!) as { answerPath: string }).answerPath);
        assert.ok(existsSync(socketDir), socketDir);
        host.kill('SIGKILL');
        await exited;
        await until(`the query process (${when}) gone after its parent`, () => !alive(pid));
        await until(`the launcher (${when}) gone after its parent`, () => !alive(launcherPid));
        assert.ok(!existsSync(socketDir), `${socketDir} left behind`);
      } finally {
        host.kill('SIGKILL');
      }
    }
  });
});
