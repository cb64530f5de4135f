/**
 * The PostgreSQL metrics store against a real server this file starts (initdb into a temp
 * directory, a free port; support/postgres.ts) and stops in teardown. Each test uses a
 * database of its own. Missing PostgreSQL binaries fail the file with the fix named.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TradingErrorCode } from '../src/errors.ts';
import { DatabaseManager } from '../src/metrics-store/database-manager.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { MetricsWriter } from '../src/metrics-store/metrics-writer.ts';
import { openMetricsStore } from '../src/metrics-store/open-store.ts';
import { checkReadOnlySql, PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { finished, REPO_ROOT } from './support/child-process.ts';
import { type PgServer, startPgServer, waitFor } from './support/postgres.ts';

let server: PgServer;
let dbSeq = 0;
before(async () => {
  server = await startPgServer({ fsync: false });
});
after(async () => {
  await server?.stop();
});

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 6);
const newDb = () => server.createDatabase(`t${++dbSeq}`);

function batch(n: number, b: number): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (let i = 0; i < n; i++)
    out.push(MetricRecord.create(`metric_${i % 100}`, i, { batch: String(b) }, T0 + i));
  return out;
}

describe('PostgresMetricsStore: the DuckDB store tests', () => {
  test('insert and count; schema and the (name, time) index created when missing', async () => {
    const url = await newDb();
    const store = await openMetricsStore(url);
    try {
      assert.equal(store.kind, 'postgres');
      assert.equal(await store.count(), 0);
      assert.equal(await store.insert(batch(1000, 0)), 1000);
      assert.equal(await store.insert(batch(2500, 1)), 2500);
      assert.equal(await store.insert([]), 0);
      assert.equal(await store.count(), 3500);
      assert.equal(store.rowsWritten, 3500);
      const [row] = await store.query(
        "SELECT sum(value) AS s, count(DISTINCT name) AS names, min(time) AS t FROM trading_metrics WHERE labels->>'batch' = '1'",
      );
      assert.equal(row.s, (2499 * 2500) / 2);
      assert.equal(row.names, 100);
      assert.equal((row.t as Date).getTime(), T0);
      const idx = await store.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'trading_metrics'");
      assert.match(String(idx[0]?.indexdef), /\(name, "time"\)/);
    } finally {
      await store.close();
    }
  });

  test('names, values, times and labels round-trip exactly', async () => {
    const store = await openMetricsStore(await newDb());
    const labels = { 'quote"key': 'a,b\tc', emoji: 'ü🚀', empty: '', 'nl\n': '\\' };
    const records = [
      MetricRecord.create('orders.latency,p99', 0.1 + 0.2, labels, new Date(T0)),
      MetricRecord.create('x', -1e-300, undefined, T0 + 0.5),
      MetricRecord.create('nan', Number.NaN, {}, T0 + 1),
      MetricRecord.create('big', 1.7976931348623157e308, { a: '1' }, T0 + 2),
      MetricRecord.create('inf', Number.NEGATIVE_INFINITY, { a: '1' }, -86_400_000.25),
    ];
    try {
      await store.insert(records);
      const back = (await store.tail(10)).sort((a, b) => a.time - b.time);
      const want = [...records].sort((a, b) => a.time - b.time);
      assert.deepEqual(
        back.map((r) => [r.time, r.name, r.value, r.labels]),
        want.map((r) => [r.time, r.name, r.value, r.labels]),
      );
      assert.deepEqual(
        (await store.tail(10, 'x')).map((r) => r.name),
        ['x'],
      );
      const [row] = await store.query(
        `SELECT labels->>'emoji' AS e, labels FROM trading_metrics WHERE name = 'x'`,
      );
      assert.equal(row.e, null);
      assert.equal(row.labels, '{}', 'labels read back as the JSON text, like DuckDB');
    } finally {
      await store.close();
    }
  });

  test('both COPY forms (row by row below singleInsertBelowRows, multi-insert above) store the same rows', async () => {
    const store = await PostgresMetricsStore.open(await newDb(), { singleInsertBelowRows: 1500 });
    try {
      // 1,000 rows: row by row; 2,000: multi-insert; then three at once (two COPYs in flight).
      await store.insert(batch(1000, 0));
      await store.insert(batch(2000, 1));
      await Promise.all([2, 3, 4].map((b) => store.insert(batch(1000, b))));
      const rows = await store.query(
        "SELECT labels->>'batch' AS b, count(*)::int AS n, count(DISTINCT name)::int AS names, " +
          'sum(value)::float8 AS total, min(time) = $$2025-01-02 03:04:05.006+00$$ AS t0 ' +
          'FROM trading_metrics GROUP BY 1 ORDER BY 1',
      );
      assert.deepEqual(rows, [
        { b: '0', n: 1000, names: 100, total: 499_500, t0: true },
        { b: '1', n: 2000, names: 100, total: 1_999_000, t0: true },
        { b: '2', n: 1000, names: 100, total: 499_500, t0: true },
        { b: '3', n: 1000, names: 100, total: 499_500, t0: true },
        { b: '4', n: 1000, names: 100, total: 499_500, t0: true },
      ]);
      assert.equal(store.rowCount(), 6000);
    } finally {
      await store.close();
    }
  });

  test('rows persist across close and reopen; rowCount starts from the rows already there', async () => {
    const url = await newDb();
    const store = await openMetricsStore(url);
    await Promise.all([
      store.insert(batch(1000, 0)),
      store.insert(batch(1000, 1)),
      store.insert(batch(3, 2)),
    ]);
    await store.close();
    await store.close(); // idempotent
    await assert.rejects(store.insert(batch(1, 0)), { code: TradingErrorCode.SHUTTING_DOWN });
    const again = await openMetricsStore(url);
    try {
      assert.equal(await again.count(), 2003);
      assert.equal(again.rowCount(), 2003);
      await again.insert(batch(7, 3));
      assert.equal(again.rowCount(), 2010);
      assert.equal(await again.count(), 2010);
    } finally {
      await again.close();
    }
  });

  test('query accepts one read-only statement only; bad SQL is a coded error', async () => {
    const store = await openMetricsStore(await newDb());
    try {
      await store.insert(batch(3, 0));
      const bad = { code: TradingErrorCode.QUERY_REFUSED };
      await assert.rejects(store.query('DELETE FROM trading_metrics'), bad);
      await assert.rejects(store.query('SELECT 1; DROP TABLE trading_metrics'), bad);
      await assert.rejects(store.query('SELEC nonsense'), bad);
      await assert.rejects(
        store.query('WITH d AS (DELETE FROM trading_metrics RETURNING 1) SELECT * FROM d'),
        bad,
      );
      await assert.rejects(store.queryLimited('SELECT 1; DROP TABLE trading_metrics'), bad);
      await assert.rejects(store.query("COPY trading_metrics TO PROGRAM 'true'"), bad);
      assert.deepEqual(await store.query('SELECT 1 AS one, 2::BIGINT AS two;'), [{ one: 1, two: 2 }]);
      assert.equal(await store.count(), 3);
      assert.equal(checkReadOnlySql(' /* c */ (SELECT 1);; '), ' /* c */ (SELECT 1)');
    } finally {
      await store.close();
    }
  });

  test('queryLimited: row and byte caps set truncated; the statement timeout is a coded error', async () => {
    const store = await openMetricsStore(await newDb());
    try {
      await store.insert(batch(2500, 0));
      const all = await store.queryLimited('SELECT * FROM trading_metrics ORDER BY time');
      assert.equal(all.rows.length, 2500);
      assert.equal(all.truncated, false);
      const capped = await store.queryLimited('SELECT * FROM trading_metrics ORDER BY time', {
        maxRows: 1000,
      });
      assert.equal(capped.rows.length, 1000);
      assert.equal(capped.truncated, true);
      assert.equal(capped.rows[0].value, 0, 'order kept under the cap');
      const bytes = await store.queryLimited('SELECT * FROM trading_metrics', { maxBytes: 10_000 });
      assert.ok(bytes.truncated && bytes.rows.length > 0 && bytes.rows.length < 200);
      await assert.rejects(store.queryLimited('SELECT pg_sleep(5)', { timeoutMs: 100 }), {
        code: TradingErrorCode.QUERY_TIMEOUT,
        message: /100 ms statement timeout/,
      });
    } finally {
      await store.close();
    }
  });

  test('bad rows are refused before anything is written', async () => {
    const store = await openMetricsStore(await newDb());
    const ok = MetricRecord.create('ok', 1);
    try {
      await assert.rejects(store.insert([ok, MetricRecord.create('a\x1fb', 1)]), {
        code: TradingErrorCode.INVALID_METRICS,
        field: '[1].name',
      });
      await assert.rejects(store.insert([ok, ok, { ...ok, time: Number.NaN }]), { field: '[2].time' });
      // records made in code are held to POST /api/metrics' label rule: no NUL, no unpaired surrogate
      for (const [labels, field] of [
        [{ sym: 'a\0b' }, '[1].labels.sym'],
        [{ sym: 'x\ud800' }, '[1].labels.sym'],
        [{ 'k\udc00': 'v' }, '[1].labels.k\udc00'],
      ] as const)
        await assert.rejects(store.insert([ok, MetricRecord.create('m', 1, labels)]), {
          code: TradingErrorCode.INVALID_METRICS,
          field,
        });
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });

  test('a table with other columns is refused at open', async () => {
    const url = await newDb();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('CREATE TABLE trading_metrics (time timestamp, name text)');
    await c.end();
    await assert.rejects(openMetricsStore(url), {
      code: TradingErrorCode.METRICS_STORE,
      message: /has columns \[time:timestamp without time zone,name:text\]/,
    });
  });

  test('DatabaseManager runs the ported Python script on a postgres:// URL', async () => {
    const url = await newDb();
    const db = await DatabaseManager.create(url.replace('postgres@', 'postgres:secret@'));
    assert.match(db.path, /postgres:\*\*\*@/, 'the password is never shown');
    await db.initialize();
    try {
      for (let b = 0; b < 5; b++) {
        const metrics = [];
        for (let i = 0; i < 1000; i++)
          metrics.push(MetricRecord.new(`metric_${i % 100}`, i, { batch: String(b) }));
        assert.equal(await db.insert_metrics(metrics), 1000);
      }
      assert.equal(await db.count(), 5000);
      const rows = await db.query(
        "SELECT labels->>'batch' AS batch, count(*) AS n FROM trading_metrics GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(
        rows,
        ['0', '1', '2', '3', '4'].map((batch) => ({ batch, n: 1000 })),
      );
    } finally {
      await db.close();
    }
  });

  test('an unreachable server fails open with a coded error', async () => {
    const url = server.url.replace(`:${server.port}/`, ':1/');
    await assert.rejects(openMetricsStore(url, { postgres: { connectTimeoutMs: 2000 } }), {
      code: TradingErrorCode.SERVICE_UNAVAILABLE,
    });
  });
});

