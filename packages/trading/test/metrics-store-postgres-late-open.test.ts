/**
 * A PostgreSQL metrics store opened while its server is unreachable, with
 * `unreachableAtOpen: 'retry'` (what `serve` passes): the open resolves, rows are buffered and
 * reads refused at once (503) until the server comes up on that port, then the table is made
 * and the rows written. A server that answers and refuses then (a missing database) fails the
 * buffered rows and every later write, told as `failed`. A close while it never came up is
 * bounded by the close timeout. Servers are started here on the port the store waits on.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { type PgStateChange, PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { freePort, type PgServer, startPgServer, waitFor } from './support/postgres.ts';

function batch(n: number, b: number): MetricRecord[] {
  return Array.from({ length: n }, (_, i) =>
    MetricRecord.create(`late_${i % 10}`, i, { batch: String(b) }, Date.now()),
  );
}

const RETRY = {
  unreachableAtOpen: 'retry',
  retryBaseMs: 20,
  retryMaxMs: 200,
  connectTimeoutMs: 2000,
} as const;

describe('PostgresMetricsStore opened while PostgreSQL is unreachable', () => {
  const servers: PgServer[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
  });

  test('opens, buffers, refuses reads with a coded 503; writes everything once the server is up', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const changes: PgStateChange[] = [];
    const warnings: string[] = [];
    const store = await PostgresMetricsStore.open(`postgres://postgres@127.0.0.1:${port}/postgres`, {
      ...RETRY,
      onState: (c) => changes.push(c),
      onWarning: (m) => warnings.push(m),
    });
    try {
      assert.deepEqual(
        changes.map((c) => c.state),
        ['retrying'],
      );
      assert.match(String(changes[0].error), /ECONNREFUSED/);
      const ws = store.writeStats();
      assert.equal(ws.state, 'retrying');
      assert.equal(ws.reached, false);
      const inserts = [store.insert(batch(100, 1)), store.insert(batch(50, 2))];
      assert.equal(store.writeStats().bufferedRows, 150);
      await assert.rejects(store.queryLimited('SELECT 1'), {
        code: TradingErrorCode.SERVICE_UNAVAILABLE,
        message: /not reached since start/,
      });
      await assert.rejects(store.count(), { code: TradingErrorCode.SERVICE_UNAVAILABLE });
      await assert.rejects(store.probe(), /PostgreSQL unreachable, 150 rows buffered/);

      const pg = await startPgServer({ port, fsync: false });
      servers.push(pg);
      assert.deepEqual(await Promise.all(inserts), [100, 50]);
      assert.equal(await store.count(), 150);
      await waitFor(() => changes.length >= 2, 'the ok change');
      assert.equal(changes[1].state, 'ok');
      assert.ok((changes[1].retries ?? 0) >= 0 && (changes[1].downMs ?? 0) > 0);
      assert.equal(store.writeStats().reached, true);
      await store.probe();
      // what open checks was checked: the role here is a superuser
      assert.ok(
        warnings.some((w) => /superuser/.test(w)),
        warnings.join('\n'),
      );
    } finally {
      await store.close();
    }
  });

  test('a refusal found at the late connect (missing database) fails buffered and later writes', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const changes: PgStateChange[] = [];
    const store = await PostgresMetricsStore.open(`postgres://postgres@127.0.0.1:${port}/nosuchdb`, {
      ...RETRY,
      onState: (c) => changes.push(c),
    });
    try {
      // settled while the server starts, before it is awaited: caught at once
      const buffered = store.insert(batch(20, 1)).catch((e: { code?: string; message: string }) => e);
      servers.push(await startPgServer({ port, fsync: false }));
      const refused = await buffered;
      assert.equal(typeof refused === 'object' && refused.code, TradingErrorCode.METRICS_STORE);
      assert.match(String((refused as Error).message), /database "nosuchdb" does not exist/);
      await assert.rejects(store.insert(batch(5, 2)), { code: TradingErrorCode.METRICS_STORE });
      await assert.rejects(store.queryLimited('SELECT 1'), { code: TradingErrorCode.METRICS_STORE });
      await assert.rejects(store.probe(), /nosuchdb/);
      const failed = changes.filter((c) => c.state === 'failed');
      assert.equal(failed.length, 1);
      assert.equal(failed[0].failedRows, 20);
      const ws = store.writeStats();
      assert.equal(ws.failedRows, 25);
      assert.equal(ws.state, 'ok');
      assert.equal(ws.bufferedRows, 0);
    } finally {
      await store.close();
    }
  });

  test('a close while it never came up is bounded by its close timeout; the rows dropped are counted', {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    const store = await PostgresMetricsStore.open(`postgres://postgres@127.0.0.1:${port}/postgres`, {
      ...RETRY,
      closeTimeoutMs: 300,
    });
    // the rejection is awaited from the start: it comes while close() still runs (ends the pool)
    const pending = assert.rejects(store.insert(batch(30, 1)), { code: TradingErrorCode.SHUTTING_DOWN });
    const t0 = performance.now();
    await store.close();
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `close took ${Math.round(ms)} ms`);
    await pending;
    assert.equal(store.writeStats().droppedRows, 30);
  });
});
