/** An EngineListener that records every event as a plain object (tests only). */
import type { EngineListener } from '../../src/book/engine-types.ts';

export interface TradeEvent {
  kind: 'trade';
  book: number;
  makerId: number;
  takerId: number;
  price: number;
  qty: number;
  takerSide: number;
  makerAccount: number;
  takerAccount: number;
}

export interface StatusEvent {
  kind: 'status';
  id: number;
  book: number;
  side: number;
  account: number;
  prev: number;
  status: number;
  reason: number;
  filled: number;
  remaining: number;
  notional: number;
}

export type EngineEvent = TradeEvent | StatusEvent;

export class EventRecorder implements EngineListener {
  events: EngineEvent[] = [];

  onTrade(
    book: number,
    makerId: number,
    takerId: number,
    price: number,
    qty: number,
    takerSide: number,
    makerAccount: number,
    takerAccount: number,
  ): void {
    this.events.push({
      kind: 'trade',
      book,
      makerId,
      takerId,
      price,
      qty,
      takerSide,
      makerAccount,
      takerAccount,
    });
  }

  onOrderStatus(
    id: number,
    book: number,
    side: number,
    account: number,
    prev: number,
    status: number,
    reason: number,
    filled: number,
    remaining: number,
    notional: number,
  ): void {
    this.events.push({
      kind: 'status',
      id,
      book,
      side,
      account,
      prev,
      status,
      reason,
      filled,
      remaining,
      notional,
    });
  }

  /** The events recorded since the last call, and forgets them. */
  take(): EngineEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  trades(): TradeEvent[] {
    return this.events.filter((e): e is TradeEvent => e.kind === 'trade');
  }

  statuses(): StatusEvent[] {
    return this.events.filter((e): e is StatusEvent => e.kind === 'status');
  }
}
