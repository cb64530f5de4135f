import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { DatabaseManager } from '../src/metrics-store/database-manager.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';

describe('DatabaseManager (the Python library API)', () => {
  test("runs the scenario-3 Python script, ported, on ':memory:'", async () => {
    // db = await DatabaseManager.new(":memory:"); await db.initialize()
    const db = await DatabaseManager.new(':memory:');
    await db.initialize();
    await db.initialize(); // idempotent
    const batchSize = 1000;
    const totalBatches = 5;
    try {
      for (let batchNum = 0; batchNum < totalBatches; batchNum++) {
        const metrics = [];
        for (let i = 0; i < batchSize; i++) {
          metrics.push(MetricRecord.new(`metric_${i % 100}`, i, { batch: String(batchNum) }));
        }
        assert.equal(await db.insert_metrics(metrics), batchSize);
      }
      assert.equal(await db.count(), batchSize * totalBatches);
      const rows = await db.query(
        "SELECT labels->>'batch' AS batch, count(*) AS n FROM trading_metrics GROUP BY 1 ORDER BY 1",
      );
      assert.deepEqual(
        rows,
        ['0', '1', '2', '3', '4'].map((batch) => ({ batch, n: batchSize })),
      );
      assert.equal(await db.insertMetrics([MetricRecord.create('extra', 1)]), 1);
      assert.equal(await db.count(), batchSize * totalBatches + 1);
    } finally {
      await db.close();
    }
  });

  test('using it before initialize() or after close() is a coded error', async () => {
    const db = await DatabaseManager.create(':memory:');
    await assert.rejects(db.insertMetrics([MetricRecord.create('m', 1)]), {
      code: TradingErrorCode.METRICS_STORE,
      message: /initialize\(\) first/,
    });
    await db.initialize();
    await db.close();
    await db.close();
    await assert.rejects(db.count(), { code: TradingErrorCode.METRICS_STORE });
  });
});
