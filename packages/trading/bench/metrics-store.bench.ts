/**
 * Scenario 3 (database write throughput) as a benchmark, on the real metrics store.
 *
 * store: like a Python `benchmark_inserts` loop: N batches (default 600) of 1,000 records
 * (`metric_${i % 100}`, value i, labels {batch}), built outside the timing, each inserted with
 * `await store.insert(batch)` (one committed transaction each, nothing in parallel) and timed
 * on its own. Per-batch latency p50/p95/p99/max (ms, that loop's index method on the
 * sorted samples) and rows/s = rows / sum of batch latencies (its "Average" throughput).
 * `blocked_ms` is the part of each insert spent on the event loop (encoding): the INSERT itself
 * runs on a DuckDB thread. Targets: ':memory:' and a file in a temp dir (WAL + fsync per commit).
 * `--warmup` batches (default 20) run first and are not counted.
 *
 * writer: the system's own path, to a file: the same number of rows offered to
 * `MetricsWriter.record()` at `--writer-rate` rows/s (default 1,000,000; open loop, on time
 * each event-loop turn); rows/s committed from the first record to `close()`, records dropped
 * (ring full), flush latency p99.
 *
 * Runnable: `node --import tsx packages/trading/bench/metrics-store.bench.ts [--batches N]
 * [--batch-size N] [--warmup N] [--writer-rate N] [--json]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import { MetricsWriter } from '../src/metrics-store/metrics-writer.ts';
import { isMain, parseFlags } from './bench-util.ts';

export interface MetricsStoreBenchOptions {
  /** Timed batches (default 600, like that loop). */
  batches?: number;
  /** Records per batch (default 1,000). */
  batchSize?: number;
  /** Untimed batches first (default 20). */
  warmup?: number;
  /** Run the MetricsWriter scenario too (default true). */
  writer?: boolean;
  /** Rows/s offered to the MetricsWriter (default 1,000,000). */
  writerRate?: number;
}

export interface StoreFigures {
  target: 'memory' | 'file';
  batches: number;
  batchSize: number;
  rows: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  rowsPerSec: number;
  blocked_ms: number;
  rowsInTable: number;
}

export interface WriterFigures {
  offeredPerSec: number;
  rows: number;
  rowsWritten: number;
  dropped: number;
  flushes: number;
  rowsPerSec: number;
  flushP99_ms: number;
}

export interface MetricsStoreBenchResult {
  store: StoreFigures[];
  writer: WriterFigures | null;
}

function seedBatch(batchNum: number, size: number): MetricRecord[] {
  const labels = { batch: String(batchNum) };
  const out: MetricRecord[] = new Array(size);
  // That loop builds a labels dict per record; so do we (no shared-object shortcut).
  for (let i = 0; i < size; i++) out[i] = MetricRecord.create(`metric_${i % 100}`, i, { ...labels });
  return out;
}

async function benchStore(
  target: 'memory' | 'file',
  path: string,
  batches: number,
  batchSize: number,
  warmup: number,
): Promise<StoreFigures> {
  const store = await DuckDbMetricsStore.open(path);
  try {
    for (let b = 0; b < warmup; b++) await store.insert(seedBatch(-1 - b, batchSize));
    const lat = new Float64Array(batches);
    let blocked = 0;
    for (let b = 0; b < batches; b++) {
      const metrics = seedBatch(b, batchSize);
      const t0 = performance.now();
      const pending = store.insert(metrics);
      const t1 = performance.now();
      await pending;
      lat[b] = performance.now() - t0;
      blocked += t1 - t0;
    }
    const sorted = lat.slice().sort();
    const total = lat.reduce((a, x) => a + x, 0);
    return {
      target,
      batches,
      batchSize,
      rows: batches * batchSize,
      p50_ms: sorted[Math.floor(batches / 2)],
      p95_ms: sorted[Math.floor(batches * 0.95)],
      p99_ms: sorted[Math.floor(batches * 0.99)],
      max_ms: sorted[batches - 1],
      mean_ms: total / batches,
      rowsPerSec: (batches * batchSize) / (total / 1000),
      blocked_ms: blocked / batches,
      rowsInTable: await store.count(),
    };
  } finally {
    await store.close();
  }
}