describe('PostgresMetricsStore: failures', () => {
  test('PostgreSQL killed and restarted mid-ingest: every accepted row is written, none lost', async () => {
    const own = await startPgServer({ fsync: true });
    try {
      const store = await PostgresMetricsStore.open(own.url, { retryBaseMs: 20, retryMaxMs: 200 });
      try {
        const inserts: Promise<number>[] = [];
        for (let b = 0; b < 20; b++) inserts.push(store.insert(batch(1000, b)));
        await own.kill(); // SIGKILL to postmaster and backends: COPYs in flight die with it
        for (let b = 20; b < 40; b++) inserts.push(store.insert(batch(1000, b)));
        await waitFor(() => store.writeStats().state === 'retrying', 'the store to notice and retry');
        await assert.rejects(store.probe(), /unreachable/);
        assert.ok(store.writeStats().bufferedRows > 0);
        await own.restart();
        assert.deepEqual(await Promise.all(inserts), new Array(40).fill(1000));
        const s = store.writeStats();
        assert.equal(s.state, 'ok');
        assert.equal(s.droppedRows, 0);
        assert.equal(s.failedRows, 0);
        assert.ok(s.retries > 0);
        // At-least-once: a COPY committed just before the kill may be sent again; none is missing.
        const [row] = await store.query(
          "SELECT count(DISTINCT labels->>'batch') AS batches, count(*) AS n FROM trading_metrics",
        );
        assert.equal(row.batches, 40);
        assert.ok((row.n as number) >= 40_000 && (row.n as number) % 1000 === 0, `rows ${row.n}`);
        await store.probe();
      } finally {
        await store.close();
      }
    } finally {
      await own.stop();
    }
  });

  test('past the buffer bound batches are refused and counted; a writer closing while the server is down drops and counts', async () => {
    const own = await startPgServer({ fsync: false });
    try {
      const store = await PostgresMetricsStore.open(own.url, {
        maxBufferedRows: 5000,
        retryBaseMs: 20,
        retryMaxMs: 100,
        closeTimeoutMs: 300,
      });
      await own.kill();
      const accepted = [1, 2, 3, 4, 5].map((b) => store.insert(batch(1000, b)));
      await assert.rejects(store.insert(batch(1000, 6)), {
        code: TradingErrorCode.SERVICE_UNAVAILABLE,
        message: /buffer full.*1000 rows dropped/,
      });
      assert.equal(store.writeStats().droppedRows, 1000);
      await waitFor(() => store.writeStats().state === 'retrying', 'retrying');
      await own.restart();
      assert.deepEqual(await Promise.all(accepted), [1000, 1000, 1000, 1000, 1000]);
      assert.equal(await store.count(), 5000);
      await assert.rejects(store.probe(), /1000 metric rows dropped/, '/health stays degraded after a drop');

      // The system's writer over this store: server down at close -> rows dropped, counted, not hung.
      const writer = new MetricsWriter(store, { flushIntervalMs: 60_000, closeTimeoutMs: 200 });
      await own.kill();
      for (let i = 0; i < 100; i++) writer.record('late', i);
      await writer.close();
      const w = writer.stats();
      assert.equal(w.recorded, 100);
      assert.equal(w.rowsWritten + w.failedRows + w.dropped, 100);
      assert.equal(w.rowsWritten, 0);
      assert.ok(store.writeStats().droppedRows >= 1100);
    } finally {
      await own.stop();
    }
  });

  test('four processes write at once, each directly', async () => {
    const url = await newDb();
    const store = await openMetricsStore(url); // creates the table before the writers race for it
    try {
      const children = [0, 1, 2, 3].map((id) =>
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'packages/trading/test/support/pg-writer-child.ts',
            url,
            String(id),
            '20',
            '1000',
          ],
          { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
        ),
      );
      const done = children.map((c) => finished(c, 120_000));
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve, reject) => {
              c.stdout?.on('data', (d: Buffer) => {
                if (d.toString().includes('ready')) resolve();
              });
              c.once('exit', (code) => reject(new Error(`writer exited (${code}) before ready`)));
            }),
        ),
      );
      for (const c of children) c.stdin?.end('go\n');
      const results = await Promise.all(done);
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const rows = results.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!).rows as number);
      assert.deepEqual(rows, [20_000, 20_000, 20_000, 20_000]);
      assert.equal(await store.count(), 80_000);
      const per = await store.query(
        "SELECT labels->>'writer' AS w, count(*) AS n FROM trading_metrics GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(
        per,
        ['0', '1', '2', '3'].map((w) => ({ w, n: 20_000 })),
      );
    } finally {
      await store.close();
    }
  });
});
