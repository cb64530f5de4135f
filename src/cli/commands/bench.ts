/**
 * `tickstorm bench`: the critical-path micro-benchmarks, printed as the
 * "Performance Targets" table with Current and Status filled in.
 *
 * The measurements run in a child Node process started with a 256 MB young generation:
 * the latency runs read a clock per operation and the clock itself allocates, so a large
 * nursery keeps GC out of the measured window (the throughput runs read no clock at all).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { markdownTable, statusMark } from '@tickstorm/loadlab';
import type { BenchRow } from '@tickstorm/protocol';
import { formatNs } from '@tickstorm/scenarios';
import { CRITICAL_PATH_RUNNER } from '@tickstorm/trading/bench';

/** tsx resolved from this file: a bare `--import tsx` would resolve from the cwd (any directory). */
const TSX = import.meta.resolve('tsx');

export interface BenchOptions {
  json?: string;
  ops?: number;
  runs?: number;
}

export async function runBenchInChild(opts: BenchOptions): Promise<BenchRow[]> {
  const args = [
    '--min-semi-space-size=256',
    '--max-semi-space-size=256',
    '--import',
    TSX,
    CRITICAL_PATH_RUNNER,
  ];
  if (opts.ops !== undefined) args.push('--ops', String(opts.ops));
  if (opts.runs !== undefined) args.push('--runs', String(opts.runs));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const code: number = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`benchmark process exited with code ${code}`);
  return (JSON.parse(out) as { results: BenchRow[] }).results;
}

export function renderBenchTable(rows: readonly BenchRow[]): string {
  return markdownTable(
    ['Operation', 'Target', 'Current', 'Status', 'Goal', 'Throughput'],
    rows.map((r) => {
      const measure = r.measure ?? 'p50';
      const value = measure === 'p50' ? r.p50_ns : r.p99_ns;
      const current = value === null ? 'n/a' : `${formatNs(value)} (${measure})`;
      return [
        r.name,
        `<${formatNs(r.target_ns)}`,
        current,
        statusMark(r.pass),
        r.goal_ns === undefined ? 'n/a' : `<${formatNs(r.goal_ns)}`,
        r.ops_per_sec == null ? 'n/a' : `${(r.ops_per_sec / 1e6).toFixed(2)}M ops/s`,
      ];
    }),
  );
}

export async function benchCommand(opts: BenchOptions): Promise<number> {
  const rows = await runBenchInChild(opts);
  console.log('### Critical Path Targets\n');
  console.log(renderBenchTable(rows));
  const book = rows.find((r) => r.id === 'order_book_update')?.extra;
  if (book !== undefined) {
    console.log(
      `\nOrder book runs: ${(book.opsPerSecRuns as number[]).map((r) => `${(r / 1e6).toFixed(2)}M`).join(', ')} ops/s; ` +
        `GCs in timed runs ${book.gcDuringTimedRuns}, in latency runs ${book.gcDuringLatencyRuns}; ` +
        `${book.liveOrdersAfter} live orders on ${book.levelsAfter} levels; cancel hit ratio ${book.cancelHitRatio}.`,
    );
  }
  if (opts.json !== undefined) {
    writeFileSync(opts.json, `${JSON.stringify({ results: rows }, null, 2)}\n`);
    console.log(`\nJSON written to ${opts.json}`);
  }
  return rows.some((r) => r.pass === false) ? 1 : 0;
}
