/**
 * A deterministic, JSON-able dump of a matching engine's whole state: for every book its
 * last price, its levels best-first with their FIFO orders, and its pending stops in
 * firing order. Replaying the input log into a fresh engine must give an equal snapshot.
 * Allocates freely: for tests, replay checks and diagnostics, never the hot path.
 */
import { Side } from '../domain/enums.ts';
import type { MatchingEngine } from './matching-engine.ts';

export interface SnapshotOrder {
  id: number;
  account: number;
  qty: number;
  remaining: number;
  filledNotional: number;
}
export interface SnapshotLevel {
  price: number;
  qty: number;
  count: number;
  orders: SnapshotOrder[];
}
export interface SnapshotStop {
  id: number;
  account: number;
  trigger: number;
  qty: number;
}
export interface BookSnapshot {
  book: number;
  last: number;
  bids: SnapshotLevel[];
  asks: SnapshotLevel[];
  buyStops: SnapshotStop[];
  sellStops: SnapshotStop[];
}
export interface EngineSnapshot {
  liveOrders: number;
  books: BookSnapshot[];
}

export function snapshotEngine(engine: MatchingEngine): EngineSnapshot {
  const pool = engine.pool;
  const order = (s: number): SnapshotOrder => ({
    id: pool.idOf(s),
    account: pool.account[s],
    qty: pool.qty[s],
    remaining: pool.remaining[s],
    filledNotional: pool.filledNotional[s],
  });
  const stop = (s: number): SnapshotStop => ({
    id: pool.idOf(s),
    account: pool.account[s],
    trigger: pool.price[s],
    qty: pool.qty[s],
  });
  const books: BookSnapshot[] = [];
  for (const b of engine.books) {
    const side = (sd: number): SnapshotLevel[] => {
      const prices = new Float64Array(65_536);
      const qtys = new Float64Array(prices.length);
      const counts = new Int32Array(prices.length);
      const k = b.depth(sd, prices.length, prices, qtys, counts);
      const out: SnapshotLevel[] = [];
      for (let i = 0; i < k; i++) {
        out.push({
          price: prices[i],
          qty: qtys[i],
          count: counts[i],
          orders: b.ordersAt(prices[i]).map(order),
        });
      }
      return out;
    };
    const snap: BookSnapshot = {
      book: b.index,
      last: b.last,
      bids: side(Side.BUY),
      asks: side(Side.SELL),
      buyStops: b.buyStops.ordered().map(stop),
      sellStops: b.sellStops.ordered().map(stop),
    };
    if (
      snap.last !== 0 ||
      snap.bids.length + snap.asks.length + snap.buyStops.length + snap.sellStops.length > 0
    ) {
      books.push(snap);
    }
  }
  return { liveOrders: pool.live, books };
}
