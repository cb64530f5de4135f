/**
 * The PostgreSQL store against hostile reads and interfering sessions, on a real server this
 * file starts (support/postgres.ts, a free port) and stops in teardown: what a SELECT does to
 * its pooled connection must not outlive it, a result past the byte cap is not read to its end,
 * comments cannot hide a second kind of statement, a canceled COPY is retried.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TradingErrorCode } from '../src/errors.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { redactUrl } from '../src/metrics-store/metrics-store.ts';
import { MetricsWriter } from '../src/metrics-store/metrics-writer.ts';
import { checkReadOnlySql, type PgStateChange, PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { StoreFailures } from '../src/system/store-failures.ts';
import { type PgServer, startPgServer, waitFor } from './support/postgres.ts';

let server: PgServer;
let dbSeq = 0;
before(async () => {
  server = await startPgServer({ fsync: false });
});
after(async () => {
  await server?.stop();
});

const newDb = () => server.createDatabase(`h${++dbSeq}`);
const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => MetricRecord.create('m', i, { tag }, Date.UTC(2025, 0, 1) + i));

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('PostgreSQL store: hostile queries and interfering sessions', () => {
  test("a SELECT's session settings and advisory locks do not outlive it (the COPYs share its connection)", async () => {
    const url = await newDb();
    // One connection: the query and the COPYs take turns on it.
    const store = await PostgresMetricsStore.open(url, { poolSize: 1, maxConcurrentCopies: 1 });
    try {
      await store.queryLimited("SELECT set_config('search_path', 'pg_catalog', false)");
      await store.query("SELECT set_config('default_transaction_read_only', 'on', false)");
      await store.queryLimited("SELECT set_config('statement_timeout', '1', false)");
      assert.equal(await store.insert(rows(500, 'a')), 500, 'the COPY still finds the table and may write');
      const [s] = await store.query(
        "SELECT current_setting('search_path') AS p, current_setting('default_transaction_read_only') AS ro",
      );
      assert.deepEqual(s, { p: '"$user", public', ro: 'off' });

      await store.queryLimited('SELECT pg_advisory_lock(7243015), pg_advisory_lock_shared(1)');
      const free = await withClient(url, async (c) => {
        const r = await c.query<{ a: boolean; b: boolean }>(
          'SELECT pg_try_advisory_lock(7243015) AS a, pg_try_advisory_lock(1) AS b',
        );
        return r.rows[0];
      });
      assert.deepEqual(free, { a: true, b: true }, 'the locks were released with the query');
      assert.equal(store.writeStats().failedRows, 0);
      assert.equal(await store.count(), 500);
    } finally {
      await store.close();
    }
  });

  test('comments nest as PostgreSQL reads them: a statement hidden behind one is refused', async () => {
    const store = await PostgresMetricsStore.open(await newDb());
    try {
      const refused = { code: TradingErrorCode.QUERY_REFUSED, message: /only read-only SELECT/ };
      for (const sql of [
        '/* /* */ SELECT 1 */ SET statement_timeout = 0',
        "/* a /* b */ SELECT */ COPY trading_metrics TO PROGRAM 'true'",
        '-- SELECT\nSET search_path = pg_catalog',
      ]) {
        assert.throws(() => checkReadOnlySql(sql), refused, sql);
        await assert.rejects(store.query(sql), refused, sql);
      }
      assert.equal(
        checkReadOnlySql('/* a /* b */ c */ -- x\n ( SELECT 1 ) ;'),
        '/* a /* b */ c */ -- x\n ( SELECT 1 )',
      );
      assert.deepEqual(await store.query('/* a /* b */ c */ SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      await store.close();
    }
  });

  test('past the byte cap the rest of a result is not read: truncated at once, the statement ended', async () => {
    const url = await newDb();
    const store = await PostgresMetricsStore.open(url);
    try {
      // 10,000 rows of 100 KB, each taking 5 ms to produce: reading them all takes ~50 s and ~1 GB,
      // past the 3 s timeout. Under the 1 MiB cap the answer is the first 10 rows.
      const sql =
        "SELECT g, repeat('x', 100000) || pg_sleep(0.005)::text AS big FROM generate_series(1, 10000) g";
      const r = await store.queryLimited(sql, { maxBytes: 1024 * 1024, timeoutMs: 3000 });
      assert.equal(r.truncated, true);
      assert.deepEqual(
        r.rows.map((x) => x.g),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      await waitFor(
        () =>
          withClient(url, async (c) => {
            const a = await c.query(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%repeat(''x'', 100000)%' AND pid <> pg_backend_pid()",
            );
            return a.rows[0].n === 0;
          }),
        'the server to end the abandoned statement',
      );
      // One row over the cap alone is stopped on the server, before it is sent (a value of
      // hundreds of MB, past what a JavaScript string holds, used to crash the process).
      const one = await store.queryLimited(
        "SELECT g, CASE WHEN g = 3 THEN repeat('x', 2000000) ELSE 'small' END AS v FROM generate_series(1, 5) g",
        { maxBytes: 1024 * 1024 },
      );
      assert.deepEqual(one, {
        rows: [
          { g: 1, v: 'small' },
          { g: 2, v: 'small' },
        ],
        truncated: true,
      });
      await waitFor(
        () => /2000\d\d\d bytes in one row, over the 1048576 cap/.test(server.log()),
        'the server to refuse the row',
      );
      assert.equal(await store.insert(rows(10, 'after')), 10);
      assert.deepEqual(await store.query('SELECT count(*) AS n FROM trading_metrics'), [{ n: 10 }]);
      const all = await store.queryLimited('SELECT g FROM generate_series(1, 20) g', { maxRows: 20 });
      assert.deepEqual(all, { rows: Array.from({ length: 20 }, (_, i) => ({ g: i + 1 })), truncated: false });
    } finally {
      await store.close();
    }
  });

  test('a COPY canceled by another session (pg_cancel_backend) is sent again, not failed', async () => {
    const url = await newDb();
    const store = await PostgresMetricsStore.open(url, { retryBaseMs: 10, retryMaxMs: 50 });
    const locker = new pg.Client({ connectionString: url });
    locker.on('error', () => {}); // the server stopping in teardown
    await locker.connect();
    try {
      // Hold the table so the COPY waits on the lock, where it can be canceled.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE trading_metrics IN EXCLUSIVE MODE');
      const inserted = store.insert(rows(1000, 'canceled'));
      let pid = 0;
      // Polled from other sessions: inside the locker's transaction pg_stat_activity is a snapshot.
      await waitFor(async () => {
        const r = await withClient(url, (c) =>
          c.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY trading_metrics%' AND wait_event_type = 'Lock'",
          ),
        );
        pid = r.rows[0]?.pid ?? 0;
        return pid !== 0;
      }, 'the COPY to wait on the lock');
      const c = await locker.query('SELECT pg_cancel_backend($1) AS ok', [pid]);
      assert.equal(c.rows[0].ok, true);
      await waitFor(() => store.writeStats().retries > 0, 'the canceled COPY to be retried');
      await locker.query('COMMIT');
      assert.equal(await inserted, 1000);
      assert.equal(store.writeStats().failedRows, 0);
      assert.equal(await store.count(), 1000);
    } finally {
      await locker.end();
      await store.close();
    }
  });

  test('a password given as a URL parameter is never shown', () => {
    assert.equal(
      redactUrl('postgres://ts@db:5432/metrics?password=s3cret&sslmode=disable'),
      'postgres://ts@db:5432/metrics?password=***&sslmode=disable',
    );
    assert.equal(redactUrl('postgres://ts:s3cret@db/metrics'), 'postgres://ts:***@db/metrics');
    assert.doesNotMatch(redactUrl('postgres://ts@[bad/metrics?sslpassword=s3cret'), /s3cret/);
  });

  test('an outage is told once when writes start failing and once when they resume (what serve logs)', async () => {
    const own = await startPgServer({ fsync: false });
    const changes: PgStateChange[] = [];
    try {
      const url = own.url.replace('postgres@', 'postgres:pw@');
      const store = await PostgresMetricsStore.open(url, {
        retryBaseMs: 10,
        retryMaxMs: 50,
        onState: (c) => changes.push(c),
      });
      // what a process's heartbeat (and the api's /health) reads: the outage itself, although no
      // flush fails while the rows wait (before, nothing showed in a writer's heartbeat)
      const failures = new StoreFailures(new MetricsWriter(store), 60_000, store);
      try {
        assert.equal(failures.problem(), null);
        await own.kill();
        const a = store.insert(rows(100, 'a'));
        const b = store.insert(rows(100, 'b'));
        await waitFor(() => store.writeStats().retries >= 3, 'several retries');
        assert.match(
          String(failures.problem()),
          /^PostgreSQL unreachable, 200 rows buffered, retrying: .*(ECONNREFUSED|terminat|shut)/i,
        );
        assert.deepEqual(
          changes.map((c) => c.state),
          ['retrying'],
          'told once, not per retry',
        );
        assert.equal(changes[0].url, url.replace(':pw@', ':***@'));
        assert.match(String(changes[0].error), /ECONNREFUSED|terminat|shut/i);
        await own.restart();
        assert.deepEqual(await Promise.all([a, b]), [100, 100]);
        assert.deepEqual(
          changes.map((c) => c.state),
          ['retrying', 'ok'],
        );
        assert.ok((changes[1].retries ?? 0) >= 3 && (changes[1].downMs ?? -1) >= 0);
        assert.equal(await store.count(), 200);
        assert.equal(failures.problem(), null, 'healthy again once the rows are written');
      } finally {
        await store.close();
      }
    } finally {
      await own.stop();
    }
  });

  test("a writer's close with the server down waits its own timeout once, not again in the store", async () => {
    const own = await startPgServer({ fsync: false });
    try {
      const store = await PostgresMetricsStore.open(own.url, {
        retryBaseMs: 10,
        retryMaxMs: 50,
        closeTimeoutMs: 4_000,
      });
      const writer = new MetricsWriter(store, { closeTimeoutMs: 300 });
      await own.kill();
      for (let i = 0; i < 10; i++) writer.record('m', i);
      const t0 = performance.now();
      await writer.close();
      const ms = performance.now() - t0;
      // before: 300 ms in the writer, then the store's 4,000 ms again (serve: 10 s + 10 s)
      assert.ok(ms >= 250 && ms < 2_500, `close took ${Math.round(ms)} ms`);
      assert.equal(store.writeStats().droppedRows, 10, 'what was left is dropped and counted');
    } finally {
      await own.stop();
    }
  });

  test('roles: one that can read server files is warned about at open, one that may not insert is refused, a plain writer is neither', async () => {
    const url = await newDb();
    const warnings: string[] = [];
    const su = await PostgresMetricsStore.open(url, { onWarning: (m) => warnings.push(m) });
    await su.close();
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      /role "postgres" is a superuser: GET \/api\/metrics\/query can read server files/,
    );
    await withClient(url, async (c) => {
      await c.query('CREATE ROLE plain_writer LOGIN');
      await c.query('GRANT SELECT, INSERT ON trading_metrics TO plain_writer');
    });
    await withClient(url, (c) =>
      c.query('CREATE ROLE reader LOGIN; GRANT SELECT ON trading_metrics TO reader'),
    );
    await assert.rejects(PostgresMetricsStore.open(url.replace('postgres@', 'reader@')), {
      code: TradingErrorCode.METRICS_STORE,
      message:
        /role "reader" may not INSERT table trading_metrics \(GRANT SELECT, INSERT ON trading_metrics TO "reader"\)/,
    });
    // A role with no right at all on the existing table is told the GRANT too, not
    // "permission denied for schema public" from a CREATE TABLE it should never have tried.
    await withClient(url, (c) => c.query('CREATE ROLE stranger LOGIN'));
    await assert.rejects(PostgresMetricsStore.open(url.replace('postgres@', 'stranger@')), {
      code: TradingErrorCode.METRICS_STORE,
      message:
        /role "stranger" may not SELECT or INSERT table trading_metrics \(GRANT SELECT, INSERT ON trading_metrics TO "stranger"\)/,
    });
    const plain = await PostgresMetricsStore.open(url.replace('postgres@', 'plain_writer@'), {
      onWarning: (m) => warnings.push(m),
    });
    try {
      assert.equal(await plain.insert(rows(5, 'plain')), 5);
      await assert.rejects(plain.query("SELECT pg_read_file('PG_VERSION')"), {
        code: TradingErrorCode.QUERY_REFUSED,
        message: /permission denied/,
      });
    } finally {
      await plain.close();
    }
    assert.equal(warnings.length, 1, 'no warning for the plain role');
  });

  test('a table created elsewhere without the (name, time) index: warned at open with the statement, not built', async () => {
    const url = await newDb();
    await withClient(url, async (c) => {
      await c.query('CREATE ROLE idx_writer LOGIN');
      await c.query(
        'CREATE TABLE trading_metrics (time timestamptz NOT NULL, name text NOT NULL, value double precision NOT NULL, labels json NOT NULL)',
      );
      await c.query('GRANT SELECT, INSERT ON trading_metrics TO idx_writer');
    });
    const asWriter = url.replace('postgres@', 'idx_writer@');
    const indexes = () =>
      withClient(
        url,
        async (c) => (await c.query("SELECT 1 FROM pg_indexes WHERE tablename = 'trading_metrics'")).rowCount,
      );
    const opened = async () => {
      const warnings: string[] = [];
      const store = await PostgresMetricsStore.open(asWriter, { onWarning: (m) => warnings.push(m) });
      try {
        assert.equal(await store.insert(rows(3, 'idx')), 3, 'the store opens and writes all the same');
      } finally {
        await store.close();
      }
      return warnings;
    };
    const missing = await opened();
    assert.equal(missing.length, 1, missing.join('\n'));
    assert.match(
      missing[0],
      /table trading_metrics has no index on \(name, time\): every query by name reads the whole table; create it with CREATE INDEX CONCURRENTLY trading_metrics_name_time_idx ON trading_metrics \(name, time\)/,
    );
    assert.equal(await indexes(), 0, 'the store built no index on a table it did not create');
    await withClient(url, (c) => c.query('CREATE INDEX ON trading_metrics (time)'));
    assert.equal((await opened()).length, 1, 'an index led by time does not serve queries by name');
    await withClient(url, (c) => c.query('CREATE INDEX CONCURRENTLY m_nt ON trading_metrics (name, time)'));
    assert.deepEqual(await opened(), []);
  });

  test('rows refused for good (the table dropped under a running writer) are told, at most once per 10 s', async () => {
    const url = await newDb();
    const changes: PgStateChange[] = [];
    const store = await PostgresMetricsStore.open(url, { onState: (c) => changes.push(c) });
    try {
      await withClient(url, (c) => c.query('DROP TABLE trading_metrics'));
      await assert.rejects(store.insert(rows(10, 'x')), { code: TradingErrorCode.METRICS_STORE });
      await assert.rejects(store.insert(rows(20, 'y')), { code: TradingErrorCode.METRICS_STORE });
      assert.equal(changes.length, 1);
      assert.equal(changes[0].state, 'failed');
      assert.equal(changes[0].failedRows, 10);
      assert.match(String(changes[0].error), /relation "trading_metrics" does not exist/);
      assert.equal(store.writeStats().failedRows, 30);
    } finally {
      await store.close();
    }
  });
});