async function benchWriter(path: string, rows: number, rate: number): Promise<WriterFigures> {
  const writer = new MetricsWriter(await DuckDbMetricsStore.open(path), { capacity: 262_144 });
  const labels = Array.from({ length: 100 }, (_, i) => ({ symbol: `SYM${i % 50}`, batch: String(i) }));
  const names = Array.from({ length: 100 }, (_, i) => `metric_${i}`);
  const t0 = performance.now();
  let offered = 0;
  while (offered < rows) {
    const due = Math.min(rows, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; offered < due; offered++) writer.record(names[offered % 100], offered, labels[offered % 100]);
    await new Promise<void>((r) => setImmediate(r));
  }
  await writer.close();
  const elapsed = performance.now() - t0;
  const s = writer.stats();
  return {
    offeredPerSec: rate,
    rows,
    rowsWritten: s.rowsWritten,
    dropped: s.dropped,
    flushes: s.flushes,
    rowsPerSec: s.rowsWritten / (elapsed / 1000),
    flushP99_ms: s.batchLatencyUs.p99 / 1000,
  };
}

export async function benchMetricsStore(
  opts: MetricsStoreBenchOptions = {},
): Promise<MetricsStoreBenchResult> {
  const batches = Math.max(1, Math.floor(opts.batches ?? 600));
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
  const warmup = Math.max(0, Math.floor(opts.warmup ?? 20));
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-metrics-'));
  try {
    const store = [
      await benchStore('memory', ':memory:', batches, batchSize, warmup),
      await benchStore('file', join(dir, 'metrics.duckdb'), batches, batchSize, warmup),
    ];
    const rate = opts.writerRate ?? 1_000_000;
    const writer =
      opts.writer === false ? null : await benchWriter(join(dir, 'writer.duckdb'), batches * batchSize, rate);
    return { store, writer };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(r: MetricsStoreBenchResult): void {
  const f = (x: number) => x.toFixed(2).padStart(7);
  const n = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
  console.log('=== Database Throughput Test Results (scenario 3) ===');
  console.log('target  batches x size    P50 ms  P95 ms  P99 ms  max ms  blocked ms      rows/s  goal');
  for (const s of r.store) {
    const ok = s.rowsPerSec >= 1_000_000 && s.p99_ms < 5 ? 'PASS' : 'FAIL';
    const scenario = s.rowsPerSec >= 10_000 && s.p99_ms < 50 ? 'scenario PASS' : 'scenario FAIL';
    console.log(
      `${s.target.padEnd(7)} ${`${s.batches} x ${s.batchSize}`.padEnd(15)} ${f(s.p50_ms)} ${f(s.p95_ms)} ${f(s.p99_ms)} ${f(s.max_ms)} ${f(s.blocked_ms).padStart(11)} ${n(s.rowsPerSec)}  ${ok} (${scenario})`,
    );
  }
  console.log('goal: >= 1,000,000 rows/s and p99 < 5 ms per batch of 1,000 (scenario: 10,000/s, < 50 ms)');
  if (r.writer !== null) {
    const w = r.writer;
    console.log(
      `writer (file, ${n(w.offeredPerSec).trim()} rows/s offered): ${n(w.rowsPerSec).trim()} rows/s committed, ${w.rowsWritten.toLocaleString('en-US')}/${w.rows.toLocaleString('en-US')} rows written, ${w.dropped} dropped, ${w.flushes} flushes, flush p99 ${w.flushP99_ms.toFixed(2)} ms`,
    );
  }
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, {
    batches: { type: 'number', default: 600 },
    'batch-size': { type: 'number', default: 1000, help: 'rows per batch' },
    warmup: { type: 'number', default: 20, help: 'batches before the measured ones' },
    'writer-rate': { type: 'number', default: 1_000_000, help: 'rows/s offered to the writer' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const res = await benchMetricsStore({
    batches: f.batches,
    batchSize: f['batch-size'],
    warmup: f.warmup,
    writerRate: f['writer-rate'],
  });
  if (f.json) console.log(JSON.stringify(res, null, 2));
  else printTable(res);
}
