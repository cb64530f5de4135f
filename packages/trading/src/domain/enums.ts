/** Small-integer encodings of the wire enums, shared by the book, the log and the services. */
export const Side = { BUY: 0, SELL: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];
export const SIDE_NAMES = ['buy', 'sell'] as const;

export const OrderType = { LIMIT: 0, MARKET: 1, STOP: 2 } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];
export const ORDER_TYPE_NAMES = ['limit', 'market', 'stop'] as const;

/** Why an order ended cancelled or rejected by the book (not risk: see risk codes). */
export const CancelReason = {
  NONE: 0,
  USER: 1,
  /** A market order (or a fired stop) that found nothing, or its unfilled remainder (IOC). */
  NO_LIQUIDITY: 2,
  /** The pool or a price level could not take the order. */
  CAPACITY: 3,
  /** Cancelled by the kill switch (an admin halted the account), not by its owner. */
  HALTED: 4,
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];
export const CANCEL_REASON_NAMES = ['', 'user', 'no_liquidity', 'capacity', 'halted'] as const;
