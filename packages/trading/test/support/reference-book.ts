/**
 * A deliberately simple reference matching engine, for tests only: plain arrays of order
 * objects per side, sorted by price then arrival, linear scans everywhere. It implements
 * the same semantics as MatchingEngine (limit rests; market is IOC; a stop waits for
 * last >= trigger (buy) or last <= trigger (sell), checked after each whole order and after
 * setLastPrice, then executes as a market order; triggered buy stops fire before sell
 * stops, lowest buy trigger / highest sell trigger first, ties by arrival) and reports the
 * same events in the same order. Its ids are 1, 2, 3... in order of accepted submissions.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import {
  CancelResult,
  type EngineListener,
  NOOP_LISTENER,
  SubmitError,
} from '../../src/book/engine-types.ts';
import type { BookSnapshot, EngineSnapshot, SnapshotLevel } from '../../src/book/snapshot.ts';
import { CancelReason, OrderType, Side } from '../../src/domain/enums.ts';
import { OrderStatus } from '../../src/domain/order-status.ts';

export interface RefOrder {
  id: number;
  book: number;
  side: number;
  type: number;
  price: number;
  qty: number;
  remaining: number;
  filledNotional: number;
  account: number;
  status: number;
}

interface RefBook {
  /** Best first: price descending, then arrival. */
  bids: RefOrder[];
  /** Best first: price ascending, then arrival. */
  asks: RefOrder[];
  /** Pending stops in arrival order. */
  stops: RefOrder[];
  last: number;
}

export class ReferenceEngine {
  readonly orders: RefOrder[] = [];
  private readonly books: RefBook[];
  private readonly minPrice: number[];
  private readonly maxPrice: number[];

  constructor(
    instruments: InstrumentTable,
    private readonly listener: EngineListener = NOOP_LISTENER,
  ) {
    this.books = instruments.list.map(() => ({ bids: [], asks: [], stops: [], last: 0 }));
    this.minPrice = instruments.list.map((i) => i.minPriceTicks);
    this.maxPrice = instruments.list.map((i) => i.maxPriceTicks);
  }

  submit(book: number, side: number, type: number, price: number, qty: number, account: number): number {
    if (!Number.isInteger(book) || book < 0 || book >= this.books.length) return SubmitError.BAD_BOOK;
    if (![Side.BUY, Side.SELL].includes(side as Side)) return SubmitError.BAD_SIDE_OR_TYPE;
    if (![OrderType.LIMIT, OrderType.MARKET, OrderType.STOP].includes(type as OrderType)) {
      return SubmitError.BAD_SIDE_OR_TYPE;
    }
    if (!Number.isSafeInteger(qty) || qty <= 0) return SubmitError.BAD_QTY;
    if (type === OrderType.MARKET ? price !== 0 : !this.priceOk(book, price)) return SubmitError.BAD_PRICE;
    const o: RefOrder = {
      id: this.orders.length + 1,
      book,
      side,
      type,
      price,
      qty,
      remaining: qty,
      filledNotional: 0,
      account,
      status: OrderStatus.NONE,
    };
    this.orders.push(o);
    const b = this.books[book];
    if (type === OrderType.STOP) {
      this.setStatus(o, OrderStatus.PENDING, CancelReason.NONE);
      b.stops.push(o);
    } else {
      this.setStatus(o, OrderStatus.NEW, CancelReason.NONE);
      this.execute(b, o);
    }
    this.fireStops(b);
    return o.id;
  }

  cancel(id: number): number {
    const o = this.orders[id - 1];
    if (o === undefined) return CancelResult.NOT_FOUND;
    const b = this.books[o.book];
    const list =
      o.status === OrderStatus.PENDING
        ? b.stops
        : o.status === OrderStatus.NEW || o.status === OrderStatus.PARTIALLY_FILLED
          ? o.side === Side.BUY
            ? b.bids
            : b.asks
          : null;
    const at = list === null ? -1 : list.indexOf(o);
    if (list === null || at < 0) return CancelResult.NOT_FOUND;
    list.splice(at, 1);
    this.setStatus(o, OrderStatus.CANCELLED, CancelReason.USER);
    return CancelResult.CANCELLED;
  }

  /** Ignored (false) unless the book exists and the price is a positive integer. */
  setLastPrice(book: number, price: number): boolean {
    if (!Number.isInteger(book) || book < 0 || book >= this.books.length) return false;
    if (!Number.isSafeInteger(price) || price <= 0) return false;
    const b = this.books[book];
    b.last = price;
    this.fireStops(b);
    return true;
  }

  bestBid(book: number): number {
    return this.books[book].bids[0]?.price ?? 0;
  }

