import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { MetricsWriter } from '../src/metrics-store/metrics-writer.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-writer-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2025, 5, 1);

describe('MetricsWriter', () => {
  test('close() flushes everything recorded (ring wrap-around included) into the file', async () => {
    const path = join(dir, 'writer.duckdb');
    let now = T0;
    const writer = new MetricsWriter(await DuckDbMetricsStore.open(path), {
      capacity: 1000,
      flushRows: 300,
      flushIntervalMs: 60_000,
      clock: () => now,
    });
    const sym = [{ symbol: 'SYM0' }, { symbol: 'SYM1' }];
    let recorded = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 700; i++) {
        assert.ok(writer.record('ticks_processed', recorded, sym[i % 2]));
        recorded++;
        now += 0.25;
      }
      await writer.flush(); // head moves: the next round wraps around the ring
    }
    for (let i = 0; i < 123; i++) writer.record('orders', i); // left for close()
    recorded += 123;
    assert.equal(writer.record('bad\x1fname', 1), false); // refused, not a poisoned flush
    assert.equal(writer.recordAt(Number.NaN, 'orders', 1), false);
    await writer.close();
    await writer.close();
    const stats = writer.stats();
    assert.equal(stats.recorded, recorded);
    assert.equal(stats.rowsWritten, recorded);
    assert.equal(stats.dropped, 0);
    assert.equal(stats.invalid, 2);
    assert.equal(stats.failedRows, 0);
    assert.equal(stats.pending, 0);
    assert.equal(stats.closed, true);
    assert.ok(stats.flushes >= 6);
    assert.equal(stats.batchLatencyUs.count, stats.flushes);
    assert.ok(stats.batchLatencyUs.p50 > 0 && stats.batchLatencyUs.max >= stats.batchLatencyUs.p99);
    assert.equal(writer.record('late', 1), false);

    const store = await DuckDbMetricsStore.open(path, { readOnly: true });
    try {
      assert.equal(await store.count(), recorded);
      const [row] = await store.query(
        "SELECT count(*) AS n, sum(value) AS s, epoch_us(min(time)) AS us FROM trading_metrics WHERE labels->>'symbol' = 'SYM1'",
      );
      assert.equal(row.n, 1750);
      assert.equal(row.s, (1750 * 1750 * 2) / 2); // odd values 1, 3, ..., 3499
      assert.equal(row.us, T0 * 1000 + 250); // microsecond precision kept
    } finally {
      await store.close();
    }
  });

  test('a full ring drops and counts, never blocks; stats are JSON-friendly', async () => {
    const writer = await MetricsWriter.open(':memory:', {
      capacity: 64,
      flushRows: 64,
      flushIntervalMs: 60_000,
      rateWindowSec: 5,
    });
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (writer.record('burst', i)) accepted++;
    assert.equal(accepted, 64);
    assert.equal(writer.stats().dropped, 36);
    assert.equal(writer.stats().pending, 64);
    await writer.flush();
    const stats = JSON.parse(JSON.stringify(writer.stats()));
    assert.equal(stats.rowsWritten, 64);
    assert.equal(stats.pending, 0);
    assert.equal(stats.rowsPerSec, 64 / 5);
    assert.equal(stats.flushesPerSec, 1 / 5);
    assert.equal(stats.rateWindowSec, 5);
    assert.equal(typeof stats.batchLatencyUs.p99, 'number');
    await writer.close();
  });
});
