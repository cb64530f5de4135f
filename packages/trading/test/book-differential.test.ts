/**
 * Differential tests: the optimised MatchingEngine against the simple ReferenceEngine
 * (test/support/reference-book.ts) on seeded random command streams and on fast-check
 * sequences. Both must report identical events (trades: book, maker, taker, price, qty;
 * every status change), results, best prices, and end with identical books.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import fc from 'fast-check';
import { OrderType, Side } from '../src/domain/enums.ts';
import { commandsArb, submitArgs } from './support/command-arbitraries.ts';
import { DifferentialDriver } from './support/differential-driver.ts';
import { Rng } from './support/rng.ts';

const instruments = new InstrumentTable([
  { symbol: 'A', tickSize: 0.01, lotSize: 1 },
  { symbol: 'B', tickSize: 0.01, lotSize: 1 },
  // A bounded book: far prices outside [50, 150] are refused by both engines.
  { symbol: 'C', tickSize: 0.01, lotSize: 1, minPrice: 50, maxPrice: 150 },
]);
const BOOKS = instruments.size;
const ACCOUNTS = 10;

interface StreamStats {
  refused: number;
  cancelled: number;
}

/** Cumulative probabilities of limit, market, stop, cancel, setLastPrice (the rest: invalid submits). */
type Profile = readonly [number, number, number, number, number];
/** Books that stay thin: lots of trading, cancels and stop triggers. */
const BALANCED: Profile = [0.47, 0.58, 0.68, 0.85, 0.97];
/** Books that grow deep: long FIFO queues and many (far) levels. */
const DEEP: Profile = [0.62, 0.67, 0.75, 0.83, 0.97];

/** One seeded random stream of `n` commands through both engines. */
function runStream(
  seed: number,
  n: number,
  ladderTicks: number | undefined,
  profile: Profile,
): DifferentialDriver {
  const rng = new Rng(seed);
  const window = ladderTicks ?? 16_384;
  const d = new DifferentialDriver(instruments, { ladderTicks, initialCapacity: 64 });
  const mids = Array.from({ length: BOOKS }, () => 10_000);
  const candidates: number[] = [];
  const stats: StreamStats = { refused: 0, cancelled: 0 };

  const price = (book: number): number => {
    const mid = mids[book];
    const r = rng.next();
    if (r < 0.8) return Math.max(1, Math.round(mid + rng.normal(12)));
    if (r < 0.93) return Math.max(1, Math.round(mid + rng.normal(window / 2)));
    return Math.max(1, mid + (rng.chance(0.5) ? 1 : -1) * rng.int(window >>> 1, window * 4));
  };
  const qty = (): number => {
    const r = rng.next();
    return r < 0.7 ? rng.int(1, 20) : r < 0.95 ? rng.int(20, 200) : rng.int(200, 5_000);
  };

  for (let i = 0; i < n; i++) {
    const book = rng.int(0, BOOKS - 1);
    if (rng.chance(0.02)) mids[book] = Math.max(2_000, mids[book] + rng.int(-20, 20));
    if (rng.chance(0.0005))
      mids[book] = Math.max(2_000, mids[book] + (rng.chance(0.5) ? 1 : -1) * rng.int(1_000, 20_000));
    const side = rng.chance(0.5) ? Side.BUY : Side.SELL;
    const account = rng.int(0, ACCOUNTS - 1);
    const r = rng.next();
    let id = 0;
    if (r < profile[0]) {
      // Mostly passive (buy below the mid, sell above), some aggressive or anywhere.
      let px = price(book);
      if (rng.chance(0.7))
        px = Math.max(1, mids[book] + (side === Side.BUY ? -1 : 1) * Math.abs(px - mids[book]));
      id = d.submit(book, side, OrderType.LIMIT, px, qty(), account);
    } else if (r < profile[1]) {
      id = d.submit(book, side, OrderType.MARKET, 0, qty(), account);
    } else if (r < profile[2]) {
      const trigger = rng.chance(0.9) ? Math.round(mids[book] + rng.normal(15)) : price(book);
      id = d.submit(book, side, OrderType.STOP, Math.max(1, trigger), qty(), account);
    } else if (r < profile[3]) {
      stats.cancelled += cancelSomething(d, rng, candidates) ? 1 : 0;
    } else if (r < profile[4]) {
      if (rng.chance(0.02)) {
        // Refused by both: a bad book or a price that is not a positive integer.
        const ok = rng.chance(0.5)
          ? d.setLastPrice(rng.pick([-1, BOOKS, 0.5, Number.NaN]), 10_000)
          : d.setLastPrice(book, rng.pick([0, -5, 0.5, Number.NaN, Infinity]));
        assert.equal(ok, false);
        stats.refused++;
      } else {
        d.setLastPrice(
          book,
          rng.chance(0.85) ? Math.max(1, Math.round(mids[book] + rng.normal(20))) : price(book),
        );
      }
    } else {
      id = submitInvalid(d, rng, book, side, account);
    }
    if (id > 0) candidates.push(id);
    else if (id < 0) stats.refused++;
    if (i % 5_000 === 4_999) d.checkSnapshots();
  }
  d.checkSnapshots();
  assert.ok(stats.refused > 0 && stats.cancelled > 0, `seed ${seed}: stream refused or cancelled nothing`);
  return d;
}