  bestAsk(book: number): number {
    return this.books[book].asks[0]?.price ?? 0;
  }

  lastPrice(book: number): number {
    return this.books[book].last;
  }

  get liveOrders(): number {
    let n = 0;
    for (const b of this.books) n += b.bids.length + b.asks.length + b.stops.length;
    return n;
  }

  /** Same shape and inclusion rule as MatchingEngine.snapshot(), with reference ids. */
  snapshot(): EngineSnapshot {
    const books: BookSnapshot[] = [];
    this.books.forEach((b, index) => {
      const stops = (side: number) =>
        b.stops
          .filter((o) => o.side === side)
          .sort((x, y) => (side === Side.BUY ? x.price - y.price : y.price - x.price) || x.id - y.id)
          .map((o) => ({ id: o.id, account: o.account, trigger: o.price, qty: o.qty }));
      const snap: BookSnapshot = {
        book: index,
        last: b.last,
        bids: levelsOf(b.bids),
        asks: levelsOf(b.asks),
        buyStops: stops(Side.BUY),
        sellStops: stops(Side.SELL),
      };
      if (b.last !== 0 || b.bids.length + b.asks.length + b.stops.length > 0) books.push(snap);
    });
    return { liveOrders: this.liveOrders, books };
  }

  private priceOk(book: number, price: number): boolean {
    return Number.isInteger(price) && price >= this.minPrice[book] && price <= this.maxPrice[book];
  }

  private execute(b: RefBook, t: RefOrder): void {
    const isBuy = t.side === Side.BUY;
    const opposite = isBuy ? b.asks : b.bids;
    while (t.remaining > 0 && opposite.length > 0) {
      const m = opposite[0];
      if (t.type === OrderType.LIMIT && (isBuy ? m.price > t.price : m.price < t.price)) break;
      const q = Math.min(m.remaining, t.remaining);
      m.remaining -= q;
      t.remaining -= q;
      m.filledNotional += q * m.price;
      t.filledNotional += q * m.price;
      b.last = m.price;
      this.listener.onTrade(t.book, m.id, t.id, m.price, q, t.side, m.account, t.account);
      if (m.remaining === 0) {
        opposite.shift();
        this.setStatus(m, OrderStatus.FILLED, CancelReason.NONE);
      } else {
        this.setStatus(m, OrderStatus.PARTIALLY_FILLED, CancelReason.NONE);
      }
    }
    if (t.remaining === 0) {
      this.setStatus(t, OrderStatus.FILLED, CancelReason.NONE);
    } else if (t.type === OrderType.LIMIT) {
      if (t.remaining < t.qty) this.setStatus(t, OrderStatus.PARTIALLY_FILLED, CancelReason.NONE);
      const side = isBuy ? b.bids : b.asks;
      let at = 0;
      while (at < side.length && (isBuy ? side[at].price >= t.price : side[at].price <= t.price)) at++;
      side.splice(at, 0, t);
    } else {
      this.setStatus(t, OrderStatus.CANCELLED, CancelReason.NO_LIQUIDITY);
    }
  }

  private fireStops(b: RefBook): void {
    for (;;) {
      if (b.last === 0) return;
      let pick: RefOrder | null = null;
      for (const o of b.stops) {
        if (o.side === Side.BUY && o.price <= b.last && (pick === null || o.price < pick.price)) pick = o;
      }
      if (pick === null) {
        for (const o of b.stops) {
          if (o.side === Side.SELL && o.price >= b.last && (pick === null || o.price > pick.price)) pick = o;
        }
      }
      if (pick === null) return;
      b.stops.splice(b.stops.indexOf(pick), 1);
      this.setStatus(pick, OrderStatus.NEW, CancelReason.NONE);
      this.execute(b, pick);
    }
  }

  private setStatus(o: RefOrder, status: number, reason: number): void {
    const prev = o.status;
    o.status = status;
    this.listener.onOrderStatus(
      o.id,
      o.book,
      o.side,
      o.account,
      prev,
      status,
      reason,
      o.qty - o.remaining,
      o.remaining,
      o.filledNotional,
    );
  }
}

function levelsOf(orders: readonly RefOrder[]): SnapshotLevel[] {
  const out: SnapshotLevel[] = [];
  for (const o of orders) {
    let level = out[out.length - 1];
    if (level === undefined || level.price !== o.price) {
      level = { price: o.price, qty: 0, count: 0, orders: [] };
      out.push(level);
    }
    level.qty += o.remaining;
    level.count++;
    level.orders.push({
      id: o.id,
      account: o.account,
      qty: o.qty,
      remaining: o.remaining,
      filledNotional: o.filledNotional,
    });
  }
  return out;
}
