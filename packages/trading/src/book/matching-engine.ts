/**
 * The matching engine of one shard: price-time priority books for many symbols over one
 * order pool. Single-threaded and deterministic: the same commands in the same order give
 * the same ids, trades and state, which is what lets the sequenced input log rebuild it.
 *
 * Commands: submit (limit rests; market is IOC and never rests; stop waits for its
 * trigger, then executes as a market order), cancel (O(1)), setLastPrice (an external last
 * price, e.g. from market data, which may fire stops). Stops fired by a trade can fire
 * further stops: they are drained in a loop, never by recursion. The hot path allocates
 * nothing; everything it reports goes to the EngineListener as plain numbers.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import { CancelReason, OrderType, Side } from '../domain/enums.ts';
import { OrderStatus as S, transition } from '../domain/order-status.ts';
import { CancelResult, type EngineListener, NOOP_LISTENER, SubmitError } from './engine-types.ts';
import { OrderBook } from './order-book.ts';
import { NIL, OrderPool } from './order-pool.ts';
import { type EngineSnapshot, snapshotEngine } from './snapshot.ts';

export interface MatchingEngineOptions {
  listener?: EngineListener;
  /** Initial pool slots (grows by doubling). Default 65,536. */
  initialCapacity?: number;
  /** Generation never-used pool slots start from (ids above a previous run's; default 0). */
  genBase?: number;
  /** Width of each book's tick-indexed ladder, a power of two >= 1,024. Default 16,384. */
  ladderTicks?: number;
}

const MAX_QTY = Number.MAX_SAFE_INTEGER;
const INF = Number.POSITIVE_INFINITY;

export class MatchingEngine {
  listener: EngineListener;
  readonly pool: OrderPool;
  readonly books: OrderBook[];
  private readonly minTicks: Float64Array;
  private readonly maxTicks: Float64Array;
  private arrivals = 0;

  constructor(instruments: InstrumentTable, opts: MatchingEngineOptions = {}) {
    const ladderTicks = opts.ladderTicks ?? 16_384;
    if (!(ladderTicks >= 1024) || (ladderTicks & (ladderTicks - 1)) !== 0) {
      throw new RangeError(`ladderTicks must be a power of two >= 1024, got ${ladderTicks}`);
    }
    this.listener = opts.listener ?? NOOP_LISTENER;
    this.pool = new OrderPool(opts.initialCapacity ?? 1 << 16, opts.genBase ?? 0);
    this.books = instruments.list.map((_, i) => new OrderBook(i, this.pool, ladderTicks));
    this.minTicks = Float64Array.from(instruments.list, (i) => i.minPriceTicks);
    this.maxTicks = Float64Array.from(instruments.list, (i) => i.maxPriceTicks);
  }

  /**
   * Creates and processes an order. Returns its id (> 0), or a SubmitError (< 0) when the
   * arguments are refused (no order is created then).
   */
  submit(book: number, side: number, type: number, priceTicks: number, qty: number, account: number): number {
    const slot = this.createOrder(book, side, type, priceTicks, qty, account);
    if (slot < 0) return slot;
    const id = this.pool.idOf(slot);
    const b = this.books[book];
    if (type === OrderType.STOP) {
      this.setStatus(slot, S.PENDING, CancelReason.NONE);
      (side === Side.BUY ? b.buyStops : b.sellStops).push(slot);
    } else {
      this.setStatus(slot, S.NEW, CancelReason.NONE);
      this.execute(b, slot);
    }
    this.drainStops(b);
    return id;
  }

  /**
   * Pool slot for a validated order (the "order creation" step), or a SubmitError.
   * Exposed for the order-creation benchmark; `submit` is the way in.
   */
  createOrder(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
  ): number {
    if (!(book >= 0 && book < this.books.length) || (book | 0) !== book) return SubmitError.BAD_BOOK;
    if (
      (side !== Side.BUY && side !== Side.SELL) ||
      (type !== OrderType.LIMIT && type !== OrderType.MARKET && type !== OrderType.STOP)
    ) {
      return SubmitError.BAD_SIDE_OR_TYPE;
    }
    if (!(qty > 0 && qty <= MAX_QTY) || Math.floor(qty) !== qty) return SubmitError.BAD_QTY;
    if (type === OrderType.MARKET) {
      if (priceTicks !== 0) return SubmitError.BAD_PRICE;
    } else if (
      !(priceTicks >= this.minTicks[book] && priceTicks <= this.maxTicks[book]) ||
      Math.floor(priceTicks) !== priceTicks
    ) {
      return SubmitError.BAD_PRICE;
    }
    const slot = this.pool.acquire();
    if (slot === NIL) return SubmitError.CAPACITY;
    const p = this.pool;
    p.book[slot] = book;
    p.account[slot] = account;
    p.side[slot] = side;
    p.type[slot] = type;
    p.price[slot] = priceTicks;
    p.qty[slot] = qty;
    p.remaining[slot] = qty;
    p.filledNotional[slot] = 0;
    p.seq[slot] = ++this.arrivals;
    return slot;
  }

  /** Cancels a live order (resting or pending stop) by id; `reason` USER or HALTED. */
  cancel(orderId: number, reason: number = CancelReason.USER): number {
    const slot = this.pool.slotOf(orderId);
    if (slot === NIL) return CancelResult.NOT_FOUND;
    const status = this.pool.status[slot];
    const b = this.books[this.pool.book[slot]];
    if (status === S.PENDING) {
      (this.pool.side[slot] === Side.BUY ? b.buyStops : b.sellStops).remove(slot);
    } else if (this.pool.level[slot] !== NIL) {
      b.unlink(slot);
    } else {
      return CancelResult.NOT_FOUND;
    }
    // Only a kill switch's cancel says so; anything else (an old journal's 0) is the owner's.
    this.setStatus(
      slot,
      S.CANCELLED,
      reason === CancelReason.HALTED ? CancelReason.HALTED : CancelReason.USER,
    );
    this.pool.release(slot);
    return CancelResult.CANCELLED;
  }

