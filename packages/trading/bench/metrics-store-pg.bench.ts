/**
 * The PostgreSQL metrics store side by side with DuckDB, on a PostgreSQL this benchmark starts
 * itself (initdb into a temp dir, a free port, fsync on; test/support/postgres.ts).
 *
 * library: scenario 3 through the library on each store: `--batches` (600) batches
 *   of `--batch-size` (1,000) records (`metric_${i % 100}`, value i, labels {batch}), built
 *   outside the timing. `seq`: each `await store.insert(batch)` on its own (one COPY / INSERT
 *   each), rows/s = rows / sum of latencies (a Python loop's "Average"). `x4`: four callers
 *   inserting at once in one process (what the db-throughput library mode does at a high rate),
 *   rows/s = rows / wall time; on PostgreSQL batches queued together share a COPY and two COPYs
 *   run at once. Per-batch latency p50/p99 in ms (nearest rank): `await store.insert(batch)` as the caller
 *   sees it, encoding included.
 *   PostgreSQL is measured twice per run, on a server of its own started for the run:
 *   `postgres`: straight after initdb, so every 16 MB WAL segment is new and PostgreSQL
 *   zero-fills it (and fsyncs it) on first use, stalling the commit that crosses into it for
 *   ~15-30 ms here, every ~85 batches: at 600 batches those stalls are the p99 by themselves.
 *   `postgres-warm`: the same server after `--warm-segments` (32) WAL segment switches and a
 *   CHECKPOINT, which recycles the used segments as a server that has been running does (it
 *   keeps up to max_wal_size of them for reuse): no zero-filling on the batch path. Default
 *   settings on both; nothing else differs.
 * processes: four processes (test/support/pg-writer-child.ts) writing into one PostgreSQL at
 *   once, each awaiting its batches; total rows / wall time of the slowest. (DuckDB allows
 *   one writer process per file, so there is no DuckDB figure.)
 * restart: one process inserts 200 batches of 1,000 without waiting (at
 *   most 20 in flight: well within the buffer bound) while the server is restarted (fast
 *   shutdown) and, in a second run, killed (SIGKILL, crash recovery) mid-run; rows lost =
 *   batches missing from the table x batch size; duplicates = at-least-once resends. A third
 *   run, `kill-async`, kills it the same way with `synchronous_commit=off` set in the URL:
 *   what that setting costs (acknowledged commits not yet flushed are lost).
 *
 * Runnable: `node --import tsx packages/trading/bench/metrics-store-pg.bench.ts [--batches N]
 * [--batch-size N] [--runs N] [--warm-segments N] [--postgres-library-only] [--json]`; with `--runs` > 1
 * each figure is the median of the runs. `--postgres-library-only`: the two PostgreSQL library
 * rows alone (a quick check; no DuckDB, no processes, no restarts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MetricRecord } from '../src/metrics-store/metric-record.ts';
import type { MetricsStore } from '../src/metrics-store/metrics-store.ts';
import { openMetricsStore } from '../src/metrics-store/open-store.ts';
import { finished, REPO_ROOT } from '../test/support/child-process.ts';
import { type PgServer, startPgServer } from '../test/support/postgres.ts';
import { isMain, parseFlags } from './bench-util.ts';

export interface LibraryFigures {
  store: 'duckdb-memory' | 'duckdb-file' | 'postgres' | 'postgres-warm';
  mode: 'seq' | 'x4';
  rows: number;
  rowsPerSec: number;
  p50_ms: number;
  p99_ms: number;
}

export interface PgBenchResult {
  library: LibraryFigures[];
  processes: { writers: number; rows: number; rowsPerSec: number; p99_ms: number };
  restart: {
    kind: 'restart' | 'kill' | 'kill-async';
    batches: number;
    lostRows: number;
    duplicateRows: number;
    retries: number;
  }[];
}

function seedBatch(batchNum: number, size: number): MetricRecord[] {
  const labels = { batch: String(batchNum) };
  const out: MetricRecord[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = MetricRecord.create(`metric_${i % 100}`, i, { ...labels });
  return out;
}

/** Nearest rank: the smallest value with at least p of the samples at or below it (p99 of 600: the 594th). */
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))];

