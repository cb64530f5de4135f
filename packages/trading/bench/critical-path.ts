/**
 * The critical-path micro-benchmarks behind `tickstorm bench`: order creation, order book
 * update, risk check and order routing, as rows keyed like the Performance Targets tables.
 * Run through `tickstorm bench`, which starts this file in a child process with a large
 * young generation (see order-book.bench.ts) and prints the table.
 */
import type { BenchRow } from '@tickstorm/protocol';
import { benchOrderBook, benchOrderCreation } from './order-book.bench.ts';
import { benchOrderRouting } from './order-routing.bench.ts';
import { benchRiskCheck } from './risk-check.bench.ts';

export type { BenchRow };

function row(
  id: string,
  name: string,
  measure: 'p50' | 'p99',
  target_ns: number,
  goal_ns: number,
  fig: { p50_ns: number; p99_ns: number; opsPerSec: number } | null,
  extra?: Record<string, unknown>,
  note?: string,
): BenchRow {
  const value = fig === null ? null : measure === 'p50' ? fig.p50_ns : fig.p99_ns;
  return {
    id,
    name,
    p50_ns: fig === null ? null : round(fig.p50_ns),
    p99_ns: fig === null ? null : round(fig.p99_ns),
    ops_per_sec: fig === null ? null : Math.round(fig.opsPerSec),
    target_ns: target_ns,
    goal_ns: goal_ns,
    measure,
    pass: value === null ? null : value < target_ns,
    ...(note === undefined ? {} : { note }),
    ...(extra === undefined ? {} : { extra }),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export async function runCriticalPath(opts: { ops?: number; runs?: number } = {}): Promise<BenchRow[]> {
  const creation = benchOrderCreation();
  const book = await benchOrderBook({ ops: opts.ops, runs: opts.runs });
  const risk = benchRiskCheck();
  // Busy-polling on both sides (a shard thread that owns its core): without it, futex
  // wake-ups on an idle VM cost ~50-130 us per round trip.
  const routing = await benchOrderRouting({ spinMicros: 50, workerSpinMicros: 2_000 });
  return [
    row('order_creation', 'Order creation', 'p50', 100, 50, creation),
    row(
      'order_book_update',
      'OrderBook update',
      'p99',
      500,
      500,
      { p50_ns: book.p50_ns, p99_ns: book.p99_ns, opsPerSec: book.opsPerSec },
      {
        opsPerSecRuns: book.opsPerSecRuns,
        gcDuringTimedRuns: book.gcDuringTimedRuns,
        gcDuringLatencyRuns: book.gcDuringLatencyRuns,
        liveOrdersAfter: book.liveOrdersAfter,
        levelsAfter: book.levelsAfter,
        cancelHitRatio: Math.round(book.cancelHitRatio * 1000) / 1000,
      },
    ),
    row('risk_check', 'Risk check', 'p50', 1_000, 100, risk),
    row(
      'order_routing',
      'Order routing',
      'p99',
      100_000,
      20_000,
      routing.worker,
      { local: routing.local },
      'to a worker-thread shard and back, both sides busy-polling',
    ),
  ];
}
