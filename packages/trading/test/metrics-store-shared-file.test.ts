/**
 * The metrics file is readable by other processes while the store writes: the store writes
 * its live file and copies new rows into the given file, holding it only while it copies.
 * Another process opens the given file (read-write, as a default DuckDB client does),
 * counts, closes; while such a reader holds the file, a copy is put off (not lost) and the
 * next one after the reader closed brings every row. Copies are driven by hand here
 * (replica.copy()) so nothing depends on timing.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { SharedFileReplica } from '../src/metrics-store/shared-file-replica.ts';
import { countElsewhere, holdElsewhere } from './support/duckdb-elsewhere.ts';

const T0 = Date.UTC(2026, 0, 1) / 1000;
const batch = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => MetricRecord.create('m', from + i, { k: 'v' }, T0 + from + i));

describe('metrics store: the file is readable while the store runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-shared-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('another process counts every copied row; a held file delays a copy, loses nothing', async () => {
    const path = join(dir, 'metrics.duckdb');
    const store = await DuckDbMetricsStore.open(path, { replicaIntervalMs: 3_600_000 });
    try {
      assert.ok(existsSync(join(dir, 'metrics.live.duckdb')), 'writes its live file');
      assert.equal(countElsewhere(path), 0, 'the shared file opens while the store runs');
      await store.insert(batch(1000, 0));
      assert.equal(await store.replica!.copy(), true);
      assert.equal(countElsewhere(path), 1000);
      const holder = await holdElsewhere(path);
      await store.insert(batch(500, 1000));
      assert.equal(await store.replica!.copy(), false, 'held by the other process: put off');
      assert.equal(store.replica!.stats().lockedRetries, 1);
      const exited = new Promise((r) => holder.once('exit', r));
      holder.stdin!.end();
      await exited;
      assert.equal(await store.replica!.copy(), true);
      assert.equal(countElsewhere(path), 1500, 'every row arrived');
      assert.equal(await store.count(), 1500);
    } finally {
      await store.close();
    }
    assert.equal(existsSync(`${path}.wal`), false, 'no WAL beside the shared file');
  });

  test('flush copies rows committed before it, also while a copy is under way', async () => {
    const path = join(dir, 'flush.duckdb');
    const store = await DuckDbMetricsStore.open(path, { replicaIntervalMs: 3_600_000 });
    try {
      await store.insert(batch(100, 0));
      const underWay = store.replica!.copy(); // started before the next rows
      await store.insert(batch(20, 100));
      assert.equal(await store.replica!.flush(), true);
      assert.equal(await underWay, true);
      assert.equal(countElsewhere(path), 120, 'the rows committed before flush() are in the shared file');
      const holder = await holdElsewhere(path);
      await store.insert(batch(5, 120));
      assert.equal(await store.replica!.flush(), false, 'held by the other process: false at once');
      const exited = new Promise((r) => holder.once('exit', r));
      holder.stdin!.end();
      await exited;
      assert.equal(await store.replica!.flush(), true);
      assert.equal(countElsewhere(path), 125);
    } finally {
      await store.close();
    }
  });

  test('close copies the rest; reopening reconciles a shared file that is ahead', async () => {
    const path = join(dir, 'again.duckdb');
    const store = await DuckDbMetricsStore.open(path, { replicaIntervalMs: 3_600_000 });
    await store.insert(batch(300, 0));
    await store.close();
    assert.equal(countElsewhere(path), 300);
    rmSync(join(dir, 'again.live.duckdb')); // the live file lost: the shared one is ahead
    const reopened = await DuckDbMetricsStore.open(path, { replicaIntervalMs: 3_600_000 });
    try {
      assert.equal(await reopened.count(), 300, 'rows brought back from the shared file');
      await reopened.insert(batch(10, 300));
    } finally {
      await reopened.close();
    }
    assert.equal(countElsewhere(path), 310);
  });

  test('a copy that fails inside DuckDB answers false with the error, never a rejection (the timer awaits nothing)', async () => {
    const instance = await DuckDBInstance.create(join(dir, 'failing.live.duckdb'));
    const replica = await SharedFileReplica.start(instance, join(dir, 'failing.duckdb'), {
      table: 't',
      columns: 'x INTEGER',
      intervalMs: 3_600_000,
    });
    const c = await instance.connect();
    try {
      await c.run('DROP TABLE t'); // the rows to count are gone: the copy's first statement fails
      assert.equal(await replica.copy(), false);
      assert.match(replica.stats().lastError ?? '', /t/);
      await c.run('CREATE TABLE t (x INTEGER)');
      await c.run('INSERT INTO t VALUES (1), (2)');
      assert.equal(await replica.copy(), true, 'the next copy works again');
      assert.equal(replica.stats().rowsCopied, 2);
    } finally {
      await replica.close();
      c.closeSync();
      instance.closeSync();
    }
  });
});
