/** A small MatchingEngine fixture for scenario tests: two books, a recorder, terse helpers. */
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine, type MatchingEngineOptions } from '../../src/book/matching-engine.ts';
import { OrderType, Side } from '../../src/domain/enums.ts';
import { EventRecorder } from './event-recorder.ts';

export const fixtureInstruments = new InstrumentTable([
  { symbol: 'X', tickSize: 0.01, lotSize: 1 },
  { symbol: 'Y', tickSize: 0.01, lotSize: 1, minPrice: 0.5, maxPrice: 1000 },
]);

export class Fixture {
  readonly rec = new EventRecorder();
  readonly engine: MatchingEngine;

  constructor(opts: MatchingEngineOptions = {}) {
    this.engine = new MatchingEngine(fixtureInstruments, { ...opts, listener: this.rec });
  }

  buy(price: number, qty: number, account = 0, book = 0): number {
    return this.engine.submit(book, Side.BUY, OrderType.LIMIT, price, qty, account);
  }

  sell(price: number, qty: number, account = 0, book = 0): number {
    return this.engine.submit(book, Side.SELL, OrderType.LIMIT, price, qty, account);
  }

  market(side: number, qty: number, account = 0, book = 0): number {
    return this.engine.submit(book, side, OrderType.MARKET, 0, qty, account);
  }

  stop(side: number, trigger: number, qty: number, account = 0, book = 0): number {
    return this.engine.submit(book, side, OrderType.STOP, trigger, qty, account);
  }

  /** Trades since the last `take()`/`clear()` as [makerId, takerId, price, qty]. */
  trades(): [number, number, number, number][] {
    return this.rec.trades().map((t) => [t.makerId, t.takerId, t.price, t.qty]);
  }

  /** Status events since the last clear as [id, prev, status, reason, filled, remaining]. */
  statuses(): [number, number, number, number, number, number][] {
    return this.rec.statuses().map((s) => [s.id, s.prev, s.status, s.reason, s.filled, s.remaining]);
  }

  /** Status events of one order as [prev, status, reason, filled, remaining]. */
  statusesOf(id: number): [number, number, number, number, number][] {
    return this.rec
      .statuses()
      .filter((s) => s.id === id)
      .map((s) => [s.prev, s.status, s.reason, s.filled, s.remaining]);
  }

  clear(): void {
    this.rec.take();
  }

  /** The book's levels as [price, qty, count] best first. */
  levels(side: number, book = 0): [number, number, number][] {
    const snap = this.engine.snapshot().books.find((b) => b.book === book);
    if (snap === undefined) return [];
    return (side === Side.BUY ? snap.bids : snap.asks).map((l) => [l.price, l.qty, l.count]);
  }
}
