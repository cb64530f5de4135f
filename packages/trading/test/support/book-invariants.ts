/**
 * Invariant checks of a MatchingEngine's books, made from outside the optimised
 * structures where possible: the levels walked through OrderBook.depth/ordersAt are
 * compared with a plain scan of the order pool. Plus an EngineListener that checks every
 * status event and keeps the quantity ledger (submitted = filled + cancelled + resting +
 * pending). Tests only; allocates freely.
 */
import assert from 'node:assert/strict';
import type { EngineListener } from '../../src/book/engine-types.ts';
import type { MatchingEngine } from '../../src/book/matching-engine.ts';
import { Side } from '../../src/domain/enums.ts';
import { canTransition, OrderStatus } from '../../src/domain/order-status.ts';

/** Follows the event stream: per order its quantity, arrival rank and last status; the totals. */
export class LedgerListener implements EngineListener {
  submitted = 0;
  filled = 0;
  cancelled = 0;
  trades = 0;
  readonly qtyOf = new Map<number, number>();
  readonly arrivalOf = new Map<number, number>();
  readonly statusOf = new Map<number, number>();

  onTrade(book: number, makerId: number, takerId: number, price: number, qty: number): void {
    assert.ok(qty > 0 && Number.isInteger(qty), `trade qty ${qty}`);
    assert.ok(price > 0 && Number.isInteger(price), `trade price ${price}`);
    assert.ok(makerId !== takerId, 'self trade of one order');
    assert.ok(
      this.statusOf.has(makerId) && this.statusOf.has(takerId),
      `trade on book ${book} of unknown ids`,
    );
    this.filled += 2 * qty;
    this.trades++;
  }

  onOrderStatus(
    id: number,
    _book: number,
    _side: number,
    _account: number,
    prev: number,
    status: number,
    reason: number,
    filled: number,
    remaining: number,
  ): void {
    assert.ok(canTransition(prev, status), `event ${prev} -> ${status} is not a legal transition`);
    if (prev === OrderStatus.NONE) {
      assert.ok(!this.qtyOf.has(id), `id ${id} reported new twice`);
      this.qtyOf.set(id, remaining);
      this.arrivalOf.set(id, this.arrivalOf.size);
      this.submitted += remaining;
    } else {
      assert.equal(this.statusOf.get(id), prev, `order ${id}: prevStatus does not match its last status`);
    }
    assert.equal(filled + remaining, this.qtyOf.get(id), `order ${id}: filled + remaining != qty`);
    if (status === OrderStatus.CANCELLED) {
      assert.ok(reason !== 0, 'a cancel without a reason');
      this.cancelled += remaining;
    } else {
      assert.equal(reason, 0, `status ${status} with a cancel reason`);
    }
    if (status === OrderStatus.FILLED) assert.equal(remaining, 0);
    this.statusOf.set(id, status);
  }
}

const prices = new Float64Array(1 << 16);
const qtys = new Float64Array(1 << 16);
const counts = new Int32Array(1 << 16);

/** Asserts every book invariant of `engine` (and the ledger's quantity conservation). */
export function checkInvariants(engine: MatchingEngine, ledger: LedgerListener): void {
  const pool = engine.pool;
  let resting = 0;
  let pending = 0;
  let live = 0;
  for (let s = 0; s < pool.capacity; s++) if (pool.status[s] !== 0) live++;
  assert.equal(engine.liveOrders, live, 'liveOrders differs from the pool scan');
  for (const book of engine.books) {
    const b = book.index;
    // The truth, from a plain scan of the pool.
    let maxBid = 0;
    let minAsk = 0;
    let restingHere = 0;
    for (let s = 0; s < pool.capacity; s++) {
      const st = pool.status[s];
      if (st === 0 || pool.book[s] !== b) continue;
      if (st === OrderStatus.PENDING) {
        pending += pool.remaining[s];
        const trigger = pool.price[s];
        if (book.last !== 0) {
          const fires = pool.side[s] === Side.BUY ? book.last >= trigger : book.last <= trigger;
          assert.ok(
            !fires,
            `book ${b}: stop ${pool.idOf(s)} (trigger ${trigger}) still pending at last ${book.last}`,
          );
        }
        continue;
      }
      assert.ok(
        st === OrderStatus.NEW || st === OrderStatus.PARTIALLY_FILLED,
        `live order with status ${st}`,
      );
      restingHere++;
      const px = pool.price[s];
      if (pool.side[s] === Side.BUY) maxBid = Math.max(maxBid, px);
      else minAsk = minAsk === 0 ? px : Math.min(minAsk, px);
    }
    assert.equal(engine.bestBid(b), maxBid, `book ${b}: bestBid is not the highest resting bid`);
    assert.equal(engine.bestAsk(b), minAsk, `book ${b}: bestAsk is not the lowest resting ask`);
    if (maxBid > 0 && minAsk > 0) assert.ok(maxBid < minAsk, `book ${b} crossed: ${maxBid} >= ${minAsk}`);
    // The levels, as the book's own structures present them.
    let walked = 0;
    for (const side of [Side.BUY, Side.SELL]) {
      const k = book.depth(side, prices.length, prices, qtys, counts);
      for (let i = 0; i < k; i++) {
        const price = prices[i];
        if (i === 0)
          assert.equal(price, side === Side.BUY ? maxBid : minAsk, `book ${b}: depth starts off the best`);
        else
          assert.ok(side === Side.BUY ? price < prices[i - 1] : price > prices[i - 1], 'levels out of order');
        const slots = book.ordersAt(price);
        assert.ok(slots.length > 0, `book ${b}: empty level ${price} listed`);
        assert.equal(counts[i], slots.length, `book ${b} level ${price}: count`);
        let sum = 0;
        let lastArrival = -1;
        for (const s of slots) {
          assert.equal(pool.side[s], side, `book ${b} level ${price}: order of the other side`);
          assert.equal(pool.price[s], price, `book ${b} level ${price}: order of another price`);
          assert.ok(pool.remaining[s] > 0, 'resting order with nothing left');
          const arrival = ledger.arrivalOf.get(pool.idOf(s)) ?? -1;
          assert.ok(arrival > lastArrival, `book ${b} level ${price}: FIFO order broken`);
          lastArrival = arrival;
          sum += pool.remaining[s];
        }
        assert.equal(qtys[i], sum, `book ${b} level ${price}: aggregated qty`);
        walked += slots.length;
        resting += sum;
      }
    }
    assert.equal(walked, restingHere, `book ${b}: levels hold ${walked} orders, the pool ${restingHere}`);
  }
  assert.equal(
    ledger.submitted,
    ledger.filled + ledger.cancelled + resting + pending,
    'quantity not conserved: submitted != filled + cancelled + resting + pending',
  );
}