async function library(
  name: LibraryFigures['store'],
  target: string,
  batches: number,
  size: number,
): Promise<LibraryFigures[]> {
  const store = await openMetricsStore(target);
  try {
    for (let b = 0; b < 20; b++) await store.insert(seedBatch(-1 - b, size));
    const built = Array.from({ length: batches }, (_, b) => seedBatch(b, size));
    const out: LibraryFigures[] = [];
    // seq: one at a time.
    const lat: number[] = [];
    for (const metrics of built) {
      const t0 = performance.now();
      await store.insert(metrics);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const total = lat.reduce((a, x) => a + x, 0);
    out.push({
      store: name,
      mode: 'seq',
      rows: batches * size,
      rowsPerSec: (batches * size) / (total / 1000),
      ...ms(lat),
    });
    // x4: four callers at once.
    const lat4: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < batches) {
          const metrics = built[next++];
          const s = performance.now();
          await store.insert(metrics);
          lat4.push(performance.now() - s);
        }
      }),
    );
    const wall = performance.now() - t0;
    lat4.sort((a, b) => a - b);
    out.push({
      store: name,
      mode: 'x4',
      rows: batches * size,
      rowsPerSec: (batches * size) / (wall / 1000),
      ...ms(lat4),
    });
    return out;
  } finally {
    await store.close();
  }
}

function ms(sorted: number[]) {
  return { p50_ms: pct(sorted, 0.5), p99_ms: pct(sorted, 0.99) };
}

/**
 * A server that has been running: `segments` WAL segment switches (each creating and
 * zero-filling a new 16 MB segment), then a CHECKPOINT, which renames the segments before its
 * redo point for reuse (up to max_wal_size) instead of deleting them.
 */
async function warmWal(server: PgServer, segments: number): Promise<void> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_wal_warmup (x int)');
    for (let i = 0; i < segments; i++) {
      await c.query('INSERT INTO bench_wal_warmup VALUES (1)'); // pg_switch_wal() needs WAL since the last switch
      await c.query('SELECT pg_switch_wal()');
    }
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

