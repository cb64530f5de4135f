/**
 * Pre-trade risk engine: `check` answers a risk code (0 = pass) for an order before it
 * reaches the book, and the engine listens to the matching engine (EngineListener) to
 * keep positions, open quantities and reference prices.
 *
 * check() allocates nothing and touches no strings: limits are compiled into typed
 * arrays in ticks/lots (compiled-limits.ts), state lives in typed arrays (risk-state.ts,
 * which also explains how gross exposure is kept incrementally). Checks, in order:
 *   1. book / account index valid           UNKNOWN_SYMBOL, UNKNOWN_ACCOUNT
 *   2. 0 < qty <= maxQtyLots                 MAX_QTY_EXCEEDED
 *   3. price x qty <= maxNotional            NOTIONAL_EXCEEDS_MAX_PER_ORDER; price = limit
 *      price, stop trigger, or for a market order the reference (none known: no check)
 *   4. limit price / stop trigger in the band around the reference (none known: pass)
 *   5. |pos + open same side + qty| <= maxPosLots            POSITION_LIMIT_EXCEEDED
 *   6. exposure + qty x ref <= maxGrossUnits                 GROSS_EXPOSURE_EXCEEDED
 *      (no reference: the account's cell on the symbol, held + open + qty, is valued at
 *      the higher of the order's price and the cell's provRef, which a pass raises)
 *   7. token bucket per account (refilled lazily from nowMs)  RATE_LIMIT_EXCEEDED
 * Comparisons are written so that NaN fails (fail closed); a quantity must be in (0, max].
 * A pass consumes one token; a denial consumes nothing and changes no position: open
 * quantity is added when the book reports the order NEW/PENDING (onOrderStatus).
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { EngineListener } from '../book/engine-types.ts';
import { OrderType, Side } from '../domain/enums.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { AccountRegistry } from './account-registry.ts';
import { CompiledLimits, setBand } from './compiled-limits.ts';
import { RiskCode } from './risk-codes.ts';
import { cloneRiskLimits, DEFAULT_RISK_LIMITS, type RiskLimits, validateRiskLimits } from './risk-limits.ts';
import { type AccountExposure, positionsSnapshot } from './risk-positions.ts';
import { RiskState } from './risk-state.ts';

const defaultClock = (): number => performance.now();

export class RiskEngine implements EngineListener {
  readonly instruments: InstrumentTable;
  readonly accounts: AccountRegistry;
  readonly clock: () => number;
  /** Compiled limits (read-only outside; replaced in place by setLimits). */
  readonly lim: CompiledLimits;
  /** Per-account state (read-only outside). */
  readonly st: RiskState;
  /** Reference price per instrument in ticks, 0 = none known yet. */
  readonly refTicks: Float64Array;
  private readonly bandLo: Float64Array;
  private readonly bandHi: Float64Array;
  private readonly nSym: number;
  private limits: RiskLimits;
  /** Bumped on every reference change; see risk-state.ts. */
  private refVersion = 0;
  /** True while peek() runs check(): nothing is kept. */
  private peeking = false;

  constructor(
    instruments: InstrumentTable,
    limits: RiskLimits = DEFAULT_RISK_LIMITS,
    clock: () => number = defaultClock,
    accounts: AccountRegistry = new AccountRegistry(),
  ) {
    this.instruments = instruments;
    this.accounts = accounts;
    this.clock = clock;
    this.nSym = instruments.size;
    this.refTicks = new Float64Array(this.nSym);
    this.bandLo = new Float64Array(this.nSym);
    this.bandHi = new Float64Array(this.nSym);
    this.lim = new CompiledLimits(instruments);
    this.limits = validateRiskLimits(limits, { instruments });
    this.lim.compile(instruments, this.limits);
    for (let i = 0; i < this.nSym; i++) setBand(this.bandLo, this.bandHi, i, 0, this.lim.bandPct[i]);
    this.st = new RiskState(this.nSym, accounts.capacity, this.lim.burst);
    accounts.onGrow((capacity) => this.st.grow(capacity, this.lim.burst));
  }

  /** The pre-trade check. Prices in ticks, quantities in lots, `nowMs` on the engine's clock. */
  check(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
    nowMs: number,
  ): number {
    if (book >>> 0 !== book || book >= this.nSym) return RiskCode.UNKNOWN_SYMBOL;
    if (account >>> 0 !== account || account >= this.accounts.size) return RiskCode.UNKNOWN_ACCOUNT;
    const lim = this.lim;
    if (!(qty > 0 && qty <= lim.maxQtyLots[book])) return RiskCode.MAX_QTY_EXCEEDED;
    const ref = this.refTicks[book];
    const isMarket = type === OrderType.MARKET;
    const px = isMarket ? ref : priceTicks;
    if (!(px * qty <= lim.maxNotional[book])) return RiskCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER;
    if (!isMarket && !(priceTicks >= this.bandLo[book] && priceTicks <= this.bandHi[book])) {
      return RiskCode.PRICE_OUTSIDE_BAND;
    }
    const st = this.st;
    const k = account * this.nSym + book;
    const maxPos = lim.maxPosLots[book];
    if (side === Side.BUY) {
      if (st.pos[k] + st.openBuy[k] + qty > maxPos) return RiskCode.POSITION_LIMIT_EXCEEDED;
    } else if (st.pos[k] - st.openSell[k] - qty < -maxPos) {
      return RiskCode.POSITION_LIMIT_EXCEEDED;
    }
    if (st.version[account] !== this.refVersion) {
      st.revalue(account, this.refTicks, lim.unitMul, this.refVersion);
    }
    const mul = lim.unitMul[book];
    // Without a reference the cell (what the account already holds and has open on the
    // symbol) is valued with this order at the higher of its price and the cell's own
    // valuation, so orders split small, or placed again after a restart, still add up.
    let prov = 0;
    let after: number;
    if (ref > 0) {
      after = st.exposure[account] + qty * ref * mul;
    } else {
      prov = Math.max(px, st.provRef[k]);
      const p = st.pos[k];
      const held = (p < 0 ? -p : p) + st.openBuy[k] + st.openSell[k];
      after = st.exposure[account] - st.contrib[k] + (held + qty) * prov * mul;
    }
    if (!(after <= lim.maxGrossUnits)) return RiskCode.GROSS_EXPOSURE_EXCEEDED;
    let tokens = st.tokens[account];
    const elapsed = nowMs - st.lastMs[account];
    if (elapsed > 0) {
      tokens += elapsed * lim.ratePerMs;
      if (tokens > lim.burst) tokens = lim.burst;
      st.lastMs[account] = nowMs;
    }
    if (tokens < 1) {
      st.tokens[account] = tokens;
      return RiskCode.RATE_LIMIT_EXCEEDED;
    }
    st.tokens[account] = tokens - 1;
    if (prov > st.provRef[k] && !this.peeking) {
      st.provRef[k] = prov;
      st.touch(account, book, 0, mul);
    }
    return RiskCode.OK;
  }

  /** The verdict check() would give now, without taking a rate token (for `POST /check`). */
  peek(book: number, side: number, type: number, priceTicks: number, qty: number, account: number): number {
    const known = account >>> 0 === account && account < this.accounts.size;
    const tokens = known ? this.st.tokens[account] : 0;
    const lastMs = known ? this.st.lastMs[account] : 0;
    this.peeking = true;
    let code: number;
    try {
      code = this.check(book, side, type, priceTicks, qty, account, this.clock());
    } finally {
      this.peeking = false;
    }
    if (known) {
      this.st.tokens[account] = tokens;
      this.st.lastMs[account] = lastMs;
    }
    return code;
  }

  /** check() at the engine's clock. */
  checkNow(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
  ): number {
    return this.check(book, side, type, priceTicks, qty, account, this.clock());
  }

  /** Sets the reference price of `book` (market data's last price). False when the arguments are invalid. */
  setReferencePrice(book: number, priceTicks: number): boolean {
    if (book >>> 0 !== book || book >= this.nSym || !(priceTicks > 0) || !Number.isFinite(priceTicks)) {
      return false;
    }
    if (this.refTicks[book] !== priceTicks) {
      this.refTicks[book] = priceTicks;
      setBand(this.bandLo, this.bandHi, book, priceTicks, this.lim.bandPct[book]);
      this.refVersion++;
    }
    return true;
  }

  /**
   * An order of `account` on `book` at `priceTicks` that no check() here priced (a recovered
   * one: the check is not journalled; one a central risk manager passed) raises the cell's
   * valuation as check() does: only while the symbol has no reference.
   */
  valueOpenOrder(account: number, book: number, priceTicks: number): void {
    if (
      account >>> 0 !== account ||
      account >= this.st.capacity ||
      book >>> 0 !== book ||
      book >= this.nSym ||
      this.refTicks[book] > 0
    ) {
      return;
    }
    const k = account * this.nSym + book;
    if (!(priceTicks > this.st.provRef[k])) return;
    this.st.provRef[k] = priceTicks;
    this.st.touch(account, book, this.refTicks[book], this.lim.unitMul[book]);
  }

  /** The reference price of `book` in ticks, 0 when none is known. */
  referencePrice(book: number): number {
    return this.refTicks[book] ?? 0;
  }

  /** Replaces the limits (validated: throws RiskLimitsError / TRD_ERR_INVALID_LIMITS) and recompiles. */
  setLimits(limits: RiskLimits): RiskLimits {
    this.apply(validateRiskLimits(limits, { instruments: this.instruments }));
    return this.getLimits();
  }

  /** PUT /limits: lays a partial update over the current limits (validated) and recompiles. */
  updateLimits(patch: unknown): RiskLimits {
    this.apply(validateRiskLimits(patch, { base: this.limits, instruments: this.instruments }));
    return this.getLimits();
  }

  /** The limits PUT /limits would set (validated over the current ones), without applying them. */
  previewLimits(patch: unknown): RiskLimits {
    return validateRiskLimits(patch, { base: this.limits, instruments: this.instruments });
  }

  /** A copy of the current limits. */
  getLimits(): RiskLimits {
    return cloneRiskLimits(this.limits);
  }

  private apply(limits: RiskLimits): void {
    this.limits = limits;
    const lim = this.lim;
    lim.compile(this.instruments, limits);
    for (let i = 0; i < this.nSym; i++)
      setBand(this.bandLo, this.bandHi, i, this.refTicks[i], lim.bandPct[i]);
    const tokens = this.st.tokens;
    for (let a = 0; a < tokens.length; a++) if (tokens[a] > lim.burst) tokens[a] = lim.burst;
  }

  onTrade(
    book: number,
    _makerId: number,
    _takerId: number,
    priceTicks: number,
    qty: number,
    takerSide: number,
    makerAccount: number,
    takerAccount: number,
  ): void {
    if (book >>> 0 !== book || book >= this.nSym) return;
    this.setReferencePrice(book, priceTicks);
    const ref = this.refTicks[book];
    const mul = this.lim.unitMul[book];
    this.st.fill(takerAccount, book, takerSide === Side.BUY, qty, ref, mul);
    this.st.fill(makerAccount, book, takerSide !== Side.BUY, qty, ref, mul);
  }

  onOrderStatus(
    _orderId: number,
    book: number,
    side: number,
    account: number,
    prevStatus: number,
    status: number,
    _reason: number,
    _filledQty: number,
    remainingQty: number,
    _filledNotional: number,
  ): void {
    let delta: number;
    if (prevStatus === OrderStatus.NONE && (status === OrderStatus.NEW || status === OrderStatus.PENDING)) {
      delta = remainingQty;
    } else if (status === OrderStatus.CANCELLED && prevStatus !== OrderStatus.NONE) {
      delta = -remainingQty;
    } else {
      return;
    }
    if (book >>> 0 !== book || book >= this.nSym) return;
    this.st.addOpen(account, book, side === Side.BUY, delta, this.refTicks[book], this.lim.unitMul[book]);
  }

  /** Position of `account` in `book`, lots (+ long, - short). */
  positionLots(account: number, book: number): number {
    return this.st.pos[account * this.nSym + book] ?? 0;
  }

  /** Open (resting or pending) quantity of `account` in `book` on `side`, lots. */
  openLots(account: number, book: number, side: number): number {
    const k = account * this.nSym + book;
    return (side === Side.BUY ? this.st.openBuy[k] : this.st.openSell[k]) ?? 0;
  }

  /** Gross exposure of `account` at current reference prices, in the currency. */
  grossExposure(account: number): number {
    if (account >>> 0 !== account || account >= this.st.capacity) return 0;
    this.st.revalue(account, this.refTicks, this.lim.unitMul, this.refVersion);
    return this.lim.unitsToMoney(this.st.exposure[account]);
  }

  /** JSON-friendly positions per account (GET /positions); `account` filters to one account id. */
  positions(account?: string): AccountExposure[] {
    return positionsSnapshot(this, { account });
  }

  /** Tokens left in `account`'s bucket as of its last check (not refilled here). */
  tokensLeft(account: number): number {
    return this.st.tokens[account] ?? 0;
  }
}
