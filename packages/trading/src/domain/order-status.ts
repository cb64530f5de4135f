/**
 * Order status and the one table of legal transitions. Statuses are small integers so
 * the book can keep them in a Uint8Array; names are the wire strings of docs/spec.md.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';

export const OrderStatus = {
  /** Not yet accepted (a pool slot being filled in). */
  NONE: 0,
  NEW: 1,
  PARTIALLY_FILLED: 2,
  FILLED: 3,
  CANCELLED: 4,
  REJECTED: 5,
  /** An untriggered stop. */
  PENDING: 6,
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const ORDER_STATUS_NAMES = [
  'none',
  'new',
  'partially_filled',
  'filled',
  'cancelled',
  'rejected',
  'pending',
] as const;
export type OrderStatusName = (typeof ORDER_STATUS_NAMES)[number];

const N = ORDER_STATUS_NAMES.length;
const S = OrderStatus;

/** from -> allowed targets. Self-transition is legal only for PARTIALLY_FILLED (another partial fill). */
const LEGAL: ReadonlyArray<readonly [OrderStatus, readonly OrderStatus[]]> = [
  [S.NONE, [S.NEW, S.PENDING, S.REJECTED]],
  [S.PENDING, [S.NEW, S.CANCELLED]],
  [S.NEW, [S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED]],
  [S.PARTIALLY_FILLED, [S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED]],
  [S.FILLED, []],
  [S.CANCELLED, []],
  [S.REJECTED, []],
];

const TABLE = new Uint8Array(N * N);
for (const [from, tos] of LEGAL) for (const to of tos) TABLE[from * N + to] = 1;

export function canTransition(from: number, to: number): boolean {
  // Range check first: an unknown code must not alias into another row of the flat table.
  return from >>> 0 === from && from < N && to >>> 0 === to && to < N && TABLE[from * N + to] === 1;
}

/** Returns `to`, or throws TRD_ERR_ILLEGAL_TRANSITION. */
export function transition(from: number, to: number): OrderStatus {
  if (!canTransition(from, to)) {
    throw new TradingError(
      TradingErrorCode.ILLEGAL_TRANSITION,
      `illegal order status transition ${ORDER_STATUS_NAMES[from] ?? from} -> ${ORDER_STATUS_NAMES[to] ?? to}`,
    );
  }
  return to as OrderStatus;
}

export function isTerminal(status: number): boolean {
  return status === S.FILLED || status === S.CANCELLED || status === S.REJECTED;
}
