/**
 * One symbol's book: price levels (FIFO per price), best bid and ask, last trade price,
 * and the pending stops. It only keeps the structure; matching (which needs the listener
 * and the status table) lives in MatchingEngine.
 */
import { Side } from '../domain/enums.ts';
import { NIL, type OrderPool } from './order-pool.ts';
import { PriceLevels } from './price-levels.ts';
import { StopHeap } from './stop-heap.ts';

export class OrderBook {
  /** Best bid in ticks, 0 when there is none. */
  bestBid = 0;
  /** Best ask in ticks, Infinity when there is none. */
  bestAsk = Number.POSITIVE_INFINITY;
  /** Last trade (or external) price in ticks, 0 when unknown. */
  last = 0;
  private levelsOrNull: PriceLevels | null = null;
  readonly buyStops: StopHeap;
  readonly sellStops: StopHeap;

  constructor(
    readonly index: number,
    private readonly pool: OrderPool,
    private readonly ladderTicks: number,
  ) {
    this.buyStops = new StopHeap(pool, 1);
    this.sellStops = new StopHeap(pool, -1);
  }

  /** The levels, allocated on the first resting order (most books of a big universe stay empty). */
  get levels(): PriceLevels {
    if (this.levelsOrNull === null) this.levelsOrNull = new PriceLevels(this.ladderTicks);
    return this.levelsOrNull;
  }

  /** Appends a slot at the tail of its price level and updates the best price. */
  rest(slot: number): void {
    const pool = this.pool;
    const lv = this.levels;
    const price = pool.price[slot];
    const level = lv.levelFor(price);
    const tail = lv.tail[level];
    pool.level[slot] = level;
    pool.next[slot] = NIL;
    pool.prev[slot] = tail;
    if (tail === NIL) {
      lv.head[level] = slot;
      lv.markNonEmpty(level);
    } else {
      pool.next[tail] = slot;
    }
    lv.tail[level] = slot;
    lv.qty[level] += pool.remaining[slot];
    lv.count[level]++;
    if (pool.side[slot] === Side.BUY) {
      if (price > this.bestBid) this.bestBid = price;
    } else if (price < this.bestAsk) this.bestAsk = price;
  }

  /** Removes a resting slot from its level in O(1) and updates the best price. */
  unlink(slot: number): void {
    const pool = this.pool;
    const lv = this.levels;
    const level = pool.level[slot];
    const prev = pool.prev[slot];
    const next = pool.next[slot];
    if (prev === NIL) lv.head[level] = next;
    else pool.next[prev] = next;
    if (next === NIL) lv.tail[level] = prev;
    else pool.prev[next] = prev;
    lv.qty[level] -= pool.remaining[slot];
    lv.count[level]--;
    pool.level[slot] = NIL;
    if (lv.head[level] === NIL) this.levelEmptied(level, pool.side[slot]);
  }

  /** Bookkeeping once a level has lost its last order. */
  levelEmptied(level: number, side: number): void {
    const lv = this.levels;
    const price = lv.priceOf(level);
    lv.markEmpty(level);
    if (side === Side.BUY) {
      if (price === this.bestBid) this.bestBid = lv.nextBelow(price);
    } else if (price === this.bestAsk) this.bestAsk = lv.nextAbove(price);
  }

  /**
   * Up to `n` levels of one side from the best outwards into the given arrays; returns
   * how many were written. Allocation-free.
   */
  depth(side: number, n: number, prices: Float64Array, qtys: Float64Array, counts?: Int32Array): number {
    if (this.levelsOrNull === null) return 0;
    const lv = this.levelsOrNull;
    let k = 0;
    let p = side === Side.BUY ? this.bestBid : this.bestAsk;
    while (k < n && p > 0 && p !== Number.POSITIVE_INFINITY) {
      const level = lv.levelAt(p);
      prices[k] = p;
      qtys[k] = lv.qty[level];
      if (counts !== undefined) counts[k] = lv.count[level];
      k++;
      p = side === Side.BUY ? lv.nextBelow(p) : lv.nextAbove(p);
    }
    return k;
  }

  /** FIFO slots of the level at `price` (allocates; for snapshots and tests). */
  ordersAt(price: number): number[] {
    const out: number[] = [];
    if (this.levelsOrNull === null) return out;
    for (let s = this.levelsOrNull.head[this.levelsOrNull.levelAt(price)]; s !== NIL; s = this.pool.next[s]) {
      out.push(s);
    }
    return out;
  }
}
