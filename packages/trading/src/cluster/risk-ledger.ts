/**
 * The central risk manager's bookkeeping over a RiskEngine (docs/deployment.md, "Risk
 * across processes"): checks that RESERVE, and the engines' book events, applied so that
 * the engine's state equals what an in-process RiskEngine listening to every engine would
 * hold, plus the quantities reserved for orders not placed yet.
 *
 * - A passing check reserves the order's whole quantity as open quantity (as the order's
 *   NONE -> NEW would), under the engine's reservation id: concurrent checks from other
 *   engine processes see it.
 * - The order's first status event carries that id: the reservation is released and the
 *   event applied as the in-process listener would (NONE -> NEW adds the remaining quantity,
 *   equal to the reserved one; a first event that is terminal adds nothing). An unknown id
 *   (expired, or lost in a rebuild) is applied as an ordinary event.
 * - Trades move open quantity to position (RiskState.fill, clamped at 0); cancels release.
 * - A release (the engine did not place the order) frees the reservation; a release that
 *   arrives before its check (a timed-out request served late) is remembered, and the late
 *   check reserves nothing. Reservations whose order never showed up expire after a TTL.
 * - Rebuild (`resync`): positions and open quantities are forgotten, the outstanding
 *   reservations re-applied, and each engine's `state` (its own RiskEngine: positions and
 *   open quantities of its orders) added when it arrives, in order with its events: events of
 *   an engine from before its state are already in it and are dropped (a reservation they
 *   carry is released).
 */
import { OrderStatus } from '../domain/order-status.ts';
import { RiskCode } from '../risk/risk-codes.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskCheckRequest, RiskEvent, StateEvent } from './risk-wire.ts';

interface Reservation {
  account: number;
  book: number;
  side: number;
  lots: number;
  atMs: number;
}

export interface RiskLedgerStats {
  epoch: number;
  reservations: number;
  /** Engines whose state arrived for the current epoch. */
  engines: number;
  /** Engines the current rebuild waits for (checks are refused while any is missing, up to `rebuildWaitMs`). */
  waiting: number;
  /** Events dropped because their engine's state had not arrived yet. */
  dropped: number;
  expired: number;
  /** Reservations freed because a later engine on the same journal said hello. */
  superseded: number;
}

export interface RiskLedgerOptions {
  /** A reservation whose order never showed up is freed after this long (default 30,000 ms). */
  reservationTtlMs?: number;
  /**
   * A rebuild refuses checks until every engine it expects (those synced before it, those that
   * said hello) sent its state, but no longer than this (default 250 ms): an engine gone
   * without a bye does not stop checks for longer.
   */
  rebuildWaitMs?: number;
  /** An engine whose events come without its state is asked again at most this often (default 1,000 ms). */
  stateRetryMs?: number;
  /** Asks one engine for its state (it missed the resync). */
  wantState?: (engine: string, epoch: number) => void;
  /** An engine (re)joined: rebuild. */
  onHello?: (engine: string) => void;
}

export class RiskLedger {
  epoch = 0;
  dropped = 0;
  expired = 0;
  /** Reservations freed because a later engine on the same journal said hello (its predecessor died). */
  superseded = 0;
  private readonly reservations = new Map<string, Reservation>();
  /** Releases seen before their check: id -> when. */
  private readonly released = new Map<string, number>();
  /** Engines whose state for `epoch` was applied. */
  private readonly synced = new Set<string>();
  /** States arriving in parts: engine -> the parts so far (of `epoch`). */
  private readonly parts = new Map<string, { epoch: number; next: number; events: StateEvent[] }>();
  /** Engines the current rebuild waits for. */
  private expected = new Set<string>();
  /** The journal each engine said it keeps (its hello): engine -> journal. */
  private readonly journals = new Map<string, string>();
  /** Engines that said hello since the last rebuild started. */
  private readonly hellos = new Set<string>();
  private epochAtMs = 0;
  private readonly waitMs: number;
  /** Engines asked again for their state: id -> when. */
  private readonly asked = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly retryMs: number;

  constructor(
    readonly risk: RiskEngine,
    private readonly o: RiskLedgerOptions = {},
  ) {
    this.ttlMs = o.reservationTtlMs ?? 30_000;
    this.retryMs = o.stateRetryMs ?? 1000;
    this.waitMs = o.rebuildWaitMs ?? 250;
  }

  /** True while the current rebuild waits for an engine's state (checks are refused meanwhile). */
  rebuilding(): boolean {
    if (this.risk.clock() - this.epochAtMs >= this.waitMs) return false;
    for (const e of this.expected) if (!this.synced.has(e)) return true;
    return false;
  }

  /** The check; a pass reserves the order's quantity under `q.res`. */
  check(q: RiskCheckRequest): number {
    const risk = this.risk;
    const book = q.book;
    if (risk.instruments.list[book]?.symbol !== q.symbol) return RiskCode.UNKNOWN_SYMBOL;
    const fresh = risk.accounts.size;
    const account = risk.accounts.intern(q.account);
    const code = risk.checkNow(book, q.side, q.type, q.priceTicks, q.lots, account);
    if (code !== RiskCode.OK) {
      // a refused order places nothing: a new account is not kept by it (AccountRegistry.forgetNewest)
      if (account === fresh) risk.accounts.forgetNewest(account);
      return code;
    }
    // The engine gave up on this check before it was served: reserve nothing.
    if (this.released.delete(q.res) || this.reservations.has(q.res)) return code;
    this.reservations.set(q.res, { account, book, side: q.side, lots: q.lots, atMs: risk.clock() });
    this.open(account, book, q.side, q.lots);
    return code;
  }

