/**
 * The price levels of one order book: a tick-indexed ladder (a window of `ladderTicks`
 * consecutive prices, placed around the first price seen) with a fallback for prices far
 * from that window. Each level is a FIFO of pool slots (head, tail), its aggregated
 * quantity and its order count, in struct-of-arrays storage. Level ids [0, W) are ladder
 * slots; ids from W up are far levels, found through a map and kept in a sorted array.
 *
 * Bids and asks share the storage: in an uncrossed book a price holds orders of one side
 * only, so every non-empty level below the best ask is a bid and every one above the best
 * bid is an ask. That is what lets `nextAbove` / `nextBelow` ignore sides.
 */
import { LevelBitset } from './level-bitset.ts';
import { NIL } from './order-pool.ts';

export class PriceLevels {
  readonly ladderTicks: number;
  /** Price of ladder slot 0; -1 until the first price is seen. */
  base = -1;
  head: Int32Array;
  tail: Int32Array;
  qty: Float64Array;
  count: Int32Array;
  private readonly bits: LevelBitset;
  private readonly farLevel = new Map<number, number>();
  private farPrice: Float64Array;
  private farSorted: Float64Array;
  private farCount = 0;
  private farFree: Int32Array;
  private farFreeTop = 0;
  private farCap = 0;

  constructor(ladderTicks: number) {
    this.ladderTicks = ladderTicks;
    this.bits = new LevelBitset(ladderTicks);
    this.head = new Int32Array(0);
    this.tail = new Int32Array(0);
    this.qty = new Float64Array(0);
    this.count = new Int32Array(0);
    this.farPrice = new Float64Array(0);
    this.farSorted = new Float64Array(0);
    this.farFree = new Int32Array(0);
    this.growFar(16);
  }

  /** The level id for `price`, creating a far level when needed. */
  levelFor(price: number): number {
    if (this.base < 0) this.base = Math.max(1, price - (this.ladderTicks >>> 1));
    const i = price - this.base;
    if (i >= 0 && i < this.ladderTicks) return i;
    const found = this.farLevel.get(price);
    if (found !== undefined) return found;
    if (this.farFreeTop === 0) this.growFar(this.farCap * 2);
    const id = this.farFree[--this.farFreeTop];
    this.farPrice[id - this.ladderTicks] = price;
    this.farLevel.set(price, id);
    return id;
  }

  /** The level id of a non-empty level at `price` (the caller knows one is there). */
  levelAt(price: number): number {
    const i = price - this.base;
    if (i >= 0 && i < this.ladderTicks) return i;
    return this.farLevel.get(price) as number;
  }

  priceOf(level: number): number {
    return level < this.ladderTicks ? this.base + level : this.farPrice[level - this.ladderTicks];
  }

  /** Called when a level receives its first order. */
  markNonEmpty(level: number): void {
    if (level < this.ladderTicks) {
      this.bits.set(level);
      return;
    }
    const price = this.farPrice[level - this.ladderTicks];
    const at = this.farSearch(price);
    this.farSorted.copyWithin(at + 1, at, this.farCount);
    this.farSorted[at] = price;
    this.farCount++;
  }

  /** Called when a level loses its last order. */
  markEmpty(level: number): void {
    this.head[level] = NIL;
    this.tail[level] = NIL;
    this.qty[level] = 0;
    this.count[level] = 0;
    if (level < this.ladderTicks) {
      this.bits.clear(level);
      return;
    }
    const price = this.farPrice[level - this.ladderTicks];
    const at = this.farSearch(price);
    this.farSorted.copyWithin(at, at + 1, this.farCount);
    this.farCount--;
    this.farLevel.delete(price);
    this.farFree[this.farFreeTop++] = level;
  }

  /** Lowest non-empty price strictly above `price`, or Infinity. */
  nextAbove(price: number): number {
    let best = Number.POSITIVE_INFINITY;
    if (this.base >= 0) {
      const i = this.bits.nextAtOrAbove(price - this.base + 1);
      if (i >= 0) best = this.base + i;
    }
    if (this.farCount > 0) {
      const at = this.farSearch(price + 1);
      if (at < this.farCount && this.farSorted[at] < best) best = this.farSorted[at];
    }
    return best;
  }

  /** Highest non-empty price strictly below `price`, or 0. */
  nextBelow(price: number): number {
    let best = 0;
    if (this.base >= 0) {
      const i = this.bits.nextAtOrBelow(price - this.base - 1);
      if (i >= 0) best = this.base + i;
    }
    if (this.farCount > 0) {
      const at = this.farSearch(price) - 1;
      if (at >= 0 && this.farSorted[at] > best) best = this.farSorted[at];
    }
    return best;
  }

  /** First index in the sorted far prices whose price is >= `price`. */
  private farSearch(price: number): number {
    let lo = 0;
    let hi = this.farCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.farSorted[mid] < price) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private growFar(cap: number): void {
    const total = this.ladderTicks + cap;
    const head = new Int32Array(total).fill(NIL);
    head.set(this.head);
    const tail = new Int32Array(total).fill(NIL);
    tail.set(this.tail);
    const qty = new Float64Array(total);
    qty.set(this.qty);
    const count = new Int32Array(total);
    count.set(this.count);
    const farPrice = new Float64Array(cap);
    farPrice.set(this.farPrice);
    const farSorted = new Float64Array(cap);
    farSorted.set(this.farSorted);
    const farFree = new Int32Array(cap);
    farFree.set(this.farFree.subarray(0, this.farFreeTop));
    for (let k = cap - 1; k >= this.farCap; k--) farFree[this.farFreeTop++] = this.ladderTicks + k;
    this.head = head;
    this.tail = tail;
    this.qty = qty;
    this.count = count;
    this.farPrice = farPrice;
    this.farSorted = farSorted;
    this.farFree = farFree;
    this.farCap = cap;
  }
}