/** Cancels a (probably live) earlier order, a dead one, or a garbage id. Returns whether something was cancelled. */
function cancelSomething(d: DifferentialDriver, rng: Rng, candidates: number[]): boolean {
  const r = rng.next();
  if (r < 0.05 || candidates.length === 0) {
    // Never a live id: below the first generation, non-integers, or a generation never reached.
    const garbage = rng.pick([0, -1, 5, 16_777_215, 1.5, Number.NaN, 16_777_216 * 1_000_000 + 3, 2 ** 60]);
    return d.cancel(-1, garbage) === 0;
  }
  if (r < 0.2) return d.cancel(rng.int(1, d.engineIds.length)) === 0;
  // A recent candidate: swap-remove dead ones so live orders are hit most of the time.
  for (let tries = 0; tries < 4 && candidates.length > 0; tries++) {
    const k = rng.int(Math.max(0, candidates.length - 500), candidates.length - 1);
    const refId = candidates[k];
    const status = d.ref.orders[refId - 1].status;
    if (status === 1 || status === 2 || status === 6 || tries === 3) {
      return d.cancel(refId) === 0;
    }
    candidates[k] = candidates[candidates.length - 1];
    candidates.pop();
  }
  return d.cancel(rng.int(1, d.engineIds.length)) === 0;
}

function submitInvalid(d: DifferentialDriver, rng: Rng, book: number, side: number, account: number): number {
  switch (rng.int(0, 6)) {
    case 0:
      return d.submit(rng.pick([-1, BOOKS, 0.5, Number.NaN]), side, OrderType.LIMIT, 10_000, 1, account);
    case 1:
      return d.submit(book, rng.pick([2, -1, 0.5]), OrderType.LIMIT, 10_000, 1, account);
    case 2:
      return d.submit(book, side, rng.pick([3, -1, 1.5, Number.NaN]), 10_000, 1, account);
    case 3:
      return d.submit(
        book,
        side,
        OrderType.LIMIT,
        10_000,
        rng.pick([0, -3, 1.5, Number.NaN, 2 ** 53, Infinity]),
        account,
      );
    case 4:
      return d.submit(book, side, OrderType.MARKET, rng.pick([1, 10_000, -1, Number.NaN]), 1, account);
    case 5:
      return d.submit(
        book,
        side,
        OrderType.LIMIT,
        rng.pick([0, -5, 100.5, Number.NaN, Infinity, 2e15]),
        1,
        account,
      );
    default:
      return d.submit(book, side, OrderType.STOP, rng.pick([0, 0.25, Number.NaN]), 1, account);
  }
}

describe('MatchingEngine vs reference engine', () => {
  const N = 30_000;
  for (const [seed, ladderTicks, profile] of [
    [1, undefined, BALANCED],
    [2, undefined, BALANCED],
    [3, undefined, DEEP],
    [4, 1024, BALANCED],
    [5, 1024, BALANCED],
    [6, 1024, DEEP],
    [7, 1024, DEEP],
  ] as const) {
    const name = `seed ${seed}, ladderTicks ${ladderTicks ?? 'default'}, ${profile === DEEP ? 'deep' : 'balanced'} books`;
    it(`${name}: identical trades, events and books over ${N} commands`, () => {
      const d = runStream(seed, N, ladderTicks, profile);
      assert.equal(d.ops, N);
      if (process.env.DIFF_STATS)
        console.log(name, d.trades, d.farTrades, d.engineIds.length, d.ref.liveOrders, d.seen);
      assert.ok(d.trades > 5_000, `only ${d.trades} trades`);
      assert.ok(d.farTrades > 100, `only ${d.farTrades} trades at prices outside the ladder window`);
      for (const kind of [
        'status:6->1:0',
        'status:1->4:2',
        'status:1->4:1',
        'status:6->4:1',
        'status:2->3:0',
      ]) {
        assert.ok((d.seen.get(kind) ?? 0) > 0, `seed ${seed}: no ${kind} event`);
      }
    });
  }
});

describe('MatchingEngine vs reference engine, fast-check sequences', () => {
  it('agrees on every event, result and final book for arbitrary command sequences (shrinks to a minimal case)', () => {
    let commands = 0;
    fc.assert(
      fc.property(commandsArb(80), (cmds) => {
        const d = new DifferentialDriver(instruments, { ladderTicks: 1024, initialCapacity: 16 });
        for (const c of cmds) {
          const args = submitArgs(c);
          if (args !== null) d.submit(...args);
          else if (c.k === 'cancel')
            d.cancel(d.engineIds.length === 0 ? 1 : 1 + (c.pick % d.engineIds.length));
          else if (c.k === 'last') d.setLastPrice(c.book, c.price);
        }
        d.checkSnapshots();
        commands += d.ops;
      }),
      { numRuns: 400, seed: 20_240_601 },
    );
    assert.ok(commands > 10_000, `only ${commands} commands ran`);
  });
});
