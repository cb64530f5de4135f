/**
 * GET /api/metrics/query can't hurt: huge results are truncated (rows and bytes), endless
 * queries are interrupted, files/extensions/other databases/multiple statements are refused,
 * more than two at once get 429, and the api keeps answering afterwards. The fixture's store is
 * a file: the queries run in the query process (guards/query-process.ts; more in
 * query-process.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from './support/query-process-support.ts';
import { type Fixture, pollUntil, startFixture } from './support/trading-fixture.ts';

const ENDLESS_QUERY =
  'SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1';

describe('hostile SQL on /api/metrics/query', () => {
  let f: Fixture;
  let api: string;
  const q = (sql: string) => f.http.get(`${api}/api/metrics/query?sql=${encodeURIComponent(sql)}`);
  before(async () => {
    // The product's 2 s: counted from the query's handing to the query process (check and open
    // included), which runs at SCHED_IDLE and gets its CPU late on a busy box.
    f = await startFixture({ services: ['api'], queryLimits: { timeoutMs: 2000 } });
    api = f.url('api');
  });
  after(() => f.close());

  test('a huge result is cut at 10,000 rows with truncated: true', async () => {
    const r = await q('SELECT * FROM range(30000000)');
    assert.equal(r.status, 200);
    assert.equal(r.body.rows.length, 10_000);
    assert.equal(r.body.truncated, true);
  });

  test('wide rows are cut at 8 MiB', async () => {
    const r = await q("SELECT repeat('x', 20000) AS s FROM range(1000)");
    assert.equal(r.status, 200);
    assert.equal(r.body.truncated, true);
    assert.ok(r.body.rows.length < 500, `${r.body.rows.length} rows`);
    assert.ok(JSON.stringify(r.body).length <= 8 * 1024 * 1024 + 1024);
  });

  test('a small result is whole: truncated false', async () => {
    const r = await q('SELECT 42 AS x');
    assert.deepEqual(r.body, { rows: [{ x: 42 }], truncated: false });
  });

  test('the answer is JSON as built row by row: UTF-8 text, a big integer nested in a list as a string', async () => {
    const r = await q("SELECT 'é€' AS e, [9007199254740993::BIGINT, 1::BIGINT] AS l");
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(r.body, { rows: [{ e: 'é€', l: ['9007199254740993', '1'] }], truncated: false });
  });

  test('a query parameter other than sql is a coded 400 naming it, not dropped or read as no sql', async () => {
    for (const [path, field] of [
      ['?sql=SELECT%201&limit=5', 'limit'],
      ['?sq1=SELECT%201', 'sq1'],
    ]) {
      const r = await f.http.get(`${api}/api/metrics/query${path}`);
      assert.equal(r.status, 400, path);
      assert.deepEqual([r.body.error.code, r.body.error.field], ['TRD_ERR_INVALID_QUERY', field], path);
    }
  });

  test('an endless query is interrupted at the timeout (504)', async () => {
    const r = await q(
      'SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1',
    );
    assert.equal(r.status, 504);
    assert.equal(r.body.error.code, 'TRD_ERR_QUERY_TIMEOUT');
  });

  for (const sql of [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "ATTACH '/tmp/tickstorm-hostile.duckdb' AS h",
    "COPY (SELECT 1) TO '/tmp/tickstorm-hostile.csv'",
    'INSTALL httpfs',
    'LOAD httpfs',
    'SELECT 1; SELECT 2',
    'SET lock_configuration = false',
    "SET memory_limit = '100GB'",
    'CREATE TABLE t (x INT)',
    'DROP TABLE trading_metrics',
  ]) {
    test(`refused: ${sql}`, async () => {
      const r = await q(sql);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_REFUSED');
    });
  }

  for (const sql of [
    "SELECT string_agg(repeat('x', 1000), '') FROM range(10000000)",
    'SELECT * FROM duckdb_secrets()',
  ]) {
    test(`a query that fails while it runs is coded as a query failure: ${sql}`, async () => {
      const r = await q(sql);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_REFUSED');
      assert.match(r.body.error.message, /^query failed: /);
    });
  }

  test('a NUL in the SQL is refused: DuckDB would run only what comes before it', async () => {
    for (const sql of [
      'SELECT 1 AS x\0; DROP TABLE trading_metrics',
      'SELECT count(*) AS n FROM trading_metrics\0',
    ]) {
      const r = await q(sql);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_REFUSED');
      assert.match(r.body.error.message, /NUL/);
    }
  });

  test('no extension is installed or loaded on the fly (sqlsmith, tpch, iceberg): refused, no install tried', async () => {
    for (const sql of ['SELECT * FROM sqlsmith()', 'CALL dbgen(sf=1)', "SELECT * FROM iceberg_scan('x')"]) {
      const r = await q(sql);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_REFUSED');
      assert.doesNotMatch(r.body.error.message, /automatically install|\.duckdb\/extensions/, sql);
    }
    const s = await q(
      "SELECT current_setting('autoinstall_known_extensions') AS i, current_setting('autoload_known_extensions') AS l",
    );
    assert.deepEqual(s.body.rows, [{ i: false, l: false }]);
  });

  // Round 2: what a reviewer who knows DuckDB tries. Each is refused (or, for the statements
  // that are no SELECT, refused before it runs); none changes a setting for later queries.
  for (const sql of [
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT getenv('HOME') AS h",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'x.parquet'",
    "SELECT * FROM 'https://example.com/x.csv'",
    "SELECT * FROM query('SET memory_limit=''10GB''')",
    "SELECT * FROM query('SELECT * FROM read_text(''/etc/hostname'')')",
    'RESET memory_limit',
    "PRAGMA memory_limit='10GB'",
    'CALL pragma_version()',
    "EXPORT DATABASE '/tmp/tickstorm-hostile-export'",
    "IMPORT DATABASE '/tmp/tickstorm-hostile-export'",
    'CHECKPOINT',
    'DETACH metrics',
    'USE system',
    'CREATE MACRO m(x) AS x + 1',
    'CREATE TEMP TABLE tt AS SELECT 1',
    'SELECT 1 \uff1b SELECT 2',
    'PREPARE p AS SELECT 1',
  ]) {
    test(`round 2, refused: ${sql}`, async () => {
      const r = await q(sql);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_QUERY_REFUSED');
    });
  }

  test('round 2: the settings are as they were, and a 1 MB query string is a coded 431', async () => {
    const r = await q(
      "SELECT current_setting('memory_limit') AS m, current_setting('enable_external_access') AS e, current_setting('lock_configuration') AS l",
    );
    assert.deepEqual(r.body.rows, [{ m: '244.1 MiB', e: false, l: true }]);
    const big = await q(`SELECT 1 /*${'a'.repeat(1024 * 1024)}*/`);
    assert.equal(big.status, 431);
    assert.equal(big.body.error.code, 'TRD_ERR_HEADERS_TOO_LARGE');
  });

  test('more than two at once: 429 + Retry-After; then the api still answers', async () => {
    const slow = 'SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = -1';
    const running = [q(slow), q(slow)];
    await pollUntil('two queries running', async () =>
      f.sys.queryGuard!.stats().running === 2 ? true : undefined,
    );
    const third = await q('SELECT 1');
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'TRD_ERR_TOO_MANY_QUERIES');
    assert.equal(third.headers.get('retry-after'), '1');
    for (const r of await Promise.all(running)) assert.equal(r.status, 504);
    // Answered 504 at the budget, each holds its slot until the query process let go of it.
    await until('the slots free', () => f.sys.queryGuard!.stats().running === 0);
    const ok = await q('SELECT count(*) AS n FROM trading_metrics');
    assert.equal(ok.status, 200);
  });

  test('50 hostile queries at once: 2 run, 48 get 429 + Retry-After', async () => {
    await until('the slots free', () => f.sys.queryGuard!.stats().running === 0);
    // Each runs until its timeout, so the two slots stay taken while the 50 arrive.
    const answers = await Promise.all(Array.from({ length: 50 }, () => q(ENDLESS_QUERY)));
    const busy = answers.filter((r) => r.status === 429);
    assert.equal(busy.length, 48, answers.map((r) => r.status).join(','));
    for (const r of busy) {
      assert.equal(r.body.error.code, 'TRD_ERR_TOO_MANY_QUERIES');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    for (const r of answers.filter((a) => a.status !== 429))
      assert.ok([200, 400, 504].includes(r.status), String(r.status));
  });

  test('all of the above ran in the query process, not in this one', () => {
    const s = f.sys.queryGuard!.stats();
    assert.ok(s.pid !== null && s.pid !== process.pid, `query pid ${s.pid}`);
    assert.ok(s.queries >= 17 && s.refused >= 11 && s.timeouts >= 3, JSON.stringify(s));
  });
});
