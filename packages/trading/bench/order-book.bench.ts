/**
 * Order book benchmark: a fixed, seeded 1,000,000-operation mix on one book after a
 * warm-up: ~30% resting limits (0..49 ticks behind the touch, so ~100 levels), ~30%
 * limits crossing 0..2 ticks through the touch, ~30% cancels (most hit live orders),
 * ~10% market orders; passive quantities 1..100 lots, aggressive 1..20. Cancels steer
 * the book towards ~4,000 live orders, so a few thousand stay live over ~100 levels.
 * Crossing limits that do not fill completely rest, like any limit.
 *
 * Throughput runs time the whole stream at once (no clock on the hot path) and count
 * garbage collections in that window. A separate latency run reads the clock once per
 * operation and subtracts the clock's own median cost; run it with a large young
 * generation (`tickstorm bench` does) so the clock's garbage causes no GC either.
 */
import { performance } from 'node:perf_hooks';
import { InstrumentTable } from '@tickstorm/protocol';
import { CancelResult } from '../src/book/engine-types.ts';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { NIL } from '../src/book/order-pool.ts';
import { OrderType, Side } from '../src/domain/enums.ts';
import { clockOverheadNs, GcCounter, isMain, median, NsHistogram, parseFlags, prng } from './bench-util.ts';

const MID = 10_000;
const LIVE_CAP = 1 << 17;
/** Live orders the cancel flow steers towards. */
const TARGET_LIVE = 4_000;

export interface BookStream {
  n: number;
  kind: Uint8Array;
  side: Uint8Array;
  off: Int32Array;
  qty: Float64Array;
  pick: Uint32Array;
}

export function makeBookStream(n: number, seed: number): BookStream {
  const rnd = prng(seed);
  const s: BookStream = {
    n,
    kind: new Uint8Array(n),
    side: new Uint8Array(n),
    off: new Int32Array(n),
    qty: new Float64Array(n),
    pick: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const kind = r < 0.3 ? 0 : r < 0.6 ? 1 : r < 0.9 ? 2 : 3;
    s.kind[i] = kind;
    s.side[i] = rnd() < 0.5 ? Side.BUY : Side.SELL;
    s.off[i] = kind === 0 ? Math.floor(rnd() * 50) : Math.floor(rnd() * 3);
    // Passive orders post 1..100 lots, aggressive ones take 1..20.
    s.qty[i] = 1 + Math.floor(rnd() * (kind === 0 ? 100 : 20));
    s.pick[i] = Math.floor(rnd() * 4294967296);
  }
  return s;
}

/** Replays a stream; with `hist`, reads the clock once per op and records (delta - overhead). */
export class BookDriver {
  readonly engine: MatchingEngine;
  private readonly live = new Float64Array(LIVE_CAP);
  private liveCount = 0;
  cancelsHit = 0;
  cancels = 0;

  constructor(instruments: InstrumentTable) {
    this.engine = new MatchingEngine(instruments, { initialCapacity: 1 << 16 });
  }

  run(s: BookStream, hist?: NsHistogram, overheadNs = 0): void {
    const e = this.engine;
    let prev = hist === undefined ? 0 : performance.now();
    for (let i = 0; i < s.n; i++) {
      const side = s.side[i];
      const kind = s.kind[i];
      if (kind === 2) {
        // Cancel a remembered id; ids found filled meanwhile are forgotten. Above the
        // target book size a cancel looks (up to 8 ids) for a live order; at or below it,
        // it takes the first id it draws, live or not (a cancel that lost a race to a fill).
        const tries = e.liveOrders > TARGET_LIVE ? 8 : 1;
        let id = 0;
        for (let t = 0; t < tries && this.liveCount > 0; t++) {
          const k = (s.pick[i] + t * 7919) % this.liveCount;
          id = this.live[k];
          this.live[k] = this.live[--this.liveCount];
          if (e.pool.slotOf(id) !== NIL) break;
        }
        if (id !== 0) {
          this.cancels++;
          if (e.cancel(id) === CancelResult.CANCELLED) this.cancelsHit++;
        }
      } else if (kind === 3) {
        e.submit(0, side, OrderType.MARKET, 0, s.qty[i], 0);
      } else {
        const bid = e.bestBid(0) || MID - 1;
        const ask = e.bestAsk(0) || MID + 1;
        let price: number;
        if (kind === 0) price = side === Side.BUY ? bid - s.off[i] : ask + s.off[i];
        else price = side === Side.BUY ? ask + s.off[i] : bid - s.off[i];
        const id = e.submit(0, side, OrderType.LIMIT, price, s.qty[i], 0);
        if (id > 0) {
          if (this.liveCount < LIVE_CAP) this.live[this.liveCount++] = id;
        }
      }
      if (hist !== undefined) {
        const t = performance.now();
        hist.record((t - prev) * 1e6 - overheadNs);
        prev = t;
      }
    }
  }
}