  /**
   * An external last price (market data): updates the book's last price and fires stops.
   * Ignored (returns false) for a bad book or a price that is not a positive integer.
   */
  setLastPrice(book: number, priceTicks: number): boolean {
    if (!(book >= 0 && book < this.books.length) || (book | 0) !== book) return false;
    if (!(priceTicks > 0) || !Number.isSafeInteger(priceTicks)) return false;
    const b = this.books[book];
    b.last = priceTicks;
    this.drainStops(b);
    return true;
  }

  bestBid(book: number): number {
    return this.books[book].bestBid;
  }

  bestAsk(book: number): number {
    const a = this.books[book].bestAsk;
    return a === INF ? 0 : a;
  }

  lastPrice(book: number): number {
    return this.books[book].last;
  }

  /** Live orders (resting and pending stops). */
  get liveOrders(): number {
    return this.pool.live;
  }

  snapshot(): EngineSnapshot {
    return snapshotEngine(this);
  }

  /** Orders that have arrived so far (the stops' time priority counter); for state images. */
  get arrivalCount(): number {
    return this.arrivals;
  }

  /**
   * Puts a live order back into a restored engine (persistence/engine-image.ts): the slot's
   * fields and generation must already be set; `stop` pushes it on its stop heap, else it
   * joins the tail of its price level. Never used on the matching path.
   */
  restoreOrder(slot: number, stop: boolean): void {
    const p = this.pool;
    const b = this.books[p.book[slot]];
    if (stop) (p.side[slot] === Side.BUY ? b.buyStops : b.sellStops).push(slot);
    else b.rest(slot);
    p.live++;
  }

  /** Sets the arrival counter of a restored engine. */
  restoreArrivals(n: number): void {
    this.arrivals = n;
  }

  /** Matches a taker slot against the book, then rests, fills or cancels what is left. */
  private execute(b: OrderBook, t: number): void {
    const p = this.pool;
    const takerSide = p.side[t];
    const isBuy = takerSide === Side.BUY;
    const isLimit = p.type[t] === OrderType.LIMIT;
    const limit = isLimit ? p.price[t] : isBuy ? INF : 0;
    let rem = p.remaining[t];
    while (rem > 0) {
      const best = isBuy ? b.bestAsk : b.bestBid;
      if (isBuy ? best === INF || best > limit : best === 0 || best < limit) break;
      const lv = b.levels;
      const level = lv.levelAt(best);
      let m = lv.head[level];
      while (m !== NIL && rem > 0) {
        const mrem = p.remaining[m];
        const q = Math.min(mrem, rem);
        rem -= q;
        p.remaining[m] = mrem - q;
        p.remaining[t] = rem;
        p.filledNotional[m] += q * best;
        p.filledNotional[t] += q * best;
        lv.qty[level] -= q;
        b.last = best;
        this.listener.onTrade(b.index, p.idOf(m), p.idOf(t), best, q, takerSide, p.account[m], p.account[t]);
        const next = p.next[m];
        if (mrem === q) {
          lv.head[level] = next;
          if (next === NIL) lv.tail[level] = NIL;
          else p.prev[next] = NIL;
          lv.count[level]--;
          p.level[m] = NIL;
          this.setStatus(m, S.FILLED, CancelReason.NONE);
          p.release(m);
        } else {
          this.setStatus(m, S.PARTIALLY_FILLED, CancelReason.NONE);
        }
        m = next;
      }
      if (lv.head[level] === NIL) b.levelEmptied(level, isBuy ? Side.SELL : Side.BUY);
    }
    if (rem === 0) {
      this.setStatus(t, S.FILLED, CancelReason.NONE);
      p.release(t);
    } else if (isLimit) {
      if (rem !== p.qty[t]) this.setStatus(t, S.PARTIALLY_FILLED, CancelReason.NONE);
      b.rest(t);
    } else {
      this.setStatus(t, S.CANCELLED, CancelReason.NO_LIQUIDITY);
      p.release(t);
    }
  }

  /** Whether a last price of `priceTicks` on `book` would fire one of its pending stops now. */
  firesStopAt(book: number, priceTicks: number): boolean {
    const b = this.books[book];
    if (b === undefined) return false;
    const buy = b.buyStops.peek();
    if (buy !== NIL && this.pool.price[buy] <= priceTicks) return true;
    const sell = b.sellStops.peek();
    return sell !== NIL && this.pool.price[sell] >= priceTicks;
  }

  /** Fires every stop the book's last price triggers, including those fired by fired stops. */
  private drainStops(b: OrderBook): void {
    const p = this.pool;
    for (;;) {
      const last = b.last;
      if (last === 0) return;
      let s = b.buyStops.peek();
      if (s !== NIL && p.price[s] <= last) {
        b.buyStops.pop();
      } else {
        s = b.sellStops.peek();
        if (s === NIL || p.price[s] < last) return;
        b.sellStops.pop();
      }
      this.setStatus(s, S.NEW, CancelReason.NONE);
      this.execute(b, s);
    }
  }

  private setStatus(slot: number, status: number, reason: number): void {
    const p = this.pool;
    const prev = p.status[slot];
    p.status[slot] = transition(prev, status);
    const rem = p.remaining[slot];
    this.listener.onOrderStatus(
      p.idOf(slot),
      p.book[slot],
      p.side[slot],
      p.account[slot],
      prev,
      status,
      reason,
      p.qty[slot] - rem,
      rem,
      p.filledNotional[slot],
    );
  }
}
