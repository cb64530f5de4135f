/**
 * One of several processes writing into one PostgreSQL metrics store at once
 * (metrics-store-postgres.test.ts, bench/metrics-store-pg.bench.ts): argv URL, writer id,
 * batches, batch size. After opening the store it prints `ready` and waits for a line on
 * stdin (so every writer starts at once), then writes, each batch awaited (one COPY each,
 * like a Python insert loop), and prints one JSON line: {id, rows, elapsedMs, p99Ms}.
 */
import { once } from 'node:events';
import { DatabaseManager } from '../../src/metrics-store/database-manager.ts';
import { MetricRecord } from '../../src/metrics-store/metric-record.ts';

const [url, id, batchesArg, sizeArg] = process.argv.slice(2);
const batches = Number(batchesArg);
const size = Number(sizeArg);
const db = await DatabaseManager.create(url);
await db.initialize();
console.log('ready');
await once(process.stdin, 'data');
process.stdin.pause();
const lat: number[] = [];
const t0 = performance.now();
let rows = 0;
for (let b = 0; b < batches; b++) {
  const labels = { writer: id, batch: String(b) };
  const metrics = [];
  for (let i = 0; i < size; i++) metrics.push(MetricRecord.create(`metric_${i % 100}`, i, labels));
  const s = performance.now();
  rows += await db.insertMetrics(metrics);
  lat.push(performance.now() - s);
}
const elapsedMs = performance.now() - t0;
await db.close();
lat.sort((a, b) => a - b);
const p99Ms = lat[Math.max(0, Math.ceil(lat.length * 0.99) - 1)] ?? 0; // nearest rank
console.log(JSON.stringify({ id, rows, elapsedMs, p99Ms }));
