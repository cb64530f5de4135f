/**
 * Order routing benchmark: a command routed to its shard and the result back.
 *
 * - local: Router lookup + LocalShard (sequencer + MatchingEngine + result summary) in
 *   this thread, 4 shards. Sub-microsecond, so timed in batches of 1,000 round trips;
 *   p50/p99 are over the per-batch averages.
 * - worker: OrderRouter -> WorkerShard: the command crosses a SharedArrayBuffer ring to the
 *   matcher in a worker thread and the result comes back through the other ring. One
 *   command in flight at a time; every round trip (call to resolved await) is timed on its
 *   own with process.hrtime.bigint after a warm-up. Extra figures: throughput with 256
 *   commands in flight, and round trips after ~1 ms of idleness (both threads asleep:
 *   futex and event-loop wake-ups instead of busy-polls).
 *
 * The stream cycles over all books: a resting bid, its cancel, a resting ask, then a market
 * buy that fills it, so the books stay small and every kind of result is exercised.
 * Runnable: `node --import tsx packages/trading/bench/order-routing.bench.ts [--json]`.
 */
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { OrderType, Side } from '../src/domain/enums.ts';
import { LocalShard } from '../src/routing/local-shard.ts';
import { OrderRouter, Router } from '../src/routing/router.ts';
import type { ShardResult } from '../src/routing/shard-result.ts';
import { WorkerShard } from '../src/routing/worker-shard.ts';
import { isMain, parseFlags } from './bench-util.ts';

export interface RoutingFigures {
  p50_ns: number;
  p99_ns: number;
  opsPerSec: number;
}

export interface OrderRoutingOptions {
  /** Local: timed batches of 1,000 (default 2,000). */
  localBatches?: number;
  /** Worker: timed round trips (default 50,000) after `warmup` (default 10,000). */
  samples?: number;
  warmup?: number;
  /** Round trips timed one by one with ~1 ms of idleness before each (default 500). */
  idleSamples?: number;
  /** WorkerShard tuning (see WorkerShardOptions). */
  spinMicros?: number;
  workerSpinMicros?: number;
}

const instruments = new InstrumentTable();
const BOOKS = instruments.size;

/** Command i of the cycle: 0 bid, 1 cancel it, 2 ask, 3 market buy; book advances every 4. */
interface Target {
  submit(
    b: number,
    s: number,
    t: number,
    p: number,
    q: number,
    a: number,
  ): ShardResult | Promise<ShardResult>;
  cancel(b: number, id: number): ShardResult | Promise<ShardResult>;
}

function step(r: Target, i: number, lastId: number): ShardResult | Promise<ShardResult> {
  const book = (i >>> 2) % BOOKS;
  switch (i & 3) {
    case 0:
      return r.submit(book, Side.BUY, OrderType.LIMIT, 9_990 - (i & 7), 5, i & 15);
    case 1:
      return r.cancel(book, lastId);
    case 2:
      return r.submit(book, Side.SELL, OrderType.LIMIT, 10_010, 5, i & 15);
    default:
      return r.submit(book, Side.BUY, OrderType.MARKET, 0, 5, (i + 1) & 15);
  }
}

