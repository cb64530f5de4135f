import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { GroupCommitQueue, type MergedBatch } from '../src/metrics-store/group-commit.ts';
import { MetricEncoder } from '../src/metrics-store/metric-encoder.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-metrics-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 6);

function batch(n: number, b: number): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (let i = 0; i < n; i++)
    out.push(MetricRecord.create(`metric_${i % 100}`, i, { batch: String(b) }, T0 + i));
  return out;
}

describe('DuckDbMetricsStore', () => {
  test('insert and count, in memory', async () => {
    const store = await DuckDbMetricsStore.open(':memory:');
    try {
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
    } finally {
      await store.close();
    }
  });

  test('names, values, times and labels round-trip exactly', async () => {
    const store = await DuckDbMetricsStore.open(':memory:');
    const labels = { 'quote"key': 'a,b\x1fc', emoji: 'ü🚀', empty: '', 'nl\n': '\\' };
    const records = [
      MetricRecord.create('orders.latency,p99', 0.1 + 0.2, labels, new Date(T0)),
      MetricRecord.create('x', -1e-300, undefined, T0 + 0.5),
      MetricRecord.create('nan', Number.NaN, {}, T0 + 1),
      MetricRecord.create('big', 1.7976931348623157e308, { a: '1' }, T0 + 2),
    ];
    try {
      await store.insert(records);
      const back = (await store.tail(10)).sort((a, b) => a.time - b.time);
      assert.deepEqual(
        back.map((r) => [r.time, r.name, r.value, r.labels]),
        records.map((r) => [r.time, r.name, r.value, r.labels]),
      );
      const [row] = await store.query(
        `SELECT labels->>'emoji' AS e, labels FROM trading_metrics WHERE name = 'x'`,
      );
      assert.equal(row.e, null);
      assert.equal(row.labels, '{}');
    } finally {
      await store.close();
    }
  });

  test('rows are in the file after a graceful stop and reopen; no WAL left', async () => {
    const path = join(dir, 'data', 'metrics.duckdb');
    const store = await DuckDbMetricsStore.open(path);
    await Promise.all([
      store.insert(batch(1000, 0)),
      store.insert(batch(1000, 1)),
      store.insert(batch(3, 2)),
    ]);
    await store.close();
    await store.close(); // idempotent
    assert.ok(existsSync(path));
    assert.equal(existsSync(`${path}.wal`), false);
    const again = await DuckDbMetricsStore.open(path);
    try {
      assert.equal(await again.count(), 2003);
      const rows = await again.query(
        "SELECT count(*) AS n FROM trading_metrics WHERE labels->>'batch' = '2'",
      );
      assert.equal(rows[0].n, 3);
      assert.equal(again.rowCount(), 2003, 'rowCount starts from the rows already in the file');
      await again.insert(batch(7, 3));
      assert.equal(again.rowCount(), 2010);
      assert.equal(await again.count(), 2010);
    } finally {
      await again.close();
    }
    const readOnly = await DuckDbMetricsStore.open(path, { readOnly: true });
    try {
      assert.equal(await readOnly.count(), 2010);
      await assert.rejects(readOnly.insert(batch(1, 0)), { code: TradingErrorCode.METRICS_STORE });
    } finally {
      await readOnly.close();
    }
  });

  test('one writer per file: another process cannot open it while it is open', async () => {
    const path = join(dir, 'locked.duckdb');
    // With the shared-file replica off, the store holds the file itself (the mode before it).
    const store = await DuckDbMetricsStore.open(path, { replicaIntervalMs: 0 });
    try {
      await assert.rejects(DuckDbMetricsStore.open(path), /already open in this process/);
      const script = `require('@duckdb/node-api').DuckDBInstance.create(process.argv[1], { access_mode: 'READ_ONLY' })
        .then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); });`;
      const child = spawnSync(process.execPath, ['-e', script, path], { encoding: 'utf8' });
      assert.equal(child.status, 3);
      assert.match(child.stderr, /lock/i);
    } finally {
      await store.close();
    }
  });

  test('query accepts one SELECT only', async () => {
    const store = await DuckDbMetricsStore.open(':memory:');
    try {
      await store.insert(batch(3, 0));
      const bad = { code: TradingErrorCode.INVALID_METRICS };
      await assert.rejects(store.query('DELETE FROM trading_metrics'), bad);
      await assert.rejects(store.query('SELECT 1; DROP TABLE trading_metrics'), bad);
      await assert.rejects(store.query('SELEC nonsense'), bad);
      await assert.rejects(store.query("SELECT * FROM read_csv('/etc/passwd')"), bad);
      assert.deepEqual(await store.query('SELECT 1 AS one, 2::BIGINT AS two'), [{ one: 1, two: 2 }]);
      assert.equal(await store.count(), 3);
    } finally {
      await store.close();
    }
  });

  test('bad rows are refused before anything is written; closed store refuses inserts', async () => {
    const store = await DuckDbMetricsStore.open(':memory:');
    const ok = MetricRecord.create('ok', 1);
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
    await store.close();
    await assert.rejects(store.insert([ok]), { code: TradingErrorCode.SHUTTING_DOWN });
  });
});

describe('GroupCommitQueue', () => {
  test('batches queued while an INSERT runs are merged into the next one; a failure rejects only its group', async () => {
    const writes: MergedBatch[] = [];
    const gates: (() => void)[] = [];
    const queue = new GroupCommitQueue(async (b) => {
      writes.push(b);
      await new Promise<void>((r) => gates.push(r));
      if (b.name.includes('boom')) throw new Error('disk full');
    }, 5);
    const enc = new MetricEncoder();
    const one = (name: string, n = 1) =>
      enc.encodeRecords(Array.from({ length: n }, () => MetricRecord.create(name, 1, {}, T0)));
    const p1 = queue.enqueue(one('a'));
    const p2 = queue.enqueue(one('b', 2)); // not yet in flight: same group as p1
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(writes.length, 1);
    const p3 = queue.enqueue(one('c', 3));
    const p4 = queue.enqueue(one('boom', 2)); // 3 + 2 <= 5: merged with p3
    const p5 = queue.enqueue(one('d', 4)); // would exceed 5: a group of its own
    gates[0]();
    assert.deepEqual(await Promise.all([p1, p2]), [1, 2]);
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(writes.length, 2);
    gates[1]();
    await assert.rejects(p3, /disk full/);
    await assert.rejects(p4, /disk full/);
    await new Promise<void>((r) => setImmediate(r));
    gates[2]();
    assert.equal(await p5, 4);
    await queue.idle();
    assert.deepEqual(
      writes.map((w) => [w.rows, w.name.split('\x1f').join(' ')]),
      [
        [3, 'a b b'],
        [5, 'c c c boom boom'],
        [4, 'd d d d'],
      ],
    );
    assert.equal(queue.committedRows, 7);
  });
});