export interface BookBenchResult {
  ops: number;
  runs: number;
  opsPerSecRuns: number[];
  opsPerSec: number;
  p50_ns: number;
  p99_ns: number;
  max_ns: number;
  gcDuringTimedRuns: number;
  gcDuringLatencyRuns: number;
  liveOrdersAfter: number;
  levelsAfter: number;
  cancelHitRatio: number;
  clockOverheadNs: number;
}

export async function benchOrderBook(opts: { ops?: number; runs?: number; warmup?: number } = {}) {
  const ops = opts.ops ?? 1_000_000;
  const runs = opts.runs ?? 3;
  const warm = makeBookStream(opts.warmup ?? 200_000, 7);
  const stream = makeBookStream(ops, 42);
  const instruments = new InstrumentTable();
  const gc = new GcCounter();
  const rates: number[] = [];
  let gcTimed = 0;
  let last: BookDriver | undefined;
  for (let r = 0; r < runs; r++) {
    const d = new BookDriver(instruments);
    d.run(warm);
    const t0 = performance.now();
    d.run(stream);
    const t1 = performance.now();
    gcTimed += await gc.countBetween(t0, t1);
    rates.push(ops / ((t1 - t0) / 1000));
    last = d;
  }
  const overhead = clockOverheadNs();
  const p50s: number[] = [];
  const p99s: number[] = [];
  let max = 0;
  let gcLatency = 0;
  for (let r = 0; r < runs; r++) {
    const d = new BookDriver(instruments);
    d.run(warm);
    const h = new NsHistogram();
    const t0 = performance.now();
    d.run(stream, h, overhead);
    const t1 = performance.now();
    gcLatency += await gc.countBetween(t0, t1);
    p50s.push(h.percentile(50));
    p99s.push(h.percentile(99));
    max = Math.max(max, h.max);
  }
  gc.close();
  const snap = last!.engine.snapshot();
  const levels = snap.books.reduce((n, b) => n + b.bids.length + b.asks.length, 0);
  const result: BookBenchResult = {
    ops,
    runs,
    opsPerSecRuns: rates.map(Math.round),
    opsPerSec: Math.round(median(rates)),
    p50_ns: median(p50s),
    p99_ns: median(p99s),
    max_ns: Math.round(max),
    gcDuringTimedRuns: gcTimed,
    gcDuringLatencyRuns: gcLatency,
    liveOrdersAfter: last!.engine.liveOrders,
    levelsAfter: levels,
    cancelHitRatio: last!.cancels === 0 ? 0 : last!.cancelsHit / last!.cancels,
    clockOverheadNs: overhead,
  };
  return result;
}

/** Order creation: a pooled order, validated, then returned to the pool; timed in batches of 1,000. */
export function benchOrderCreation(opts: { batches?: number } = {}) {
  const batches = opts.batches ?? 2_000;
  const e = new MatchingEngine(new InstrumentTable());
  const per: number[] = [];
  const B = 1_000;
  for (let b = -200; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < B; i++) {
      const slot = e.createOrder(i % 55, i & 1, OrderType.LIMIT, 10_000 + (i & 63), 1 + (i & 127), i & 15);
      e.pool.release(slot);
    }
    const t1 = performance.now();
    if (b >= 0) per.push(((t1 - t0) * 1e6) / B);
  }
  per.sort((a, b) => a - b);
  const p50 = per[Math.floor(per.length * 0.5)];
  return { p50_ns: p50, p99_ns: per[Math.floor(per.length * 0.99)], opsPerSec: Math.round(1e9 / p50) };
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, { json: { type: 'boolean', help: 'print the results as JSON' } });
  const book = await benchOrderBook();
  const creation = benchOrderCreation();
  if (f.json) console.log(JSON.stringify({ book, creation }, null, 2));
  else console.log({ book, creation });
}
