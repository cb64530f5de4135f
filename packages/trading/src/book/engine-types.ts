/**
 * The matching engine's narrow interfaces. Everything is plain numbers so that the hot
 * path allocates nothing: prices are integer ticks, quantities integer lots, symbols the
 * dense instrument index, accounts a dense account index, sides/types/statuses small ints
 * (domain/enums.ts, domain/order-status.ts).
 */

/** Receives what the engine does, synchronously, in the order it happens. */
export interface EngineListener {
  /** One trade: the resting maker order was hit by the taker order at the maker's price. */
  onTrade(
    book: number,
    makerId: number,
    takerId: number,
    priceTicks: number,
    qty: number,
    takerSide: number,
    makerAccount: number,
    takerAccount: number,
  ): void;
  /**
   * An order's status or quantities changed. Every accepted order first reports
   * `prevStatus` NONE -> NEW (or PENDING for a stop) before any trade of its own; then
   * partial fills, fill, cancel (with a CancelReason), or a stop's trigger (PENDING -> NEW).
   * `remainingQty` is the open quantity (for CANCELLED: the quantity cancelled). A refused
   * submit creates no order and reports nothing. Quantities are lots, notional ticks x lots.
   */
  onOrderStatus(
    orderId: number,
    book: number,
    side: number,
    account: number,
    prevStatus: number,
    status: number,
    reason: number,
    filledQty: number,
    remainingQty: number,
    filledNotional: number,
  ): void;
}

export const NOOP_LISTENER: EngineListener = {
  onTrade() {},
  onOrderStatus() {},
};

/** Negative results of MatchingEngine.submit: the arguments were refused, no order was created. */
export const SubmitError = {
  BAD_BOOK: -1,
  BAD_QTY: -2,
  BAD_PRICE: -3,
  BAD_SIDE_OR_TYPE: -4,
  CAPACITY: -5,
} as const;
export type SubmitError = (typeof SubmitError)[keyof typeof SubmitError];

/** Results of MatchingEngine.cancel. */
export const CancelResult = {
  CANCELLED: 0,
  /** No live order has that id (never existed, or already filled/cancelled). */
  NOT_FOUND: 1,
} as const;
export type CancelResult = (typeof CancelResult)[keyof typeof CancelResult];

/** Order ids encode the pool slot and its generation: id = generation * ID_SLOTS + slot. */
export const ID_SLOTS = 16_777_216;
