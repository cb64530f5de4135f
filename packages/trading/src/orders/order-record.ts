/** The order as the execution engine reports it on the wire (decimals, names, fills). */

import type { Instrument } from '@tickstorm/protocol';
import { CANCEL_REASON_NAMES, ORDER_TYPE_NAMES, SIDE_NAMES } from '../domain/enums.ts';
import { isTerminal, ORDER_STATUS_NAMES } from '../domain/order-status.ts';

export interface Fill {
  price: number;
  quantity: number;
  makerOrderId: string;
  takerOrderId: string;
  /** This order's role in the trade. */
  liquidity: 'maker' | 'taker';
  timestamp: number;
}

/** The fills of an order without any: one shared frozen array (most orders rest unfilled). */
const NO_FILLS: Fill[] = Object.freeze([]) as unknown as Fill[];

export class OrderRecord {
  status = 0;
  reason = 0;
  filledLots = 0;
  filledNotional = 0;
  /** Read-only outside; add with addFill. */
  fills: Fill[] = NO_FILLS;
  updatedAt: number;
  /** The price as sent when it was off the tick grid (the order rests at `price`, rounded). */
  priceAsked: number | undefined = undefined;

  constructor(
    readonly id: string,
    readonly engineId: number,
    readonly shard: number,
    readonly inst: Instrument,
    readonly side: number,
    readonly type: number,
    readonly priceTicks: number,
    readonly lots: number,
    readonly account: string,
    readonly clientOrderId: string | undefined,
    readonly createdAt: number,
  ) {
    this.updatedAt = createdAt;
  }

  addFill(f: Fill): void {
    if (this.fills === NO_FILLS) this.fills = [];
    this.fills.push(f);
  }

  /**
   * A detached copy of the record as it is now: an acknowledgement states the order as its
   * own command left it (what the journal batch it waits for covers), not later fills.
   */
  copy(): OrderRecord {
    const c = new OrderRecord(
      this.id,
      this.engineId,
      this.shard,
      this.inst,
      this.side,
      this.type,
      this.priceTicks,
      this.lots,
      this.account,
      this.clientOrderId,
      this.createdAt,
    );
    c.status = this.status;
    c.reason = this.reason;
    c.filledLots = this.filledLots;
    c.filledNotional = this.filledNotional;
    c.fills = this.fills === NO_FILLS ? NO_FILLS : this.fills.slice();
    c.updatedAt = this.updatedAt;
    c.priceAsked = this.priceAsked;
    return c;
  }

  get terminal(): boolean {
    return isTerminal(this.status);
  }

  toJSON(): Record<string, unknown> {
    const inst = this.inst;
    const terminal = this.terminal;
    // Built field by field (no object spread of an optional key): same keys, same order.
    const out: Record<string, unknown> = {
      id: this.id,
      clientOrderId: this.clientOrderId ?? null,
      account: this.account,
      symbol: inst.symbol,
      side: SIDE_NAMES[this.side],
      type: ORDER_TYPE_NAMES[this.type],
      quantity: inst.qty.fromSteps(this.lots),
      price: this.priceTicks === 0 ? null : inst.price.fromSteps(this.priceTicks),
      status: ORDER_STATUS_NAMES[this.status],
    };
    if (this.priceAsked !== undefined) out.priceAsked = this.priceAsked;
    if (this.reason !== 0) out.reason = CANCEL_REASON_NAMES[this.reason];
    out.filledQuantity = this.filledLots === 0 ? 0 : inst.qty.fromSteps(this.filledLots);
    out.remainingQuantity = terminal ? 0 : inst.qty.fromSteps(this.lots - this.filledLots);
    // Average fill price as a decimal: notional is ticks x lots, so divide back per lot.
    out.avgPrice =
      this.filledLots === 0
        ? null
        : Number(
            ((this.filledNotional / this.filledLots) * inst.price.step).toFixed(inst.price.decimals + 4),
          );
    out.fills = this.fills;
    out.createdAt = this.createdAt;
    out.updatedAt = this.updatedAt;
    return out;
  }
}
