/** Counters of the execution engine, in the OrderStats shape of the api. */

import type { EngineListener } from '../book/engine-types.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { LatencyHistogram } from '../stats/latency-histogram.ts';
import { RateMeter } from '../stats/rate-meter.ts';
import type { OrderStats } from '../stats/stats-types.ts';
import { OrderOutcomes } from './order-outcomes.ts';

export class OrderCounters implements EngineListener {
  received = 0;
  accepted = 0;
  rejected = 0;
  filled = 0;
  cancelled = 0;
  trades = 0;
  readonly rejectedByReason: Record<string, number> = {};
  readonly latency = new LatencyHistogram();
  readonly rate = new RateMeter();
  /** Orders answered by type and outcome (Prometheus `tickstorm_orders_total{type,status}`). */
  readonly outcomes = new OrderOutcomes();
  /**
   * True while the journal is replayed at start: the engine re-applies orders the previous
   * process already counted, so they are not counted again (received stays 0 for them, and
   * Prometheus would take them for new orders after the restart's counter reset).
   */
  recovering = false;

  reject(reason: string): void {
    this.rejected++;
    this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
  }

  onTrade(): void {
    if (!this.recovering) this.trades++;
  }

  onOrderStatus(_id: number, _b: number, _s: number, _a: number, prev: number, status: number): void {
    if (this.recovering) return;
    if (prev === OrderStatus.NONE) {
      this.accepted++;
      this.rate.add();
    } else if (status === OrderStatus.FILLED) this.filled++;
    else if (status === OrderStatus.CANCELLED) this.cancelled++;
  }

  stats(liveOrders: number): OrderStats {
    return {
      ordersReceived: this.received,
      ordersAccepted: this.accepted,
      ordersRejected: this.rejected,
      rejectedByReason: { ...this.rejectedByReason },
      ordersFilled: this.filled,
      ordersCancelled: this.cancelled,
      trades: this.trades,
      ordersPerSecond: this.rate.perSecond(),
      liveOrders,
      latencyMs: this.latency.summaryMs(),
    };
  }
}
