/** The risk tests' instruments, shorthands, engine factory and order-acceptance helper. */
import { InstrumentTable } from '@tickstorm/protocol';
import { OrderType, Side } from '../../src/domain/enums.ts';
import { OrderStatus } from '../../src/domain/order-status.ts';
import { RiskEngine } from '../../src/risk/risk-engine.ts';
import { DEFAULT_RISK_LIMITS, type RiskLimits } from '../../src/risk/risk-limits.ts';

export const instruments = new InstrumentTable();
export const AAPL = instruments.get('AAPL').index;
export const MSFT = instruments.get('MSFT').index;
export const { BUY, SELL } = Side;
export const { LIMIT, MARKET, STOP } = OrderType;
export const A0 = 0; // the default account

export function engine(limits: Partial<RiskLimits> = {}, clock?: () => number): RiskEngine {
  return new RiskEngine(instruments, { ...DEFAULT_RISK_LIMITS, ...limits }, clock);
}

let nextId = 1;
/** A fresh order id. */
export function nextOrderId(): number {
  return nextId++;
}

/** The book accepted an order: NONE -> NEW (or PENDING for a stop). */
export function accept(
  e: RiskEngine,
  book: number,
  side: number,
  account: number,
  qty: number,
  pending = false,
) {
  const id = nextOrderId();
  const status = pending ? OrderStatus.PENDING : OrderStatus.NEW;
  e.onOrderStatus(id, book, side, account, OrderStatus.NONE, status, 0, 0, qty, 0);
  return id;
}
