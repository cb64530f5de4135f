/**
 * A batch inserted with `refuseWhileDown` (what POST /api/metrics does) is rejected at once,
 * TRD_ERR_SERVICE_UNAVAILABLE and nothing of it stored, when its COPY fails and is to be retried,
 * rather than held for as long as the server is away or blocked; a batch without it (the
 * system's own rows) is held and written once the server takes it. A COPY blocked by a lock
 * another session holds (`LOCK TABLE ... IN ACCESS EXCLUSIVE MODE`) gives up after
 * `lockTimeoutMs` and is retried. Before, both waited as long as the lock was held (10 s for a
 * 10 s lock, with four `serve` writers: every POST answered only then) or the outage lasted
 * (plus up to 5 s of backoff). The server is started here and stopped in teardown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TradingErrorCode } from '../src/errors.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { type PgServer, startPgServer, waitFor } from './support/postgres.ts';

let server: PgServer;
let dbSeq = 0;
before(async () => {
  server = await startPgServer({ fsync: false });
});
after(async () => {
  await server?.stop();
});

const rows = (name: string, n = 100) => Array.from({ length: n }, (_, i) => MetricRecord.create(name, i));

/** `p`'s outcome, or 'still waiting' if it has none within `ms` (a bound, not a synchronisation). */
function within<T>(p: Promise<T>, ms: number): Promise<{ ok: T } | { err: unknown } | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(
      (ok) => ({ ok }),
      (err: unknown) => ({ err }),
    ),
    new Promise<'still waiting'>((r) => {
      timer = setTimeout(() => r('still waiting'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function counts(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ name: string; n: number }>(
      'SELECT name, count(*)::int AS n FROM trading_metrics GROUP BY 1 ORDER BY 1',
    );
    return Object.fromEntries(r.rows.map((x) => [x.name, x.n]));
  } finally {
    await c.end();
  }
}

describe('PostgreSQL: batches refused rather than held while the server is away or blocked', () => {
  test('a table locked by another session: the refusable batch is refused within the lock timeout, the other held and written after', {
    timeout: 60_000,
  }, async () => {
    const url = await server.createDatabase(`refuse${++dbSeq}`);
    const store = await PostgresMetricsStore.open(url, {
      lockTimeoutMs: 300,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE trading_metrics IN ACCESS EXCLUSIVE MODE');
      const held = store.insert(rows('held'));
      const refusable = store.insert(rows('refusable'), { refuseWhileDown: true });
      const answer = await within(refusable, 5_000);
      assert.notEqual(answer, 'still waiting', 'answered while the lock is still held');
      assert.ok(typeof answer === 'object' && 'err' in answer, 'refused');
      const err = answer.err as { code?: string; message?: string };
      assert.equal(err.code, TradingErrorCode.SERVICE_UNAVAILABLE);
      assert.match(err.message ?? '', /lock timeout.*these 100 rows were not stored, retry later/);
      assert.equal(await within(held, 200), 'still waiting', 'the other batch is held, not refused');
      assert.equal(store.writeStats().state, 'retrying');
      await locker.query('COMMIT');
      assert.equal(await held, 100);
      assert.deepEqual(await counts(url), { held: 100 });
      assert.equal(store.writeStats().state, 'ok');
      // once written again, a refusable batch is taken as any other
      assert.equal(await store.insert(rows('after'), { refuseWhileDown: true }), 100);
    } finally {
      await locker.end().catch(() => {});
      await store.close();
    }
  });

  test('the server killed: a refusable batch taken before the store knew is refused, the other held and written once it is back', {
    timeout: 60_000,
  }, async () => {
    const own = await startPgServer({ fsync: false });
    const store = await PostgresMetricsStore.open(own.url, { retryBaseMs: 20, retryMaxMs: 100 });
    try {
      await own.kill();
      const held = store.insert(rows('held'));
      const refusable = store.insert(rows('refusable'), { refuseWhileDown: true });
      const answer = await within(refusable, 5_000);
      assert.notEqual(answer, 'still waiting', 'answered while the server is still down');
      assert.ok(typeof answer === 'object' && 'err' in answer);
      assert.equal((answer.err as { code?: string }).code, TradingErrorCode.SERVICE_UNAVAILABLE);
      await own.restart();
      assert.equal(await held, 100);
      assert.deepEqual(await counts(own.url), { held: 100 });
    } finally {
      await store.close();
      await own.stop();
    }
  });

  test('with every batch refused and nothing else queued, writing resumes by itself once the server is back (a POST /api/metrics is refused while retrying)', {
    timeout: 60_000,
  }, async () => {
    const own = await startPgServer({ fsync: false });
    const store = await PostgresMetricsStore.open(own.url, { retryBaseMs: 20, retryMaxMs: 100 });
    try {
      await own.kill();
      await assert.rejects(store.insert(rows('refusable'), { refuseWhileDown: true }), {
        code: TradingErrorCode.SERVICE_UNAVAILABLE,
      });
      assert.equal(store.writeStats().state, 'retrying');
      await own.restart();
      await waitFor(() => store.writeStats().state === 'ok', 'the store to find the server back', 10_000);
      assert.equal(store.writeStats().bufferedRows, 0);
    } finally {
      await store.close();
      await own.stop();
    }
  });

  test('the same after a lock: retrying ends once the lock is released', { timeout: 60_000 }, async () => {
    const url = await server.createDatabase(`refuse${++dbSeq}`);
    const store = await PostgresMetricsStore.open(url, {
      lockTimeoutMs: 200,
      retryBaseMs: 20,
      retryMaxMs: 100,
    });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE trading_metrics IN ACCESS EXCLUSIVE MODE');
      await assert.rejects(store.insert(rows('refusable'), { refuseWhileDown: true }), {
        code: TradingErrorCode.SERVICE_UNAVAILABLE,
      });
      assert.equal(store.writeStats().state, 'retrying');
      await locker.query('COMMIT');
      await waitFor(() => store.writeStats().state === 'ok', 'the store to find the table free', 10_000);
      assert.deepEqual(await counts(url), {});
    } finally {
      await locker.end().catch(() => {});
      await store.close();
    }
  });
});
