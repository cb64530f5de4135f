/**
 * MarketState: last/bid/ask/volume/VWAP and 1s/1m OHLCV bars on a known sequence, ring
 * wrap-around, late ticks, exact decimals, and an allocation-free apply (measured).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { InstrumentTable, TickBatchWriter, ValidTick, validateTickFields } from '@tickstorm/protocol';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { MarketState } from '../src/market-data/market-state.ts';
import { type FrameSink, TickProcessor } from '../src/market-data/tick-processor.ts';
import { LatencyHistogram } from '../src/stats/latency-histogram.ts';
import { RateMeter } from '../src/stats/rate-meter.ts';
import { STEADY_ATTEMPTS, untilSteady } from './support/steady-probe.ts';

const instruments = new InstrumentTable();
const SYM0 = instruments.get('SYM0');

const scratch = new ValidTick();
function apply(
  s: MarketState,
  price: number,
  volume: number,
  ts: number,
  bid = Number.NaN,
  ask = Number.NaN,
): void {
  Object.assign(scratch, { price, volume, timestamp: ts, bid, ask });
  const p = validateTickFields(SYM0, scratch);
  if (p !== null) throw new Error(p.message);
  s.apply(scratch);
}

function newSpace(): number {
  return v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_used_size;
}

/** Young-generation GCs and new-space growth while `fn` runs (GCProfiler reports synchronously). */
function probe(fn: () => void): { scavenges: number; growth: number; allocated: number } {
  const profiler = new v8.GCProfiler();
  const before = newSpace();
  profiler.start();
  fn();
  const stats = profiler.stop();
  const scavenges = stats.statistics.filter((x) => /scavenge|minor/i.test(x.gcType)).length;
  // bytes allocated in the young generation: what it grew by, plus what each GC emptied from it
  const young = (h: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] }) =>
    h.heapSpaceStatistics.find((x) => x.spaceName === 'new_space')?.spaceUsedSize ?? 0;
  let emptied = 0;
  for (const g of stats.statistics) emptied += young(g.beforeGC) - young(g.afterGC);
  const growth = newSpace() - before;
  return { scavenges, growth, allocated: growth + emptied };
}

