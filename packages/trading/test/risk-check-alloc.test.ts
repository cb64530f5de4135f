/**
 * RiskEngine.check allocates nothing. Measured, not assumed: over 2,000,000 warmed-up
 * checks (with reference prices moving, so the exposure re-valuation path runs too) the
 * young generation must see no scavenge and grow by less than 256 KB. One allocation of
 * even the smallest heap object (16 bytes) per call would be 32 MB: several scavenges.
 * A control that allocates one small object per call proves the probe can see that.
 * GCProfiler reports synchronously, so nothing here waits on timing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { InstrumentTable } from '@tickstorm/protocol';
import { OrderStatus } from '../src/domain/order-status.ts';
import { RiskCode } from '../src/risk/risk-codes.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';
import { STEADY_ATTEMPTS, untilSteady } from './support/steady-probe.ts';

const N = 2_000_000;

function newSpaceUsed(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_used_size ?? 0;
}

function probe(fn: (i: number) => number, n: number): { scavenges: number; growth: number; acc: number } {
  const profiler = new v8.GCProfiler();
  const before = newSpaceUsed();
  profiler.start();
  let acc = 0;
  for (let i = 0; i < n; i++) acc |= fn(i);
  const stats = profiler.stop();
  const growth = newSpaceUsed() - before;
  const scavenges = stats.statistics.filter((s) => /scavenge|minor/i.test(s.gcType)).length;
  return { scavenges, growth, acc };
}

function setup(): { engine: RiskEngine; accounts: number } {
  const instruments = new InstrumentTable();
  const engine = new RiskEngine(instruments, undefined, () => 0);
  const accounts = 16;
  for (let a = 1; a < accounts; a++) engine.accounts.intern(`acct-${a}`);
  for (let s = 0; s < instruments.size; s++) engine.setReferencePrice(s, 10_000);
  for (let a = 0; a < accounts; a++) {
    for (let j = 0; j < 4; j++) {
      const book = (a * 7 + j * 13) % instruments.size;
      engine.onOrderStatus(a * 4 + j, book, j & 1, a, OrderStatus.NONE, OrderStatus.NEW, 0, 0, 10 + j, 0);
    }
  }
  return { engine, accounts };
}

describe('RiskEngine.check allocation', () => {
  it('allocates nothing measurable over 2,000,000 checks', () => {
    const { engine, accounts } = setup();
    // One simulated millisecond per check: each account checks every 16 ms, well under the rate limit.
    const run = (i: number): number => {
      const book = i % 55;
      if ((i & 63) === 0) engine.setReferencePrice(book, 10_000 + (i & 15));
      const type = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;
      return engine.check(book, i & 1, type, 9_500 + (i % 1_000), 1 + (i % 100), i % accounts, i);
    };
    // Warm up (and prove the workload passes: every check must be OK, acc stays 0).
    assert.equal(probe(run, 300_000).acc, RiskCode.OK);
    let offset = 300_000;
    const { result: r } = untilSteady(
      STEADY_ATTEMPTS,
      (x) => x.scavenges === 0,
      () => {
        const at = offset;
        offset += N;
        return probe((i) => run(i + at), N);
      },
    );
    assert.equal(r.acc, RiskCode.OK, 'every check passed');
    assert.equal(r.scavenges, 0, 'no young-generation GC during the checks');
    assert.ok(r.growth < 256 * 1024, `new space grew by ${r.growth} bytes`);
  });

  it('control: the probe does see one small allocation per call', () => {
    let sink: { v: number } | undefined;
    const alloc = (i: number): number => {
      sink = { v: i };
      return sink.v & 0;
    };
    probe(alloc, 100_000);
    const r = probe(alloc, N);
    assert.ok(r.scavenges > 0 || r.growth > 8 * 1024 * 1024, `scavenges ${r.scavenges}, growth ${r.growth}`);
    assert.ok(sink);
  });
});
