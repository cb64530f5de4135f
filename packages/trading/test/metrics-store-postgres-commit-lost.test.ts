/**
 * A COPY whose commit reached PostgreSQL but whose answer was lost (the connection cut right
 * after the server committed: a crash or a network cut at that instant) is not sent again when
 * it did commit: every row of an insert that resolved is stored exactly once. Before, the store
 * sent such a COPY again and the batch was stored twice (seen killing PostgreSQL -9 under four
 * `serve` writers: one batch answered 202 was in the table twice). A cut before the commit
 * still sends the rows again (stored once). A transaction id the server reports committed is
 * taken as this COPY's only when its first row carries it (a crash hands ids out again). The
 * connection is cut by a proxy that reads the
 * protocol (support/pg-cut-proxy.ts); the server is started here and stopped in teardown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { settleDoubts } from '../src/metrics-store/pg-copy-once.ts';
import { PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { type PgCutProxy, startPgCutProxy } from './support/pg-cut-proxy.ts';
import { type PgServer, startPgServer } from './support/postgres.ts';

let server: PgServer;
let proxy: PgCutProxy;
let dbSeq = 0;
before(async () => {
  server = await startPgServer({ fsync: false });
  proxy = await startPgCutProxy(server.port);
});
after(async () => {
  await proxy?.close();
  await server?.stop();
});

function rows(n: number, run: string): MetricRecord[] {
  return Array.from({ length: n }, (_, i) => MetricRecord.create('cut.row', i, { run, i: String(i) }));
}

/** The store through the proxy, on a database of its own; its direct URL to count with. */
async function openThroughProxy(): Promise<{ store: PostgresMetricsStore; direct: string }> {
  const direct = await server.createDatabase(`cut${++dbSeq}`);
  const viaProxy = direct.replace(`:${server.port}/`, `:${proxy.port}/`);
  const store = await PostgresMetricsStore.open(viaProxy, { retryBaseMs: 10, retryMaxMs: 50 });
  return { store, direct };
}

async function stored(url: string, run: string): Promise<{ n: number; distinct: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: number; distinct: number }>(
      "SELECT count(*)::int AS n, count(DISTINCT labels->>'i')::int AS distinct FROM trading_metrics WHERE labels->>'run' = $1",
      [run],
    );
    return r.rows[0];
  } finally {
    await c.end();
  }
}

describe('PostgreSQL: a COPY whose commit answer was lost', () => {
  for (const n of [1_000, 5_000]) {
    // 1,000 rows: the row-by-row COPY; 5,000: the multi-insert one
    test(`committed, the answer cut: not sent again, ${n} rows stored once`, async () => {
      const { store, direct } = await openThroughProxy();
      try {
        const cutsBefore = proxy.cuts;
        proxy.arm('commit');
        assert.equal(await store.insert(rows(n, `commit-${n}`)), n);
        assert.equal(proxy.cuts, cutsBefore + 1, 'the connection was cut after the commit');
        assert.deepEqual(await stored(direct, `commit-${n}`), { n, distinct: n });
        assert.ok(store.writeStats().retries >= 1);
        assert.equal(store.rowsWritten, n);
      } finally {
        await store.close();
      }
    });
  }

  test('COMMIT never reached the server (its transaction left open): that backend is ended, the rows sent again, stored once', {
    timeout: 20_000,
  }, async () => {
    const { store, direct } = await openThroughProxy();
    try {
      const cutsBefore = proxy.cuts;
      proxy.arm('commit-held');
      assert.equal(await store.insert(rows(1_000, 'commit-held')), 1_000);
      assert.equal(proxy.cuts, cutsBefore + 1);
      assert.deepEqual(await stored(direct, 'commit-held'), { n: 1_000, distinct: 1_000 });
      const c = new pg.Client({ connectionString: direct });
      await c.connect();
      const open = await c.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'idle in transaction'",
      );
      await c.end();
      assert.equal(open.rows[0].n, 0, 'no transaction left open');
    } finally {
      await store.close();
    }
  });

  test('cut while the rows were sent (nothing committed): sent again, stored once', async () => {
    const { store, direct } = await openThroughProxy();
    try {
      const cutsBefore = proxy.cuts;
      proxy.arm('copy-data');
      assert.equal(await store.insert(rows(1_000, 'copy-data')), 1_000);
      assert.equal(proxy.cuts, cutsBefore + 1);
      assert.deepEqual(await stored(direct, 'copy-data'), { n: 1_000, distinct: 1_000 });
    } finally {
      await store.close();
    }
  });

  test("a transaction id the server reports committed that is not this COPY's (ids handed out again after a crash lost their WAL): not taken as committed", async () => {
    const { store, direct } = await openThroughProxy(); // creates the table
    await store.close();
    const c = new pg.Client({ connectionString: direct });
    await c.connect();
    try {
      // another session's transaction, committed, holding the id a crashed COPY had
      const begun = (await c.query(
        'BEGIN; SELECT txid_current()::text AS xid',
      )) as unknown as pg.QueryResult[];
      const xid = begun[1].rows[0].xid as string;
      await c.query(
        "INSERT INTO trading_metrics VALUES (timestamptz '2000-01-01 00:00:00+00' + 123 * interval '1 microsecond', 'other', 1, '{}')",
      );
      await c.query('COMMIT');
      const client = c as unknown as pg.PoolClient;
      const lost = { xid, pid: 0, name: 'cut.row', pgUs: '123' };
      assert.deepEqual([...(await settleDoubts(client, [lost]))], [], 'the rows are sent again');
      // the same id with the row that transaction did store: committed
      const its = { xid, pid: 0, name: 'other', pgUs: '123' };
      assert.deepEqual([...(await settleDoubts(client, [its]))], [xid]);
    } finally {
      await c.end();
    }
  });
});