describe('MarketState', () => {
  it('answers VWAP as an exact decimal: no binary float noise', () => {
    const s = new MarketState(instruments);
    const b = SYM0.index;
    apply(s, 0.1, 1, 1000);
    apply(s, 0.2, 1, 1000);
    assert.equal(s.vwap(b), 0.15); // summed over decimals: 0.15000000000000002
    apply(s, 0.7, 3, 1000);
    assert.equal(s.vwap(b), 0.48); // 2.4 / 5; summed over decimals: 0.47999999999999987
    assert.equal(s.update(b, 1).vwap, 0.48);
    assert.equal(s.snapshot(SYM0).vwap, 0.48);
    apply(s, 1.1, 0.1, 1000);
    assert.equal(s.vwap(b), 0.492157); // 2.51 / 5.1, 4 digits below the tick as avgPrice
  });

  it("an update carries its frame's low and high (ticks) and which came first; endFrame starts afresh", () => {
    const s = new MarketState(instruments);
    const b = SYM0.index;
    for (const p of [100, 99, 101]) apply(s, p, 1, 1000);
    assert.deepEqual(
      [s.update(b, 1).lowTicks, s.update(b, 1).highTicks, s.update(b, 1).highFirst],
      [9_900, 10_100, false],
    );
    s.endFrame(b);
    for (const p of [102, 100.5]) apply(s, p, 1, 1000);
    const u = s.update(b, 1);
    assert.deepEqual([u.lastTicks, u.lowTicks, u.highTicks, u.highFirst], [10_050, 10_050, 10_200, true]);
  });

  it('answers fractional volumes summed without binary float noise (symbol, update, bars)', () => {
    const s = new MarketState(instruments);
    const b = SYM0.index;
    apply(s, 10, 0.1, 1000.5);
    apply(s, 10, 0.2, 1000.6);
    // 0.1 + 0.2 is 0.30000000000000004 as a double.
    assert.equal(s.snapshot(SYM0).volume, 0.3);
    assert.equal(s.update(b, 1).volume, 0.3);
    assert.equal(s.bars('SYM0', '1s', 1)[0].volume, 0.3);
    assert.equal(s.bars('SYM0', '1m', 1)[0].volume, 0.3);
  });

  it('computes last, volume, VWAP and 1s/1m bars on a known sequence', () => {
    const s = new MarketState(instruments);
    const seq: [number, number, number][] = [
      [100.0, 10, 1020.1],
      [101.0, 20, 1020.5],
      [99.0, 5, 1020.9],
      [102.0, 1, 1021.2],
      [103.5, 4, 1081.0],
    ];
    for (const [p, v, t] of seq) apply(s, p, v, t);
    const b = SYM0.index;
    assert.equal(s.lastPrice[b], 103.5);
    assert.equal(s.lastTicks[b], 10_350);
    assert.equal(s.volume[b], 40);
    assert.equal(s.tickCount[b], 5);
    const vwap = (100 * 10 + 101 * 20 + 99 * 5 + 102 * 1 + 103.5 * 4) / 40;
    assert.ok(Math.abs(s.vwap(b) - vwap) < 1e-12);
    assert.deepEqual(s.bars('SYM0', '1s', 10), [
      { time: 1020, open: 100, high: 101, low: 99, close: 99, volume: 35, ticks: 3 },
      { time: 1021, open: 102, high: 102, low: 102, close: 102, volume: 1, ticks: 1 },
      { time: 1081, open: 103.5, high: 103.5, low: 103.5, close: 103.5, volume: 4, ticks: 1 },
    ]);
    assert.deepEqual(s.bars('SYM0', '1m', 10), [
      { time: 1020, open: 100, high: 102, low: 99, close: 102, volume: 36, ticks: 4 },
      { time: 1080, open: 103.5, high: 103.5, low: 103.5, close: 103.5, volume: 4, ticks: 1 },
    ]);
    assert.deepEqual(
      s.bars('SYM0', '1s', 2).map((x) => x.time),
      [1021, 1081],
    );
    const snap = s.snapshot(SYM0);
    assert.equal(snap.last, 103.5);
    assert.equal(snap.bid, null);
    assert.equal(snap.lastTimestamp, 1081);
    assert.equal(s.snapshot(instruments.get('SYM1')).last, null);
  });

  it('keeps the last known bid/ask', () => {
    const s = new MarketState(instruments);
    apply(s, 10, 1, 1, 9.99, 10.01);
    apply(s, 10.01, 1, 2);
    const snap = s.snapshot(SYM0);
    assert.deepEqual([snap.bid, snap.ask, snap.last], [9.99, 10.01, 10.01]);
  });

  it('wraps the bar ring: the newest `capacity` bars, oldest first', () => {
    const s = new MarketState(instruments, { bars1sCapacity: 3 });
    for (let i = 0; i < 7; i++) apply(s, 1 + i, 1, 500 + i + 0.5);
    assert.deepEqual(
      s.bars('SYM0', '1s', 100).map((x) => [x.time, x.open]),
      [
        [504, 5],
        [505, 6],
        [506, 7],
      ],
    );
    assert.equal(s.bars('SYM0', '1m', 100).length, 1);
  });

  it('puts a late tick into its bar while held, else counts it as late', () => {
    const s = new MarketState(instruments, { bars1sCapacity: 4 });
    apply(s, 10, 1, 100.5);
    apply(s, 11, 1, 101.5);
    apply(s, 12, 1, 103.5);
    apply(s, 20, 2, 101.9); // late, bar 101 held: high and volume change, close does not
    const bars = s.bars('SYM0', '1s', 10);
    assert.deepEqual(bars[1], { time: 101, open: 11, high: 20, low: 11, close: 11, volume: 3, ticks: 2 });
    apply(s, 5, 1, 102.2); // late, no bar for 102: bars unchanged
    assert.equal(s.bars('SYM0', '1s', 10).length, 3);
    assert.equal(s.bars1s.lateTicks, 1);
    assert.equal(s.lastPrice[SYM0.index], 5);
    assert.equal(s.tickCount[SYM0.index], 5);
  });

  it('turns ticks into exact decimals (same as the decimal grid)', () => {
    const t = new InstrumentTable([
      { symbol: 'A', tickSize: 0.01, lotSize: 1 },
      { symbol: 'B', tickSize: 0.25, lotSize: 1 },
      { symbol: 'C', tickSize: 0.0001, lotSize: 1 },
    ]);
    const s = new MarketState(t);
    for (const inst of t.list) {
      for (let ticks = 1; ticks < 200_000; ticks += 7) {
        assert.equal(s.toDecimal(inst.index, ticks), inst.price.fromSteps(ticks));
      }
    }
  });

  it('validates and applies ticks without allocating', () => {
    const s = new MarketState(instruments);
    const prices = Float64Array.from({ length: 100 }, (_, k) => 100 + k * 0.1);
    const run = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        scratch.price = prices[i % 100];
        scratch.volume = 10 + (i & 7) * 0.5;
        scratch.timestamp = 1_732_280_000 + i / 1000;
        scratch.bid = Number.NaN;
        scratch.ask = 100.5;
        if (validateTickFields(instruments.list[i % 50], scratch) !== null) throw new Error('rejected');
        s.apply(scratch);
      }
    };
    run(0, 200_000);
    let from = 200_000;
    const { result: r, runs } = untilSteady(
      STEADY_ATTEMPTS,
      (x) => x.scavenges === 0,
      () => {
        from += 1_000_000;
        return probe(() => run(from - 1_000_000, from));
      },
    );
    assert.equal(r.scavenges, 0, 'no young-generation GC');
    assert.ok(r.growth < 256 * 1024, `new space grew by ${r.growth} bytes`);
    assert.equal(
      s.tickCount.reduce((a, b) => a + b, 0),
      200_000 + runs * 1_000_000,
    );
  });

  it('processes binary batches with per-frame allocations only', () => {
    const state = new MarketState(instruments);
    const bus = new InProcessBus();
    let updates = 0;
    bus.subscribe(Topic.MARKET_UPDATE, () => updates++);
    const lat = new LatencyHistogram();
    const p = new TickProcessor(instruments, state, bus, lat, new RateMeter(), 1 << 20);
    const sink: FrameSink = {
      onProblem: (e) => {
        throw new Error(e.message);
      },
      onSync: () => {},
    };
    const w = new TickBatchWriter();
    w.begin(['SYM0', 'SYM1', 'SYM2', 'SYM3']);
    for (let i = 0; i < 2000; i++) w.add(i & 3, 100 + (i % 100) * 0.1, 1 + (i & 7), 1_732_280_000 + i / 100);
    const frame = Buffer.from(w.finish());
    for (let f = 0; f < 200; f++) p.processBinary(frame, sink);
    // 1,000 frames x 2,000 ticks: one boxed double per tick would be ~24 MB (a double returned
    // by a call the optimiser did not inline is boxed: it happened in some runs before the
    // reader wrote a record straight into the tick). Counted in bytes, not scavenges, so the
    // young generation's size does not matter; per-frame allocations are under 1 KB.
    const { result: r, runs } = untilSteady(
      STEADY_ATTEMPTS,
      (x) => x.allocated < 1000 * 4096,
      () =>
        probe(() => {
          for (let f = 0; f < 1000; f++) p.processBinary(frame, sink);
        }),
    );
    assert.ok(
      r.allocated < 1000 * 4096,
      `${r.allocated} bytes allocated over 1,000 frames (${r.scavenges} scavenges)`,
    );
    const frames = 200 + runs * 1000;
    assert.equal(p.ticksProcessed, frames * 2000);
    assert.equal(updates, frames * 4);
    assert.equal(lat.count, frames);
  });
});
