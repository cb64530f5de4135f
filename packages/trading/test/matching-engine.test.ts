/**
 * MatchingEngine unit tests: price-time priority, market sweeps, cancel by id (resting,
 * filled, stale after slot reuse, garbage), depth aggregation, refused submits, prices
 * beyond the ladder window, pool growth and id generations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelResult, ID_SLOTS, SubmitError } from '../src/book/engine-types.ts';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { OrderType, Side } from '../src/domain/enums.ts';
import { OrderStatus as S } from '../src/domain/order-status.ts';
import { Fixture, fixtureInstruments } from './support/engine-fixture.ts';

const { BUY, SELL } = Side;

describe('price-time priority and sweeps', () => {
  it('fills the best price first, and within a price the earliest order first', () => {
    const f = new Fixture();
    const a101 = f.sell(101, 5);
    const b100 = f.sell(100, 2);
    const c100 = f.sell(100, 4);
    f.sell(102, 1);
    const m = f.market(BUY, 3);
    assert.deepEqual(f.trades(), [
      [b100, m, 100, 2],
      [c100, m, 100, 1],
    ]);
    f.clear();
    const t = f.buy(101, 20);
    assert.deepEqual(f.trades(), [
      [c100, t, 100, 3],
      [a101, t, 101, 5],
    ]);
    assert.equal(f.engine.bestBid(0), 101, 'the remainder rests at its limit');
    assert.equal(f.engine.bestAsk(0), 102);
    assert.deepEqual(f.levels(BUY), [[101, 12, 1]]);
  });

  it('trades at the resting (maker) price, not the taker limit', () => {
    const f = new Fixture();
    const ask = f.sell(100, 1);
    const bid = f.buy(90, 1);
    const t1 = f.buy(105, 1);
    const t2 = f.sell(80, 1);
    assert.deepEqual(f.trades(), [
      [ask, t1, 100, 1],
      [bid, t2, 90, 1],
    ]);
  });

  it('a market order sweeps several levels, then cancels what is left (IOC)', () => {
    const f = new Fixture();
    const a = f.sell(100, 2);
    const b = f.sell(101, 1);
    const c = f.sell(101, 2);
    const d = f.sell(103, 5);
    const m = f.market(BUY, 8);
    assert.deepEqual(f.trades(), [
      [a, m, 100, 2],
      [b, m, 101, 1],
      [c, m, 101, 2],
      [d, m, 103, 3],
    ]);
    assert.deepEqual(f.statusesOf(m).at(-1), [S.NEW, S.FILLED, 0, 8, 0]);
    assert.equal(f.rec.statuses().at(-1)?.notional, 200 + 303 + 309);
    assert.deepEqual(f.levels(SELL), [[103, 2, 1]]);
    assert.equal(f.engine.lastPrice(0), 103);
    f.clear();
    const big = f.market(BUY, 10);
    assert.deepEqual(f.trades(), [[d, big, 103, 2]]);
    assert.deepEqual(f.statusesOf(big).at(-1), [S.NEW, S.CANCELLED, 2, 2, 8]);
    assert.equal(f.engine.bestAsk(0), 0);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('a limit order never trades through its limit', () => {
    const f = new Fixture();
    f.sell(100, 1);
    f.sell(102, 1);
    const t = f.buy(101, 5);
    assert.equal(f.rec.trades().length, 1);
    assert.deepEqual(f.statusesOf(t).at(-1), [S.NEW, S.PARTIALLY_FILLED, 0, 1, 4]);
    assert.equal(f.engine.bestBid(0), 101);
    assert.equal(f.engine.bestAsk(0), 102);
  });
});

describe('cancel by id', () => {
  it('cancels a resting order anywhere in its FIFO level and updates the level and best price', () => {
    const f = new Fixture();
    const ids = [1, 2, 3, 4, 5].map((q) => f.buy(100, q));
    const lower = f.buy(99, 7);
    assert.equal(f.engine.cancel(ids[2]), CancelResult.CANCELLED); // middle
    assert.equal(f.engine.cancel(ids[0]), CancelResult.CANCELLED); // head
    assert.equal(f.engine.cancel(ids[4]), CancelResult.CANCELLED); // tail
    const snap = f.engine.snapshot().books[0];
    assert.deepEqual(
      snap.bids[0].orders.map((o) => o.id),
      [ids[1], ids[3]],
    );
    assert.deepEqual(f.levels(BUY), [
      [100, 6, 2],
      [99, 7, 1],
    ]);
    f.engine.cancel(ids[1]);
    f.engine.cancel(ids[3]);
    assert.equal(f.engine.bestBid(0), 99, 'the best bid moves down when its level empties');
    f.engine.cancel(lower);
    assert.equal(f.engine.bestBid(0), 0);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('a filled, cancelled or finished market order is NOT_FOUND', () => {
    const f = new Fixture();
    const maker = f.sell(100, 1);
    const taker = f.buy(100, 1);
    const market = f.market(BUY, 1);
    const resting = f.buy(90, 1);
    assert.equal(f.engine.cancel(maker), CancelResult.NOT_FOUND);
    assert.equal(f.engine.cancel(taker), CancelResult.NOT_FOUND);
    assert.equal(f.engine.cancel(market), CancelResult.NOT_FOUND);
    assert.equal(f.engine.cancel(resting), CancelResult.CANCELLED);
    assert.equal(f.engine.cancel(resting), CancelResult.NOT_FOUND);
  });

  it('a stale id is NOT_FOUND after its slot is reused, and does not touch the new order', () => {
    const f = new Fixture();
    const old = f.buy(100, 1);
    assert.equal(f.engine.cancel(old), CancelResult.CANCELLED);
    const reuse = f.buy(100, 2);
    assert.equal(reuse % ID_SLOTS, old % ID_SLOTS, 'the freed slot is reused');
    assert.notEqual(reuse, old);
    assert.equal(f.engine.cancel(old), CancelResult.NOT_FOUND);
    assert.deepEqual(f.levels(BUY), [[100, 2, 1]]);
    // Also after a fill released the slots (of the maker and of the taker).
    const ask = f.sell(100, 2);
    const again = [f.sell(101, 1), f.sell(102, 1)];
    assert.ok(again.some((id) => id % ID_SLOTS === reuse % ID_SLOTS));
    assert.ok(again.some((id) => id % ID_SLOTS === ask % ID_SLOTS));
    assert.equal(f.engine.cancel(reuse), CancelResult.NOT_FOUND);
    assert.equal(f.engine.cancel(ask), CancelResult.NOT_FOUND);
    for (const id of again) assert.equal(f.engine.cancel(id), CancelResult.CANCELLED);
  });

  it('garbage ids are NOT_FOUND', () => {
    const f = new Fixture();
    const live = f.buy(100, 1);
    for (const id of [0, -1, 1, live - ID_SLOTS, live + 0.5, Number.NaN, Infinity, ID_SLOTS - 1, 2 ** 60]) {
      assert.equal(f.engine.cancel(id), CancelResult.NOT_FOUND, String(id));
    }
    assert.equal(
      f.engine.cancel(ID_SLOTS + ID_SLOTS - 1),
      CancelResult.NOT_FOUND,
      'a slot beyond the capacity',
    );
    assert.equal(f.engine.liveOrders, 1);
  });
});

describe('depth', () => {
  it('aggregates quantity and order count per level, best first, up to n levels', () => {
    const f = new Fixture();
    f.buy(99, 1);
    f.buy(99, 2);
    f.buy(99, 3);
    f.buy(98, 5);
    f.buy(90, 1);
    f.sell(101, 4);
    f.sell(101, 6);
    f.sell(105, 1);
    const book = f.engine.books[0];
    const prices = new Float64Array(8);
    const qtys = new Float64Array(8);
    const counts = new Int32Array(8);
    assert.equal(book.depth(BUY, 8, prices, qtys, counts), 3);
    assert.deepEqual([...prices.subarray(0, 3)], [99, 98, 90]);
    assert.deepEqual([...qtys.subarray(0, 3)], [6, 5, 1]);
    assert.deepEqual([...counts.subarray(0, 3)], [3, 1, 1]);
    assert.equal(book.depth(SELL, 1, prices, qtys), 1, 'n caps the levels; counts are optional');
    assert.deepEqual([prices[0], qtys[0]], [101, 10]);
    assert.equal(f.engine.books[1].depth(BUY, 8, prices, qtys), 0, 'a book that never had an order');
  });
});

describe('refused submits', () => {
  const cases: [string, number, number, number, number, number, number][] = [
    ['book -1', -1, BUY, OrderType.LIMIT, 100, 1, SubmitError.BAD_BOOK],
    ['book past the end', 2, BUY, OrderType.LIMIT, 100, 1, SubmitError.BAD_BOOK],
    ['book 0.5', 0.5, BUY, OrderType.LIMIT, 100, 1, SubmitError.BAD_BOOK],
    ['book NaN', Number.NaN, BUY, OrderType.LIMIT, 100, 1, SubmitError.BAD_BOOK],
    ['side 2', 0, 2, OrderType.LIMIT, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['side -1', 0, -1, OrderType.LIMIT, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['side 0.5', 0, 0.5, OrderType.LIMIT, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['type 3', 0, BUY, 3, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['type -1', 0, BUY, -1, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['type 1.5', 0, BUY, 1.5, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['type NaN', 0, BUY, Number.NaN, 100, 1, SubmitError.BAD_SIDE_OR_TYPE],
    ['qty 0', 0, BUY, OrderType.LIMIT, 100, 0, SubmitError.BAD_QTY],
    ['qty -1', 0, BUY, OrderType.LIMIT, 100, -1, SubmitError.BAD_QTY],
    ['qty 1.5', 0, BUY, OrderType.LIMIT, 100, 1.5, SubmitError.BAD_QTY],
    ['qty NaN', 0, BUY, OrderType.LIMIT, 100, Number.NaN, SubmitError.BAD_QTY],
    ['qty Infinity', 0, BUY, OrderType.LIMIT, 100, Infinity, SubmitError.BAD_QTY],
    ['qty 2^53', 0, BUY, OrderType.LIMIT, 100, 2 ** 53, SubmitError.BAD_QTY],
    ['limit price 0', 0, BUY, OrderType.LIMIT, 0, 1, SubmitError.BAD_PRICE],
    ['limit price -1', 0, BUY, OrderType.LIMIT, -1, 1, SubmitError.BAD_PRICE],
    ['limit price 100.5', 0, BUY, OrderType.LIMIT, 100.5, 1, SubmitError.BAD_PRICE],
    ['limit price NaN', 0, BUY, OrderType.LIMIT, Number.NaN, 1, SubmitError.BAD_PRICE],
    ['limit price Infinity', 0, BUY, OrderType.LIMIT, Infinity, 1, SubmitError.BAD_PRICE],
    ['limit price above the grid', 0, BUY, OrderType.LIMIT, 1e15, 1, SubmitError.BAD_PRICE],
    ['market with a price', 0, BUY, OrderType.MARKET, 100, 1, SubmitError.BAD_PRICE],
    ['market price NaN', 0, BUY, OrderType.MARKET, Number.NaN, 1, SubmitError.BAD_PRICE],
    ['stop trigger 0', 0, SELL, OrderType.STOP, 0, 1, SubmitError.BAD_PRICE],
    ['below the instrument min', 1, BUY, OrderType.LIMIT, 49, 1, SubmitError.BAD_PRICE],
    ['above the instrument max', 1, SELL, OrderType.LIMIT, 100_001, 1, SubmitError.BAD_PRICE],
    ['stop above the instrument max', 1, BUY, OrderType.STOP, 100_001, 1, SubmitError.BAD_PRICE],
  ];
  for (const [what, book, side, type, price, qty, code] of cases) {
    it(`${what} -> ${code}, and nothing is created or reported`, () => {
      const f = new Fixture();
      assert.equal(f.engine.submit(book, side, type, price, qty, 0), code);
      assert.equal(f.engine.liveOrders, 0);
      assert.equal(f.rec.events.length, 0);
    });
  }

  it('accepts the edges of the instrument range and the largest safe quantity', () => {
    const f = new Fixture();
    assert.ok(f.buy(50, 1, 0, 1) > 0);
    assert.ok(f.sell(100_000, Number.MAX_SAFE_INTEGER, 0, 1) > 0);
    assert.ok(f.buy(999_999_999_999_999, 1) > 0, 'the largest price on a 0.01 grid');
    assert.equal(f.engine.liveOrders, 3);
  });
});

describe('prices beyond the ladder window (far levels)', () => {
  it('rest, order and match correctly on both sides of the window and across its edges', () => {
    const f = new Fixture();
    const first = f.sell(10_000, 1); // places the window around 10,000
    const lv = f.engine.books[0].levels;
    const lo = lv.base;
    const hi = lv.base + lv.ladderTicks; // first price past the window
    assert.ok(lo <= 10_000 && 10_000 < hi);
    const askPrices = [hi - 1, hi, hi + 1, 10_000_000, 123_456_789];
    const bidPrices = [lo, lo - 1, 1, 5_000];
    for (const p of askPrices) f.sell(p, 2);
    for (const p of bidPrices) f.buy(p, 3);
    assert.deepEqual(
      f.levels(SELL).map((l) => l[0]),
      [10_000, hi - 1, hi, hi + 1, 10_000_000, 123_456_789],
    );
    assert.deepEqual(
      f.levels(BUY).map((l) => l[0]),
      [5_000, lo, lo - 1, 1],
    );
    // Sweep the asks one level at a time: the best ask walks out of the ladder into far levels.
    f.engine.cancel(first);
    for (const p of askPrices) {
      assert.equal(f.engine.bestAsk(0), p);
      f.clear();
      f.market(BUY, 2);
      assert.deepEqual(
        f.trades().map((t) => t[2]),
        [p],
      );
    }
    assert.equal(f.engine.bestAsk(0), 0);
    for (const p of [5_000, lo, lo - 1, 1]) {
      assert.equal(f.engine.bestBid(0), p);
      f.market(SELL, 3);
    }
    assert.equal(f.engine.bestBid(0), 0);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('an aggressive far limit sweeps into the window and rests far; far levels are reused', () => {
    const f = new Fixture({ ladderTicks: 1024 });
    f.sell(1_000, 1);
    f.sell(1_001, 1);
    const far = 1_000_000;
    const t = f.buy(far, 5); // crosses both asks, rests 3 at a far price
    assert.deepEqual(
      f.trades().map((x) => x[2]),
      [1_000, 1_001],
    );
    assert.equal(f.engine.bestBid(0), far);
    assert.deepEqual(f.levels(BUY), [[far, 3, 1]]);
    f.engine.cancel(t);
    assert.equal(f.engine.bestBid(0), 0);
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 40 }, (_, k) => f.sell(far + k * 7, 1 + k));
      assert.equal(f.engine.bestAsk(0), far);
      assert.equal(f.levels(SELL).length, 40);
      for (const id of ids) assert.equal(f.engine.cancel(id), CancelResult.CANCELLED);
      assert.equal(f.engine.bestAsk(0), 0);
    }
  });

  it('a first order far below the default window start still works (window clamped at 1)', () => {
    const f = new Fixture();
    f.buy(5, 1);
    f.buy(20_000_000, 1);
    f.sell(30_000_000, 1);
    assert.equal(f.engine.books[0].levels.base, 1);
    assert.equal(f.engine.bestBid(0), 20_000_000);
    f.market(SELL, 2);
    assert.deepEqual(
      f.trades().map((t) => t[2]),
      [20_000_000, 5],
    );
  });
});

describe('pool growth and ids', () => {
  it('grows past initialCapacity with resting orders and pending stops intact', () => {
    const f = new Fixture({ initialCapacity: 16 });
    const resting: number[] = [];
    const stops: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      resting.push(i % 2 === 0 ? f.buy(1_000 - (i % 50), 1 + (i % 3)) : f.sell(1_100 + (i % 50), 1));
      if (i % 10 === 0) stops.push(f.stop(BUY, 2_000 + i, 1));
    }
    assert.ok(f.engine.pool.capacity >= 1_100);
    assert.equal(new Set([...resting, ...stops]).size, 1_100, 'ids are unique');
    assert.equal(f.engine.liveOrders, 1_100);
    const snap = f.engine.snapshot().books[0];
    assert.equal(snap.buyStops.length, 100);
    assert.deepEqual(
      snap.buyStops.map((s) => s.id),
      stops,
      'stops in trigger order',
    );
    for (const id of resting) assert.equal(f.engine.cancel(id), CancelResult.CANCELLED);
    // No asks left, so fired stops cannot move the last price: exactly the triggers <= 2,495 fire.
    f.clear();
    f.engine.setLastPrice(0, 2_000 + 495);
    const fired = f.statuses().filter((s) => s[1] === S.PENDING && s[2] === S.NEW);
    assert.deepEqual(
      fired.map((s) => s[0]),
      stops.slice(0, 50),
    );
    assert.deepEqual(
      f.engine.snapshot().books[0].buyStops.map((s) => s.id),
      stops.slice(50),
    );
    for (const id of stops.slice(50)) assert.equal(f.engine.cancel(id), CancelResult.CANCELLED);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('ids are generation * 2^24 + slot and stay safe integers when a generation wraps', () => {
    const f = new Fixture();
    const a = f.buy(100, 1);
    assert.equal(a, ID_SLOTS, 'the first order: slot 0, generation 1');
    const slot = 1;
    f.engine.pool.gen[slot] = 2 ** 29 - 2;
    const b = f.buy(99, 1); // takes slot 1 at the last generation below 2^29
    assert.equal(b, (2 ** 29 - 1) * ID_SLOTS + slot);
    assert.ok(Number.isSafeInteger(b));
    assert.equal(f.engine.cancel(b), CancelResult.CANCELLED);
    const c = f.buy(98, 1); // same slot: the generation wraps instead of leaving the safe range
    assert.ok(Number.isSafeInteger(c) && c > 0, `id ${c}`);
    assert.equal(c % ID_SLOTS, slot);
    assert.equal(f.engine.cancel(b), CancelResult.NOT_FOUND);
    assert.equal(f.engine.cancel(c), CancelResult.CANCELLED);
  });

  it('refuses a ladder width that is not a power of two >= 1024', () => {
    for (const w of [0, 512, 1000, 3000, Number.NaN]) {
      assert.throws(() => new MatchingEngine(fixtureInstruments, { ladderTicks: w }), RangeError, String(w));
    }
    assert.ok(new MatchingEngine(fixtureInstruments, { ladderTicks: 1024 }));
  });
});

describe('setLastPrice', () => {
  it('ignores a bad book or a price that is not a positive integer (no stop fires)', () => {
    const f = new Fixture();
    f.buy(50, 10);
    f.sell(150, 10);
    f.stop(SELL, 60, 1);
    f.stop(BUY, 140, 1);
    for (const p of [Number.NaN, -5, 0, 0.5, Infinity]) {
      assert.equal(f.engine.setLastPrice(0, p), false, String(p));
    }
    for (const b of [-1, 2, 0.5, Number.NaN]) assert.equal(f.engine.setLastPrice(b, 100), false);
    assert.equal(f.rec.trades().length, 0);
    assert.equal(f.engine.lastPrice(0), 0);
    assert.equal(f.engine.setLastPrice(0, 100), true);
    assert.equal(f.engine.lastPrice(0), 100);
    assert.equal(f.rec.trades().length, 0);
  });
});
