/**
 * The metrics file read by another process while the system writes: `tickstorm serve` in a
 * child process takes 10,000 rows/s over POST /api/metrics (batches of 1,000 every 100 ms)
 * while a reader process opens data/metrics.duckdb (read-write, as a default DuckDB client
 * does), COUNTs and closes, once a second. Reported: connects that succeeded, and after a
 * graceful stop (the last copy), rows of the run in the file against rows accepted.
 *
 *   node --import tsx packages/trading/bench/metrics-file-reader.bench.ts [--seconds 60]
 *     [--rate 10000] [--every-ms 1000]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { isMain, parseFlags } from './bench-util.ts';
import { serveChild } from './serve-child.ts';

const READER = `
const { DuckDBInstance } = require('@duckdb/node-api');
const [path, everyMs, untilMs] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let ok = 0, failed = 0; const errors = {};
(async () => {
  while (Date.now() < untilMs) {
    const t0 = Date.now();
    try {
      const i = await DuckDBInstance.create(path);
      const c = await i.connect();
      await c.runAndReadAll('SELECT COUNT(*) FROM trading_metrics');
      c.closeSync(); i.closeSync(); ok++;
    } catch (e) { failed++; const k = String(e.message).slice(0, 60); errors[k] = (errors[k] || 0) + 1; }
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t0))));
  }
  console.log(JSON.stringify({ ok, failed, errors }));
})();`;

export interface FileReaderResult {
  seconds: number;
  rowsAccepted: number;
  rowsInFile: number;
  connects: number;
  connectsOk: number;
  successRatio: number;
  errors: Record<string, number>;
}

export async function runFileReader(
  seconds: number,
  rate: number,
  everyMs: number,
): Promise<FileReaderResult> {
  const sys = await serveChild();
  const path = join(sys.dataDir, 'metrics.duckdb');
  const api = sys.urls.api;
  const untilMs = Date.now() + seconds * 1000;
  const reader = spawn(process.execPath, ['-e', READER, path, String(everyMs), String(untilMs)], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let readerOut = '';
  reader.stdout!.on('data', (d) => {
    readerOut += String(d);
  });
  const readerDone = new Promise((r) => reader.once('exit', r));
  const perBatch = 1000;
  const batchesPerSec = rate / perBatch;
  let accepted = 0;
  let seq = 0;
  const t0 = performance.now();
  const posts: Promise<void>[] = [];
  for (let b = 0; Date.now() < untilMs; b++) {
    const due = t0 + (b * 1000) / batchesPerSec;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const records = Array.from({ length: perBatch }, () => ({ name: 'reader_bench_row', value: seq++ }));
    posts.push(
      fetch(`${api}/api/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(records),
      }).then(async (r) => {
        const body = (await r.json()) as { accepted?: number };
        if (r.status === 202) accepted += body.accepted ?? 0;
      }),
    );
  }
  await Promise.all(posts);
  await readerDone;
  // Graceful stop (the last copy into the shared file), then count before the dir goes.
  const exited = new Promise((r) => sys.child.once('exit', r));
  sys.child.kill('SIGTERM');
  await exited;
  const inst = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  const r = await c.runAndReadAll("SELECT count(*) FROM trading_metrics WHERE name = 'reader_bench_row'");
  const rowsInFile = Number(r.getRows()[0][0]);
  c.closeSync();
  inst.closeSync();
  await sys.stop();
  const rd = JSON.parse(readerOut.trim().split('\n').pop() ?? '{}') as {
    ok: number;
    failed: number;
    errors: Record<string, number>;
  };
  return {
    seconds,
    rowsAccepted: accepted,
    rowsInFile,
    connects: rd.ok + rd.failed,
    connectsOk: rd.ok,
    successRatio: rd.ok / Math.max(1, rd.ok + rd.failed),
    errors: rd.errors,
  };
}

async function main(): Promise<void> {
  const values = parseFlags(import.meta.url, {
    seconds: { type: 'number', default: 60 },
    rate: { type: 'number', default: 10000, help: 'rows/s posted' },
    'every-ms': { type: 'number', default: 1000, help: 'ms between reader opens' },
  });
  const r = await runFileReader(values.seconds, values.rate, values['every-ms']);
  console.log(
    `${r.seconds} s at ${values.rate} rows/s: reader connects ${r.connectsOk}/${r.connects} ` +
      `(${(r.successRatio * 100).toFixed(1)}%), rows accepted ${r.rowsAccepted}, in the file ${r.rowsInFile}, ` +
      `lost ${r.rowsAccepted - r.rowsInFile} ${JSON.stringify(r.errors)}`,
  );
}

if (isMain(import.meta.url)) await main();