  /** One event of `engine`. */
  apply(engine: string, e: RiskEvent): void {
    switch (e.k) {
      case 'r':
        if (!this.release(e.res)) this.released.set(e.res, this.risk.clock());
        return;
      case 'hello':
        if (typeof e.journal === 'string') this.succeed(engine, e.journal);
        this.hellos.add(engine);
        this.o.onHello?.(engine);
        return;
      case 'bye':
        // Its positions stay counted until the next rebuild, which does not wait for it; when it
        // comes back, its hello rebuilds with its state.
        this.expected.delete(engine);
        this.hellos.delete(engine);
        this.synced.delete(engine);
        return;
      case 'state':
        this.applyState(engine, e);
        return;
    }
    if (!this.synced.has(engine)) {
      // Already counted in the state this engine will send: only its reservation goes.
      if (e.k === 's' && e.res !== undefined) this.release(e.res);
      this.dropped++;
      this.askAgain(engine);
      return;
    }
    const risk = this.risk;
    if (e.k === 't') {
      const maker = risk.accounts.intern(e.maker);
      const taker = risk.accounts.intern(e.taker);
      risk.onTrade(e.book, 0, 0, e.px, e.qty, e.takerSide, maker, taker);
      return;
    }
    if (e.res !== undefined) this.release(e.res);
    const account = risk.accounts.intern(e.account);
    if (account < 0) return;
    risk.onOrderStatus(0, e.book, e.side, account, e.prev, e.st, 0, 0, e.rem, 0);
  }

  /**
   * Starts a rebuild: positions and open quantities forgotten, outstanding reservations kept,
   * no engine synced. Returns the new epoch, which the engines' states must name.
   */
  resync(): number {
    this.epoch++;
    this.expected = new Set([...this.synced, ...this.hellos]);
    this.hellos.clear();
    this.epochAtMs = this.risk.clock();
    this.synced.clear();
    this.asked.clear();
    this.parts.clear();
    this.risk.st.clearPositions();
    for (const r of this.reservations.values()) this.open(r.account, r.book, r.side, r.lots);
    return this.epoch;
  }

  /** Frees reservations and remembered releases older than the TTL. */
  sweep(): void {
    const cutoff = this.risk.clock() - this.ttlMs;
    for (const [id, r] of this.reservations) {
      if (r.atMs < cutoff) {
        this.release(id);
        this.expired++;
      }
    }
    for (const [id, at] of this.released) if (at < cutoff) this.released.delete(id);
  }

  stats(): RiskLedgerStats {
    return {
      epoch: this.epoch,
      reservations: this.reservations.size,
      engines: this.synced.size,
      waiting: [...this.expected].filter((e) => !this.synced.has(e)).length,
      dropped: this.dropped,
      expired: this.expired,
      superseded: this.superseded,
    };
  }

  /** Collects an engine's state parts; applies them once the last one is in (a gap drops them). */
  private applyState(engine: string, e: StateEvent): void {
    if (e.epoch !== this.epoch || this.synced.has(engine)) return;
    let got = this.parts.get(engine);
    if (e.part === 0 || got === undefined || got.epoch !== e.epoch || got.next !== e.part) {
      this.parts.delete(engine);
      if (e.part !== 0) return;
      got = { epoch: e.epoch, next: 0, events: [] };
      this.parts.set(engine, got);
    }
    got.events.push(e);
    got.next++;
    if (!e.last) return;
    this.parts.delete(engine);
    const risk = this.risk;
    const n = risk.instruments.size;
    for (const part of got.events) {
      for (const a of part.accounts) {
        const account = risk.accounts.intern(a.account);
        if (account < 0) continue;
        for (const [book, pos, openBuy, openSell] of a.cells) {
          if (book >>> 0 !== book || book >= n) continue;
          risk.st.addCell(account, book, pos, openBuy, openSell, risk.refTicks[book], risk.lim.unitMul[book]);
        }
      }
    }
    this.synced.add(engine);
  }

  private askAgain(engine: string): void {
    const now = this.risk.clock();
    const last = this.asked.get(engine);
    if (last !== undefined && now - last < this.retryMs) return;
    this.asked.set(engine, now);
    this.o.wantState?.(engine, this.epoch);
  }

  /**
   * `engine` keeps `journal`: an earlier engine id with the same journal died (one process owns
   * a journal) and `engine` recovered every order it journalled, so the earlier one's
   * reservations are freed now (its orders come back in `engine`'s state; one it never
   * journalled does not exist), not after the TTL, and no rebuild waits for it.
   */
  private succeed(engine: string, journal: string): void {
    for (const [other, j] of this.journals) {
      if (j !== journal || other === engine) continue;
      this.journals.delete(other);
      this.expected.delete(other);
      this.synced.delete(other);
      this.hellos.delete(other);
      this.parts.delete(other);
      const prefix = `${other}:`;
      for (const id of [...this.reservations.keys()]) {
        if (id.startsWith(prefix) && this.release(id)) this.superseded++;
      }
    }
    this.journals.set(engine, journal);
  }

  /** Frees reservation `id`; false when there is none. */
  private release(id: string): boolean {
    const r = this.reservations.get(id);
    if (r === undefined) return false;
    this.reservations.delete(id);
    this.risk.onOrderStatus(
      0,
      r.book,
      r.side,
      r.account,
      OrderStatus.NEW,
      OrderStatus.CANCELLED,
      0,
      0,
      r.lots,
      0,
    );
    return true;
  }

  /** Adds open quantity as an order's NONE -> NEW would. */
  private open(account: number, book: number, side: number, lots: number): void {
    this.risk.onOrderStatus(0, book, side, account, OrderStatus.NONE, OrderStatus.NEW, 0, 0, lots, 0);
  }
}
