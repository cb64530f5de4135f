/**
 * Stop orders: a buy stop fires when the last price >= trigger, a sell stop when <= trigger,
 * the last price coming from trades or from setLastPrice; a fired stop executes as a
 * market order; cascades are drained in a deterministic order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelResult } from '../src/book/engine-types.ts';
import { CancelReason, Side } from '../src/domain/enums.ts';
import { OrderStatus as S } from '../src/domain/order-status.ts';
import { Fixture } from './support/engine-fixture.ts';

const { BUY, SELL } = Side;
const NONE = CancelReason.NONE;

describe('stop orders', () => {
  it('a buy stop waits while last < trigger and fires on the trade that reaches it', () => {
    const f = new Fixture();
    const a101 = f.sell(101, 10);
    f.sell(102, 10);
    const stop = f.stop(BUY, 101, 5);
    assert.deepEqual(f.statusesOf(stop), [[S.NONE, S.PENDING, NONE, 0, 5]]);
    f.buy(100, 1);
    f.sell(100, 1); // trade at 100: 100 < 101, the stop stays pending
    assert.equal(f.engine.lastPrice(0), 100);
    assert.equal(f.statusesOf(stop).length, 1);
    f.clear();
    const m = f.market(BUY, 1); // trade at 101 fires the stop
    assert.deepEqual(f.trades(), [
      [a101, m, 101, 1],
      [a101, stop, 101, 5],
    ]);
    assert.deepEqual(f.statusesOf(stop), [
      [S.PENDING, S.NEW, NONE, 0, 5],
      [S.NEW, S.FILLED, NONE, 5, 0],
    ]);
    assert.deepEqual(f.levels(SELL), [
      [101, 4, 1],
      [102, 10, 1],
    ]);
  });

  it('a sell stop waits while last > trigger and fires on the trade that reaches it', () => {
    const f = new Fixture();
    const b99 = f.buy(99, 10);
    f.buy(98, 10);
    const stop = f.stop(SELL, 99, 4);
    f.buy(100, 1);
    f.sell(100, 1);
    assert.equal(f.statusesOf(stop).length, 1);
    f.clear();
    const m = f.market(SELL, 2);
    assert.deepEqual(f.trades(), [
      [b99, m, 99, 2],
      [b99, stop, 99, 4],
    ]);
    assert.deepEqual(f.levels(BUY), [
      [99, 4, 1],
      [98, 10, 1],
    ]);
  });

  it('fires from setLastPrice, inclusive at the trigger, and only on its own book', () => {
    const f = new Fixture();
    f.sell(110, 100);
    f.buy(90, 100);
    const buyStop = f.stop(BUY, 105, 3);
    const sellStop = f.stop(SELL, 95, 2);
    // firesStopAt answers what setLastPrice would do, changing nothing.
    assert.deepEqual(
      [104, 105, 96, 95].map((p) => f.engine.firesStopAt(0, p)),
      [false, true, false, true],
    );
    assert.equal(f.engine.firesStopAt(1, 105), false, 'another book');
    f.engine.setLastPrice(1, 200); // another book
    f.engine.setLastPrice(0, 104);
    f.engine.setLastPrice(0, 96);
    assert.equal(f.rec.trades().length, 0);
    f.clear();
    f.engine.setLastPrice(0, 105);
    assert.deepEqual(f.statusesOf(buyStop), [
      [S.PENDING, S.NEW, NONE, 0, 3],
      [S.NEW, S.FILLED, NONE, 3, 0],
    ]);
    assert.equal(f.engine.lastPrice(0), 110, 'the fired stop traded at the maker price');
    f.engine.setLastPrice(0, 95);
    assert.deepEqual(f.trades().slice(-1)[0].slice(1), [sellStop, 90, 2]);
    assert.equal(f.engine.liveOrders, 2);
  });

  it('fires at submission when the last price is already at or beyond the trigger', () => {
    const f = new Fixture();
    const ask = f.sell(101, 50);
    const bid = f.buy(99, 50);
    f.engine.setLastPrice(0, 100);
    f.clear();
    const b1 = f.stop(BUY, 99, 1); // last 100 >= 99
    f.engine.setLastPrice(0, 100);
    const b2 = f.stop(BUY, 100, 1); // last 100 >= 100: the boundary fires too
    f.engine.setLastPrice(0, 100);
    const s1 = f.stop(SELL, 101, 1); // last 100 <= 101
    f.engine.setLastPrice(0, 100);
    const s2 = f.stop(SELL, 100, 1);
    assert.deepEqual(f.statusesOf(b1), [
      [S.NONE, S.PENDING, NONE, 0, 1],
      [S.PENDING, S.NEW, NONE, 0, 1],
      [S.NEW, S.FILLED, NONE, 1, 0],
    ]);
    assert.deepEqual(f.trades(), [
      [ask, b1, 101, 1],
      [ask, b2, 101, 1],
      [bid, s1, 99, 1],
      [bid, s2, 99, 1],
    ]);
    // Last is now 99: a buy stop at 100 waits.
    const waiting = f.stop(BUY, 100, 1);
    assert.deepEqual(f.statusesOf(waiting), [[S.NONE, S.PENDING, NONE, 0, 1]]);
  });

  it('never fires while the last price is unknown', () => {
    const f = new Fixture();
    f.sell(101, 5);
    const stop = f.stop(BUY, 1, 5);
    assert.deepEqual(f.statusesOf(stop), [[S.NONE, S.PENDING, NONE, 0, 5]]);
    assert.equal(f.engine.snapshot().books[0].buyStops.length, 1);
  });

  it('cascades several levels deep in a deterministic order (lowest buy trigger first, ties by arrival)', () => {
    const f = new Fixture();
    const asks = [101, 102, 103, 104, 105].map((p) => f.sell(p, 5));
    f.engine.setLastPrice(0, 100);
    // Submitted out of trigger order; two share the trigger 102.
    const s103 = f.stop(BUY, 103, 5);
    const s102a = f.stop(BUY, 102, 3);
    const s101 = f.stop(BUY, 101, 5);
    const s102b = f.stop(BUY, 102, 2);
    const s999 = f.stop(BUY, 999, 1);
    assert.deepEqual(
      f.engine.snapshot().books[0].buyStops.map((s) => s.id),
      [s101, s102a, s102b, s103, s999],
    );
    f.clear();
    const m = f.market(BUY, 5);
    assert.deepEqual(f.trades(), [
      [asks[0], m, 101, 5], // last 101: s101 fires
      [asks[1], s101, 102, 5], // last 102: s102a then s102b fire
      [asks[2], s102a, 103, 3],
      [asks[2], s102b, 103, 2], // last 103: s103 fires
      [asks[3], s103, 104, 5],
    ]);
    const fired = f.statuses().filter((s) => s[1] === S.PENDING && s[2] === S.NEW);
    assert.deepEqual(
      fired.map((s) => s[0]),
      [s101, s102a, s102b, s103],
    );
    assert.equal(f.engine.lastPrice(0), 104);
    assert.deepEqual(f.levels(SELL), [[105, 5, 1]]);
    assert.deepEqual(
      f.engine.snapshot().books[0].buyStops.map((s) => s.id),
      [s999],
    );
  });

  it('cascades sell stops downwards, highest trigger first', () => {
    const f = new Fixture();
    const bids = [99, 98, 97, 96].map((p) => f.buy(p, 4));
    f.engine.setLastPrice(0, 100);
    const s97 = f.stop(SELL, 97, 4);
    const s99 = f.stop(SELL, 99, 4);
    const s98 = f.stop(SELL, 98, 4);
    f.clear();
    const m = f.market(SELL, 4);
    assert.deepEqual(f.trades(), [
      [bids[0], m, 99, 4],
      [bids[1], s99, 98, 4],
      [bids[2], s98, 97, 4],
      [bids[3], s97, 96, 4],
    ]);
    assert.equal(f.engine.bestBid(0), 0);
  });

  it('a fired buy stop trading below a sell trigger fires that sell stop too (mixed cascade)', () => {
    const f = new Fixture();
    const ask = f.sell(101, 1);
    const bid = f.buy(99, 1);
    const buyStop = f.stop(BUY, 150, 1);
    const sellStop = f.stop(SELL, 120, 1); // both pending: last unknown
    f.clear();
    f.engine.setLastPrice(0, 150); // buy stop fires, trades at 101, which fires the sell stop
    assert.deepEqual(f.trades(), [
      [ask, buyStop, 101, 1],
      [bid, sellStop, 99, 1],
    ]);
    assert.equal(f.engine.lastPrice(0), 99);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('when stops of both sides are triggered at once, buy stops fire before sell stops', () => {
    const f = new Fixture();
    // Either order would fire both (the first one's trade triggers the other), so the
    // trade order shows which fired first.
    f.sell(105, 10);
    f.buy(95, 10);
    const sell = f.stop(SELL, 110, 1);
    const buy = f.stop(BUY, 90, 1);
    f.clear();
    f.engine.setLastPrice(0, 100);
    assert.deepEqual(
      f.trades().map((t) => t[1]),
      [buy, sell],
    );
  });

  it('a fired stop with no liquidity is cancelled with reason no_liquidity; a partial one cancels the rest', () => {
    const f = new Fixture();
    const lonely = f.stop(BUY, 101, 7);
    f.engine.setLastPrice(0, 101);
    assert.deepEqual(f.statusesOf(lonely), [
      [S.NONE, S.PENDING, NONE, 0, 7],
      [S.PENDING, S.NEW, NONE, 0, 7],
      [S.NEW, S.CANCELLED, CancelReason.NO_LIQUIDITY, 0, 7],
    ]);
    const ask = f.sell(105, 3);
    const partial = f.stop(BUY, 101, 5); // last 101: fires at once, fills 3, cancels 2
    assert.deepEqual(f.statusesOf(partial), [
      [S.NONE, S.PENDING, NONE, 0, 5],
      [S.PENDING, S.NEW, NONE, 0, 5],
      [S.NEW, S.CANCELLED, CancelReason.NO_LIQUIDITY, 3, 2],
    ]);
    assert.deepEqual(f.trades(), [[ask, partial, 105, 3]]);
    assert.equal(f.engine.liveOrders, 0);
    assert.equal(f.engine.cancel(partial), CancelResult.NOT_FOUND);
  });

  it('a pending stop can be cancelled (and then never fires); a fired one cannot', () => {
    const f = new Fixture();
    f.sell(101, 10);
    const keep = f.stop(BUY, 101, 1);
    const gone = f.stop(BUY, 101, 2);
    const sellGone = f.stop(SELL, 50, 2);
    assert.equal(f.engine.cancel(gone), CancelResult.CANCELLED);
    assert.equal(f.engine.cancel(sellGone), CancelResult.CANCELLED);
    assert.deepEqual(f.statusesOf(gone).slice(-1), [[S.PENDING, S.CANCELLED, CancelReason.USER, 0, 2]]);
    assert.equal(f.engine.cancel(gone), CancelResult.NOT_FOUND);
    assert.deepEqual(
      f.engine.snapshot().books[0].buyStops.map((s) => s.id),
      [keep],
    );
    f.clear();
    f.engine.setLastPrice(0, 101);
    assert.deepEqual(
      f.trades().map((t) => t[1]),
      [keep],
    );
    assert.equal(f.engine.cancel(keep), CancelResult.NOT_FOUND);
    assert.equal(f.engine.liveOrders, 1);
  });

  it('cancelling one of many pending stops keeps the others in firing order', () => {
    const f = new Fixture();
    f.sell(1000, 10_000);
    const ids = [110, 104, 108, 101, 106, 103, 109, 102, 107, 105].map((t) => f.stop(BUY, t, 1));
    for (const k of [3, 0, 7]) assert.equal(f.engine.cancel(ids[k]), CancelResult.CANCELLED);
    f.clear();
    for (let p = 100; p <= 110; p++) f.engine.setLastPrice(0, p);
    const fired = f.statuses().filter((s) => s[1] === S.PENDING && s[2] === S.NEW);
    assert.deepEqual(
      fired.map((s) => s[0]),
      [ids[5], ids[1], ids[9], ids[4], ids[8], ids[2], ids[6]],
    );
  });
});