function pct(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export function benchLocalRouting(batches = 2_000): RoutingFigures {
  const router = new Router({ shardCount: 4, instruments });
  const shards = [0, 1, 2, 3].map((i) => new LocalShard(new MatchingEngine(instruments), { index: i }));
  const or = new OrderRouter(router, shards);
  const B = 1_000;
  const per = new Float64Array(batches);
  let lastId = 0;
  let i = 0;
  let total = 0;
  for (let b = -200; b < batches; b++) {
    const t0 = performance.now();
    for (let k = 0; k < B; k++, i++) lastId = (step(or, i, lastId) as ShardResult).result;
    const dt = performance.now() - t0;
    if (b >= 0) {
      per[b] = (dt * 1e6) / B;
      total += dt;
    }
  }
  per.sort();
  return {
    p50_ns: pct(per, 0.5),
    p99_ns: pct(per, 0.99),
    opsPerSec: Math.round((batches * B) / (total / 1e3)),
  };
}

export async function benchWorkerRouting(opts: OrderRoutingOptions = {}) {
  const samples = opts.samples ?? 50_000;
  const warmup = opts.warmup ?? 10_000;
  const shard = await WorkerShard.start({
    spinMicros: opts.spinMicros,
    workerSpinMicros: opts.workerSpinMicros,
  });
  const or = new OrderRouter(new Router({ shardCount: 1, instruments }), [shard]);
  try {
    const lat = new Float64Array(samples);
    let lastId = 0;
    let i = 0;
    for (; i < warmup; i++) lastId = (await step(or, i, lastId)).result;
    const start = process.hrtime.bigint();
    for (let s = 0; s < samples; s++, i++) {
      const t0 = process.hrtime.bigint();
      lastId = (await step(or, i, lastId)).result;
      lat[s] = Number(process.hrtime.bigint() - t0);
    }
    const elapsed = Number(process.hrtime.bigint() - start);
    lat.sort();
    const worker: RoutingFigures & { max_ns: number } = {
      p50_ns: pct(lat, 0.5),
      p99_ns: pct(lat, 0.99),
      opsPerSec: Math.round(samples / (elapsed / 1e9)),
      max_ns: lat[lat.length - 1],
    };
    // Throughput with many commands in flight (results still in order).
    const window: Promise<ShardResult>[] = [];
    const t0 = process.hrtime.bigint();
    const n = 100_000;
    for (let k = 0; k < n; k++, i++) {
      // Cancels in this mode target an id from an earlier window (may be NOT_FOUND: still a round trip).
      window.push(step(or, i, lastId) as Promise<ShardResult>);
      if (window.length === 256) for (const r of await Promise.all(window.splice(0))) lastId = r.result;
    }
    await Promise.all(window);
    const pipelinedOpsPerSec = Math.round(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    // Sparse traffic: ~1 ms between commands, so both threads have gone to sleep.
    const idleSamples = opts.idleSamples ?? 500;
    const idleLat = new Float64Array(idleSamples);
    for (let s = -50; s < idleSamples; s++, i++) {
      await new Promise((r) => setTimeout(r, 1));
      const t = process.hrtime.bigint();
      lastId = (await step(or, i, lastId)).result;
      if (s >= 0) idleLat[s] = Number(process.hrtime.bigint() - t);
    }
    idleLat.sort();
    const idle = { p50_ns: pct(idleLat, 0.5), p99_ns: pct(idleLat, 0.99), samples: idleSamples };
    return { worker, pipelinedOpsPerSec, idle };
  } finally {
    await shard.close();
  }
}

export async function benchOrderRouting(opts: OrderRoutingOptions = {}) {
  const local = benchLocalRouting(opts.localBatches);
  const { worker, pipelinedOpsPerSec, idle } = await benchWorkerRouting(opts);
  return { local, worker, workerPipelinedOpsPerSec: pipelinedOpsPerSec, workerIdle: idle };
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, {
    samples: { type: 'number', default: 50_000, help: 'timed round trips' },
    'spin-us': {
      type: 'number',
      help: "µs this thread busy-polls before sleeping (the rings' default when absent)",
    },
    'worker-spin-us': {
      type: 'number',
      help: "µs the shard busy-polls before sleeping (the rings' default when absent)",
    },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const res = await benchOrderRouting({
    samples: f.samples,
    spinMicros: f['spin-us'],
    workerSpinMicros: f['worker-spin-us'],
  });
  if (f.json) console.log(JSON.stringify(res, null, 2));
  else {
    const us = (ns: number) => `${(ns / 1000).toFixed(2)} us`;
    console.log(
      `order routing, local  : p50 ${res.local.p50_ns.toFixed(0)} ns, p99 ${res.local.p99_ns.toFixed(0)} ns, ${res.local.opsPerSec.toLocaleString()} ops/s`,
    );
    console.log(
      `order routing, worker : p50 ${us(res.worker.p50_ns)}, p99 ${us(res.worker.p99_ns)}, max ${us(res.worker.max_ns)}, ${res.worker.opsPerSec.toLocaleString()} round trips/s`,
    );
    console.log(`worker, 256 in flight : ${res.workerPipelinedOpsPerSec.toLocaleString()} ops/s`);
    console.log(
      `worker, after ~1 ms idle: p50 ${us(res.workerIdle.p50_ns)}, p99 ${us(res.workerIdle.p99_ns)}`,
    );
  }
}
