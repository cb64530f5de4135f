import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { batchBody, writeBatchNumber } from '../src/db-http-script.ts';
import { dbThroughput } from '../src/db-throughput.ts';
import { assertParamSpecs, assertResultShape, target } from './support/scenario-checks.ts';
import { startTarget, type Target } from './support/trading-target.ts';

let sys: Target;
before(async () => {
  sys = await startTarget();
});
after(() => sys.close());

test('the standard batch, batch number written in place: valid JSON, same length', () => {
  const { body, slots } = batchBody(150, 7);
  const bytes = Buffer.from(body);
  for (const n of [0, 7, 12345]) {
    writeBatchNumber(bytes, Int32Array.from(slots), 7, n);
    assert.equal(bytes.length, body.length);
    const records = JSON.parse(bytes.toString()) as {
      name: string;
      value: number;
      labels: { batch: string };
    }[];
    assert.equal(records.length, 150);
    assert.deepEqual(records[123], { name: 'metric_23', value: 123, labels: { batch: String(n) } });
    assert.ok(records.every((r) => r.labels.batch === String(n)));
  }
});

test('db-throughput http: 2,000 metrics/s in batches of 100, every batch 202 and every row stored', async () => {
  const r = await dbThroughput.run(
    { urls: sys.urls, workers: 1 },
    { rate: 2000, batchSize: 100, duration: '1500ms' },
  );
  assertResultShape(r, dbThroughput, ['Batch insert latency P95', 'Batch insert latency P99', 'Records/s']);
  assert.equal(r.requests, 30);
  assert.equal(r.failures, 0);
  assert.deepEqual(r.entries[0].statusCounts, { '202': 30 });
  assert.equal(r.extra.batchSize, 100);
  assert.equal(r.extra.batches, 30);
  assert.equal(r.extra.totalRecords, 3000);
  const q = await sys.api(
    `/api/metrics/query?sql=${encodeURIComponent(
      "SELECT count(*)::INT AS n, count(DISTINCT labels->>'batch')::INT AS b, max((labels->>'batch')::INT)::INT AS top FROM trading_metrics WHERE name LIKE 'metric_%'",
    )}`,
  );
  assert.deepEqual(q.rows, [{ n: 3000, b: 30, top: 29 }]);
  const p95 = target(r, 'Batch insert latency P95');
  assert.equal(p95.pass, r.latency_ms.p95 < 50);
  assert.equal(target(r, 'Batch insert latency P99').pass, r.latency_ms.p99 < 50);
  const rate = target(r, 'Records/s');
  assert.equal(rate.value, Math.round(3000 / Math.max(1.5, r.durationSec)));
  assert.equal(rate.pass, rate.value >= 1980);
});

test('db-throughput both: the HTTP run, then DatabaseManager in-process; targets per mode', async () => {
  const r = await dbThroughput.run(
    { urls: sys.urls, workers: 1 },
    { rate: 5000, batchSize: 500, duration: '1s', mode: 'both' },
  );
  assertResultShape(r, dbThroughput, [
    'Batch insert latency P95 (HTTP)',
    'Batch insert latency P99 (HTTP)',
    'Records/s (HTTP)',
    'Batch insert latency P95 (library)',
    'Batch insert latency P99 (library)',
    'Records/s (library)',
  ]);
  assert.deepEqual(
    r.entries.map((e) => [e.type, e.name, e.requests, e.failures]),
    [
      ['POST', '/api/metrics', 10, 0],
      ['DB', 'insertMetrics', 10, 0],
    ],
  );
  assert.equal(r.extra.batches, 20);
  assert.equal(r.extra.totalRecords, 10_000);
  const library = r.extra.library as Record<string, number>;
  assert.equal(library.rowsWritten, 5000);
  assert.equal(library.rowsAdded, 5000);
  const modes = r.extra.modes as Record<string, { latencyMs: { p95: number } }>;
  const lib = target(r, 'Batch insert latency P95 (library)');
  assert.equal(lib.value, Math.round(modes.library.latencyMs.p95 * 1000) / 1000);
  assert.equal(lib.pass, modes.library.latencyMs.p95 < 50);
});

test('db-throughput: validate names every bad flag at once', () => {
  assertParamSpecs(dbThroughput);
  const problems = dbThroughput.validate({
    batchSize: 0,
    rate: 'lots',
    mode: 'disk',
    connections: 0,
    duration: '',
  });
  assert.equal(problems.length, 5, problems.join('\n'));
  for (const flag of ['--batch-size', '--rate', '--mode', '--connections', '--duration']) {
    assert.ok(
      problems.some((p) => p.startsWith(`${flag} must be`)),
      `${flag} in ${problems.join('; ')}`,
    );
  }
  assert.match(
    dbThroughput.validate({ rate: 10, batchSize: 1000, duration: '10s' })[0],
    /at least one batch/,
  );
});

test('db-throughput http against a system with keys: every batch signed over its own bytes, 202, every row stored', async () => {
  const keyed = await startTarget({
    keys: [{ id: 'feed-1', secret: 'feed-secret-0123456789abcdef', role: 'feed' }],
  });
  process.env.TICKSTORM_KEY_ID = 'feed-1';
  process.env.TICKSTORM_KEY_SECRET = 'feed-secret-0123456789abcdef';
  try {
    const r = await dbThroughput.run(
      { urls: keyed.urls, workers: 1 },
      { rate: 2000, batchSize: 100, duration: '1s' },
    );
    assert.deepEqual(r.entries[0].statusCounts, { '202': 20 });
    const rows = await keyed.sys.store!.query(
      "SELECT count(*)::INT AS n, count(DISTINCT labels->>'batch')::INT AS b FROM trading_metrics WHERE name LIKE 'metric_%'",
    );
    assert.deepEqual(rows, [{ n: 2000, b: 20 }]);
  } finally {
    delete process.env.TICKSTORM_KEY_ID;
    delete process.env.TICKSTORM_KEY_SECRET;
    await keyed.close();
  }
});
