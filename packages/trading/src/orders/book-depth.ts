/** GET /book/:symbol's answer: the best `depth` levels of each side of one book, as decimals. */
import type { Instrument } from '@tickstorm/protocol';
import type { OrderBook } from '../book/order-book.ts';
import { Side } from '../domain/enums.ts';

export interface BookLevel {
  price: number;
  quantity: number;
  orders: number;
}

export interface BookDepth {
  symbol: string;
  bids: BookLevel[];
  asks: BookLevel[];
  last: number | null;
  timestamp: number;
}

/** Read on the event loop, between commands. */
export function bookDepth(inst: Instrument, book: OrderBook, depth: number): BookDepth {
  const prices = new Float64Array(depth);
  const qtys = new Float64Array(depth);
  const counts = new Int32Array(depth);
  const side = (s: number) => {
    const n = book.depth(s, depth, prices, qtys, counts);
    return Array.from({ length: n }, (_, i) => ({
      price: inst.price.fromSteps(prices[i]),
      quantity: inst.qty.fromSteps(qtys[i]),
      orders: counts[i],
    }));
  };
  return {
    symbol: inst.symbol,
    bids: side(Side.BUY),
    asks: side(Side.SELL),
    last: book.last === 0 ? null : inst.price.fromSteps(book.last),
    timestamp: Date.now() / 1000,
  };
}
