/**
 * Drives a MatchingEngine and the ReferenceEngine in lockstep and asserts, after every
 * command, that both returned the same result and reported the same events (engine ids
 * mapped to reference ids by submission order), with the same best bid/ask, last price
 * and live-order count. `checkSnapshots` compares the whole books (levels, FIFO order,
 * quantities, pending stops).
 */
import assert from 'node:assert/strict';
import type { InstrumentTable } from '@tickstorm/protocol';
import type { MatchingEngineOptions } from '../../src/book/matching-engine.ts';
import { MatchingEngine } from '../../src/book/matching-engine.ts';
import type { EngineSnapshot } from '../../src/book/snapshot.ts';
import { type EngineEvent, EventRecorder } from './event-recorder.ts';
import { ReferenceEngine } from './reference-book.ts';

export class DifferentialDriver {
  readonly engine: MatchingEngine;
  readonly ref: ReferenceEngine;
  readonly engineEvents = new EventRecorder();
  readonly refEvents = new EventRecorder();
  /** Engine id of the k-th accepted submission (reference id k + 1). */
  readonly engineIds: number[] = [];
  private readonly refIdOf = new Map<number, number>();
  ops = 0;
  trades = 0;
  /** Trades at a price outside the book's ladder window (matched through the far-level fallback). */
  farTrades = 0;
  /** Per kind of event, how many were seen (for asserting a stream exercised something). */
  readonly seen = new Map<string, number>();

  constructor(
    private readonly instruments: InstrumentTable,
    opts: MatchingEngineOptions = {},
  ) {
    this.engine = new MatchingEngine(instruments, { ...opts, listener: this.engineEvents });
    this.ref = new ReferenceEngine(instruments, this.refEvents);
  }

  submit(book: number, side: number, type: number, price: number, qty: number, account: number): number {
    const what = `submit(${book}, ${side}, ${type}, ${price}, ${qty}, ${account})`;
    const e = this.engine.submit(book, side, type, price, qty, account);
    const r = this.ref.submit(book, side, type, price, qty, account);
    if (r > 0) {
      assert.ok(e > 0, `op ${this.ops} ${what}: engine refused (${e}), reference accepted`);
      assert.ok(!this.refIdOf.has(e), `op ${this.ops}: engine id ${e} reused`);
      this.engineIds.push(e);
      this.refIdOf.set(e, r);
      assert.equal(this.engineIds.length, r);
    } else {
      assert.equal(e, r, `op ${this.ops} ${what}: submit result`);
    }
    this.afterOp(what);
    return r;
  }

  /** Cancels the order with reference id `refId` (engine: its mapped id), or `rawEngineId` on the engine alone. */
  cancel(refId: number, rawEngineId?: number): number {
    const engineId = rawEngineId ?? this.engineIds[refId - 1] ?? -1;
    const what = `cancel(ref ${refId}, engine ${engineId})`;
    const e = this.engine.cancel(engineId);
    const r = this.ref.cancel(rawEngineId === undefined ? refId : -1);
    assert.equal(e, r, `op ${this.ops} ${what}: cancel result`);
    this.afterOp(what);
    return r;
  }

  setLastPrice(book: number, price: number): boolean {
    const what = `setLastPrice(${book}, ${price})`;
    const e = this.engine.setLastPrice(book, price);
    const r = this.ref.setLastPrice(book, price);
    assert.equal(e, r, `op ${this.ops} ${what}: result`);
    this.afterOp(what);
    return r;
  }

  /** Engine snapshot with ids mapped to reference ids; equal to the reference's own. */
  checkSnapshots(): void {
    const mapped = this.mapSnapshot(this.engine.snapshot());
    assert.deepEqual(mapped, this.ref.snapshot(), `op ${this.ops}: snapshots differ`);
  }

  mapSnapshot(s: EngineSnapshot): EngineSnapshot {
    return {
      liveOrders: s.liveOrders,
      books: s.books.map((b) => ({
        ...b,
        bids: b.bids.map((l) => ({ ...l, orders: l.orders.map((o) => ({ ...o, id: this.mapId(o.id) })) })),
        asks: b.asks.map((l) => ({ ...l, orders: l.orders.map((o) => ({ ...o, id: this.mapId(o.id) })) })),
        buyStops: b.buyStops.map((o) => ({ ...o, id: this.mapId(o.id) })),
        sellStops: b.sellStops.map((o) => ({ ...o, id: this.mapId(o.id) })),
      })),
    };
  }

  private mapId(engineId: number): number {
    return this.refIdOf.get(engineId) ?? -engineId;
  }

  private afterOp(what: string): void {
    const engineEvents = this.engineEvents.take();
    for (const ev of engineEvents) {
      if (ev.kind !== 'trade') continue;
      const lv = this.engine.books[ev.book].levels;
      if (ev.price < lv.base || ev.price >= lv.base + lv.ladderTicks) this.farTrades++;
    }
    const got = engineEvents.map((ev) => this.describe(ev, true));
    const want = this.refEvents.take().map((ev) => this.describe(ev, false));
    assert.deepEqual(got, want, `op ${this.ops} ${what}: events differ`);
    for (const d of want) {
      const key = d.slice(0, d.indexOf(' '));
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    }
    for (let b = 0; b < this.instruments.list.length; b++) {
      assert.equal(this.engine.bestBid(b), this.ref.bestBid(b), `op ${this.ops} ${what}: bestBid(${b})`);
      assert.equal(this.engine.bestAsk(b), this.ref.bestAsk(b), `op ${this.ops} ${what}: bestAsk(${b})`);
      assert.equal(
        this.engine.lastPrice(b),
        this.ref.lastPrice(b),
        `op ${this.ops} ${what}: lastPrice(${b})`,
      );
    }
    assert.equal(this.engine.liveOrders, this.ref.liveOrders, `op ${this.ops} ${what}: liveOrders`);
    this.ops++;
  }

  private describe(ev: EngineEvent, fromEngine: boolean): string {
    const id = (x: number) => (fromEngine ? this.mapId(x) : x);
    if (ev.kind === 'trade') {
      this.trades += fromEngine ? 0 : 1;
      return `trade b=${ev.book} maker=${id(ev.makerId)} taker=${id(ev.takerId)} px=${ev.price} q=${ev.qty} side=${ev.takerSide} accts=${ev.makerAccount}/${ev.takerAccount}`;
    }
    return `status:${ev.prev}->${ev.status}:${ev.reason} id=${id(ev.id)} b=${ev.book} side=${ev.side} acct=${ev.account} filled=${ev.filled} rem=${ev.remaining} notional=${ev.notional}`;
  }
}
