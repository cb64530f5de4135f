/**
 * The db-throughput scenario against each metrics store, side by side in one run: a real
 * `tickstorm serve` child on DuckDB (its default file) and on PostgreSQL (a throwaway server,
 * `--metrics-store postgres://...`), each driven over HTTP (`POST /api/metrics`, batches of
 * 1,000) at 10k, 50k and 100k records/s by `tickstorm run db-throughput`, and the library mode
 * (`DatabaseManager` in-process, `--db-path` a DuckDB file or the PostgreSQL URL) at 100k/s.
 * Prints batch P50/P99 and achieved records/s per store and rate; `--json FILE` writes them.
 *
 *   node --import tsx packages/trading/bench/db-throughput-stores.bench.ts [--rates 10000,50000,100000]
 *     [--duration 10s] [--json FILE]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgServer } from '../test/support/postgres.ts';
import { parseFlags } from './bench-util.ts';
import { serveChild, TICKSTORM } from './serve-child.ts';

const flags = parseFlags(import.meta.url, {
  rates: {
    type: 'numbers',
    default: [10000, 50000, 100000],
    help: 'records/s over HTTP; the last in library mode too',
  },
  duration: { type: 'string', default: '10s', help: 'per run (tickstorm run --duration)' },
  json: { type: 'string', value: 'FILE', help: 'write the rows as JSON' },
});
const { rates, duration } = flags;
const jsonOut = flags.json ?? '';

interface Row {
  store: 'duckdb' | 'postgres';
  mode: 'http' | 'library';
  rate: number;
  recordsPerSec: number;
  p50_ms: number;
  p99_ms: number;
  failures: number;
  passed: boolean;
}

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-dbstores-'));

function runScenario(args: readonly string[]): Promise<Record<string, unknown>> {
  const out = join(dir, `run-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        TICKSTORM,
        'run',
        'db-throughput',
        '--duration',
        duration,
        '--no-bench',
        '--no-watch',
        '--json',
        out,
        ...args,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 99) return reject(new Error(`tickstorm run exited ${code}`));
      resolve(JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>);
    });
  });
}

function row(store: Row['store'], mode: Row['mode'], rate: number, j: Record<string, unknown>): Row {
  const s = (j.scenarios as Record<string, unknown>[])[0];
  const extra = s.extra as Record<string, number>;
  const lat = s.latency_ms as Record<string, number>;
  return {
    store,
    mode,
    rate,
    recordsPerSec: Math.round(extra.recordsPerSec ?? 0),
    p50_ms: lat.p50,
    p99_ms: lat.p99,
    failures: s.failures as number,
    passed: j.exitCode === 0,
  };
}

const rows: Row[] = [];
const pg = await startPgServer();
try {
  for (const store of ['duckdb', 'postgres'] as const) {
    const serveArgs = store === 'postgres' ? ['--metrics-store', pg.url] : [];
    const sys = await serveChild([], process.env, serveArgs);
    try {
      for (const rate of rates) {
        const j = await runScenario(['--api-url', sys.urls.api, '--rate', String(rate)]);
        rows.push(row(store, 'http', rate, j));
        console.error(`${store} http ${rate}/s done`);
      }
    } finally {
      await sys.stop();
    }
    const dbPath = store === 'postgres' ? pg.url : join(dir, 'library.duckdb');
    const rate = rates[rates.length - 1];
    const j = await runScenario(['--mode', 'library', '--db-path', dbPath, '--rate', String(rate)]);
    rows.push(row(store, 'library', rate, j));
  }
} finally {
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}

const pad = (v: string | number, n: number) => String(v).padStart(n);
console.log('store     mode     target/s  achieved/s  batch p50 ms  batch p99 ms  failures  targets');
for (const r of rows)
  console.log(
    `${r.store.padEnd(9)} ${r.mode.padEnd(8)} ${pad(r.rate, 8)} ${pad(r.recordsPerSec, 11)} ${pad(r.p50_ms.toFixed(2), 13)} ${pad(r.p99_ms.toFixed(2), 13)} ${pad(r.failures, 9)}  ${r.passed ? 'met' : 'missed'}`,
  );
if (jsonOut !== '') writeFileSync(jsonOut, `${JSON.stringify({ rows }, null, 2)}\n`);
