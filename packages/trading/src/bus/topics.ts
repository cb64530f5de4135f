/** Bus topics and their message types (see bus.ts for the delivery contract). */

export const Topic = {
  /** A symbol's market state changed (one message per symbol per processed ingest frame). */
  MARKET_UPDATE: 'md.update',
  /** A trade in a matching engine. */
  TRADE: 'orders.trade',
  /** An order reached a new status (accepted, filled, cancelled, rejected). */
  ORDER_STATUS: 'orders.status',
} as const;

/** The market state of one symbol after a frame; decimals as on the wire. */
export interface MarketUpdate {
  symbol: string;
  /** Instrument index (dense). */
  book: number;
  /** Last price (decimal), and the same in integer ticks for the engine and risk. */
  last: number;
  lastTicks: number;
  bid: number | null;
  ask: number | null;
  volume: number;
  vwap: number;
  /** Ticks applied for this symbol so far. */
  ticks: number;
  /**
   * The lowest and highest price (ticks) of this update's ticks, and whether the high came
   * first: a stop fires on any price traded through, not only the last (last-price-feed.ts).
   * Absent from a publisher that predates them: the last price alone.
   */
  lowTicks?: number;
  highTicks?: number;
  highFirst?: boolean;
  /** Seconds since the epoch when the update was published (float, like Python's time.time()). */
  timestamp: number;
}

export interface TradeMessage {
  symbol: string;
  book: number;
  price: number;
  quantity: number;
  makerOrderId: string;
  takerOrderId: string;
  takerSide: 'buy' | 'sell';
  timestamp: number;
}

export interface OrderStatusMessage {
  orderId: string;
  symbol: string;
  status: string;
  filledQuantity: number;
  timestamp: number;
}