async function processes(server: PgServer, db: string, batches: number, size: number) {
  const url = await server.createDatabase(db);
  await (await openMetricsStore(url)).close(); // the table exists before the writers start
  const children = [0, 1, 2, 3].map((id) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'packages/trading/test/support/pg-writer-child.ts',
        url,
        String(id),
        String(batches),
        String(size),
      ],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
  const done = children.map((c) => finished(c, 300_000));
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.stdout?.on('data', (d: Buffer | string) => {
            if (String(d).includes('ready')) resolve();
          });
          c.once('exit', (code) => reject(new Error(`writer exited (${code}) before ready`)));
        }),
    ),
  );
  const t0 = performance.now();
  for (const c of children) c.stdin?.end('go\n');
  const results = await Promise.all(done);
  const wall = performance.now() - t0; // includes the children's exit
  const parsed = results.map((r) => {
    if (r.code !== 0) throw new Error(`writer failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      rows: number;
      elapsedMs: number;
      p99Ms: number;
    };
  });
  const rows = parsed.reduce((a, p) => a + p.rows, 0);
  const slowest = Math.min(wall, Math.max(...parsed.map((p) => p.elapsedMs)));
  return {
    writers: 4,
    rows,
    rowsPerSec: rows / (slowest / 1000),
    p99_ms: Math.max(...parsed.map((p) => p.p99Ms)),
  };
}

async function restart(kind: 'restart' | 'kill' | 'kill-async', size: number, batches: number) {
  const server = await startPgServer({ fsync: true });
  try {
    const url = kind === 'kill-async' ? `${server.url}?options=-c%20synchronous_commit%3Doff` : server.url;
    const store = (await openMetricsStore(url, {
      postgres: { retryBaseMs: 20, retryMaxMs: 500 },
    })) as MetricsStore;
    try {
      const inserts: Promise<number>[] = [];
      let restarted: Promise<void> = Promise.resolve();
      const pending = new Set<Promise<unknown>>();
      for (let b = 0; b < batches; b++) {
        if (b === Math.floor(batches / 2)) {
          if (kind !== 'restart') await server.kill();
          // restart() = fast shutdown then start (after a kill: start, crash recovery first).
          restarted = server.restart();
        }
        while (pending.size >= 20) await Promise.race(pending);
        const p = store.insert(seedBatch(b, size));
        const settled: Promise<boolean> = p.then(
          () => pending.delete(settled),
          () => pending.delete(settled),
        );
        pending.add(settled);
        inserts.push(p);
      }
      await restarted;
      await Promise.all(inserts);
      const [row] = await store.query(
        "SELECT count(DISTINCT labels->>'batch') AS b, count(*) AS n FROM trading_metrics",
      );
      const present = Number(row.b);
      return {
        kind,
        batches,
        lostRows: (batches - present) * size,
        duplicateRows: Number(row.n) - present * size,
        retries: store.writeStats().retries,
      };
    } finally {
      await store.close();
    }
  } finally {
    await server.stop();
  }
}

export async function benchPg(
  opts: {
    batches?: number;
    batchSize?: number;
    runs?: number;
    warmSegments?: number;
    postgresLibraryOnly?: boolean;
  } = {},
) {
  const batches = Math.max(1, Math.floor(opts.batches ?? 600));
  const warmSegments = Math.max(0, Math.floor(opts.warmSegments ?? 32));
  const size = Math.max(1, Math.floor(opts.batchSize ?? 1000));
  const runs: PgBenchResult[] = [];
  const server = await startPgServer({ fsync: true });
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-pg-'));
  try {
    for (let r = 0; r < Math.max(1, opts.runs ?? 1); r++) {
      const lib = opts.postgresLibraryOnly
        ? []
        : [
            ...(await library('duckdb-memory', ':memory:', batches, size)),
            ...(await library('duckdb-file', join(dir, `m${r}.duckdb`), batches, size)),
          ];
      const own = await startPgServer({ fsync: true });
      try {
        lib.push(...(await library('postgres', await own.createDatabase('cold'), batches, size)));
        await warmWal(own, warmSegments);
        lib.push(...(await library('postgres-warm', await own.createDatabase('warm'), batches, size)));
      } finally {
        await own.stop();
      }
      if (opts.postgresLibraryOnly) {
        runs.push({
          library: lib,
          processes: { writers: 0, rows: 0, rowsPerSec: 0, p99_ms: 0 },
          restart: [],
        });
        continue;
      }
      runs.push({
        library: lib,
        processes: await processes(server, `proc${r}`, Math.ceil(batches / 4) * 2, size),
        restart: [
          await restart('restart', size, 200),
          await restart('kill', size, 200),
          await restart('kill-async', size, 200),
        ],
      });
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return median(runs);
}

/** Every number the median over the runs (the first run's shape). */
function median(runs: PgBenchResult[]): PgBenchResult {
  const m = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const walk = (parts: unknown[]): unknown => {
    const first = parts[0];
    if (typeof first === 'number') return m(parts as number[]);
    if (Array.isArray(first)) return first.map((_, i) => walk(parts.map((p) => (p as unknown[])[i])));
    if (first !== null && typeof first === 'object') {
      return Object.fromEntries(
        Object.keys(first).map((k) => [k, walk(parts.map((p) => (p as Record<string, unknown>)[k]))]),
      );
    }
    return first;
  };
  return walk(runs) as PgBenchResult;
}

function print(r: PgBenchResult): void {
  const n = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);
  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log('=== Metrics store: PostgreSQL (COPY) beside DuckDB, library mode ===');
  console.log('store          mode       rows/s   P50 ms  P99 ms');
  for (const l of r.library) {
    console.log(`${l.store.padEnd(14)} ${l.mode.padEnd(4)} ${n(l.rowsPerSec)} ${f(l.p50_ms)} ${f(l.p99_ms)}`);
  }
  console.log('goal (postgres): >= 300,000 rows/s via COPY in batches of 1,000, P99 < 10 ms');
  console.log(
    'postgres: fresh initdb (new WAL segments zero-filled on first use); -warm: WAL segments recycled',
  );
  const p = r.processes;
  if (p.writers === 0) return; // --postgres-library-only
  console.log(
    `four processes at once: ${n(p.rowsPerSec).trim()} rows/s total (${p.rows} rows, worst P99 ${p.p99_ms.toFixed(2)} ms)`,
  );
  for (const x of r.restart) {
    const what = x.kind === 'kill-async' ? 'kill (synchronous_commit=off)' : x.kind;
    console.log(
      `server ${what} mid-run: ${x.lostRows} rows lost, ${x.duplicateRows} duplicated, ${x.retries} retries (${x.batches} batches)`,
    );
  }
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, {
    batches: { type: 'number', default: 600 },
    'batch-size': { type: 'number', default: 1000, help: 'rows per batch' },
    runs: { type: 'number', default: 1, help: 'runs, the median of each figure reported' },
    'warm-segments': { type: 'number', default: 32, help: 'WAL segment switches before postgres-warm' },
    'postgres-library-only': { type: 'boolean', help: 'the two PostgreSQL library rows alone' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const res = await benchPg({
    batches: f.batches,
    batchSize: f['batch-size'],
    runs: f.runs,
    warmSegments: f['warm-segments'],
    postgresLibraryOnly: f['postgres-library-only'],
  });
  if (f.json) console.log(JSON.stringify(res, null, 2));
  else print(res);
}
