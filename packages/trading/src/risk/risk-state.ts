/**
 * Per-account risk state, struct-of-arrays. Cell k = account * nSym + symbol holds the
 * position and open quantities in lots; per account we keep the gross exposure, a held
 * list and the token bucket. Arrays grow (doubling) with the AccountRegistry.
 *
 * Gross exposure, incrementally and allocation-free. With U[a,s] = |pos| + openBuy +
 * openSell (lots), E[a] = sum over s of U[a,s] x ref[s] x unitMul[s]. We keep:
 *  - contrib[k]: U[a,s] valued at valRef[k], the reference it was last valued at, and the
 *    invariant exposure[a] = sum over s of contrib[a,s] (exact: integers in doubles);
 *  - held[a]: the dense list of symbols with U > 0 (swap-remove; heldSlot[k] = slot + 1);
 *  - refVersion (engine-wide, bumped on every reference price change) and version[a],
 *    the refVersion at which every contrib of account a was last brought up to date.
 * A fill or an order status change re-values just that cell (touch: O(1)). A reference
 * change costs O(1) (a counter bump), not O(accounts holding the symbol): the next check
 * of an account whose version is behind re-values its held symbols (revalue: O(symbols
 * held, usually a handful)); when no price moved it is O(1). A symbol without a
 * reference yet is valued, per cell, at provRef[k]: the highest limit price or stop trigger
 * of the account's orders on it that the check passed (see RiskEngine.check), so open
 * orders are never valued at zero for want of market data.
 */

export class RiskState {
  readonly nSym: number;
  capacity = 0;
  pos: Float64Array = new Float64Array(0);
  openBuy: Float64Array = new Float64Array(0);
  openSell: Float64Array = new Float64Array(0);
  contrib: Float64Array = new Float64Array(0);
  valRef: Float64Array = new Float64Array(0);
  /** Per cell: the valuation while the symbol has no reference (ticks; 0 = none). */
  provRef: Float64Array = new Float64Array(0);
  heldSlot: Int32Array = new Int32Array(0);
  held: Int32Array = new Int32Array(0);
  heldCount: Int32Array = new Int32Array(0);
  exposure: Float64Array = new Float64Array(0);
  version: Float64Array = new Float64Array(0);
  tokens: Float64Array = new Float64Array(0);
  lastMs: Float64Array = new Float64Array(0);

  constructor(nSym: number, capacity: number, burst: number) {
    this.nSym = nSym;
    this.grow(capacity, burst);
  }

  /** Grows every array to `capacity` accounts; new accounts start with a full bucket. */
  grow(capacity: number, burst: number): void {
    if (capacity <= this.capacity) return;
    const old = this.capacity;
    const cells = capacity * this.nSym;
    this.pos = growF64(this.pos, cells);
    this.openBuy = growF64(this.openBuy, cells);
    this.openSell = growF64(this.openSell, cells);
    this.contrib = growF64(this.contrib, cells);
    this.valRef = growF64(this.valRef, cells);
    this.provRef = growF64(this.provRef, cells);
    this.heldSlot = growI32(this.heldSlot, cells);
    this.held = growI32(this.held, cells);
    this.heldCount = growI32(this.heldCount, capacity);
    this.exposure = growF64(this.exposure, capacity);
    this.version = growF64(this.version, capacity);
    this.tokens = growF64(this.tokens, capacity);
    this.lastMs = growF64(this.lastMs, capacity);
    this.tokens.fill(burst, old);
    this.lastMs.fill(Number.NEGATIVE_INFINITY, old);
    this.capacity = capacity;
  }

  /** A fill of `qty` lots for account `a` (ignored when out of range): position moves, open shrinks. */
  fill(a: number, s: number, buy: boolean, qty: number, ref: number, unitMul: number): void {
    if (a >>> 0 !== a || a >= this.capacity) return;
    const k = a * this.nSym + s;
    const open = buy ? this.openBuy : this.openSell;
    this.pos[k] += buy ? qty : -qty;
    open[k] = open[k] > qty ? open[k] - qty : 0;
    this.touch(a, s, ref, unitMul);
  }

  /** Open quantity of account `a` on one side changes by `delta` lots (never below 0). */
  addOpen(a: number, s: number, buy: boolean, delta: number, ref: number, unitMul: number): void {
    if (a >>> 0 !== a || a >= this.capacity) return;
    const k = a * this.nSym + s;
    const open = buy ? this.openBuy : this.openSell;
    open[k] = Math.max(open[k] + delta, 0);
    this.touch(a, s, ref, unitMul);
  }

  /**
   * Adds whole quantities to cell (a, s) (a rebuild from another process's state: position
   * and open quantities, lots); open quantities never go below 0.
   */
  addCell(
    a: number,
    s: number,
    pos: number,
    openBuy: number,
    openSell: number,
    ref: number,
    unitMul: number,
  ): void {
    if (a >>> 0 !== a || a >= this.capacity) return;
    const k = a * this.nSym + s;
    this.pos[k] += pos;
    this.openBuy[k] = Math.max(this.openBuy[k] + openBuy, 0);
    this.openSell[k] = Math.max(this.openSell[k] + openSell, 0);
    this.touch(a, s, ref, unitMul);
  }

  /** Forgets every position and open quantity (a rebuild starts here); rate buckets are kept. */
  clearPositions(): void {
    this.pos.fill(0);
    this.openBuy.fill(0);
    this.openSell.fill(0);
    this.contrib.fill(0);
    this.valRef.fill(0);
    this.provRef.fill(0);
    this.heldSlot.fill(0);
    this.held.fill(0);
    this.heldCount.fill(0);
    this.exposure.fill(0);
  }

  /**
   * Re-values cell (a, s) at reference `ref` (0 = none: the cell's provRef) after its
   * quantities changed; keeps the held list.
   */
  touch(a: number, s: number, refTicks: number, unitMul: number): void {
    const k = a * this.nSym + s;
    const ref = refTicks > 0 ? refTicks : this.provRef[k];
    const p = this.pos[k];
    const u = (p < 0 ? -p : p) + this.openBuy[k] + this.openSell[k];
    const c = u * ref * unitMul;
    this.exposure[a] += c - this.contrib[k];
    this.contrib[k] = c;
    this.valRef[k] = ref;
    const slot1 = this.heldSlot[k];
    if (u > 0) {
      if (slot1 === 0) {
        const n = this.heldCount[a];
        this.held[a * this.nSym + n] = s;
        this.heldSlot[k] = n + 1;
        this.heldCount[a] = n + 1;
      }
    } else if (slot1 !== 0) {
      const base = a * this.nSym;
      const last = this.heldCount[a] - 1;
      const moved = this.held[base + last];
      this.held[base + slot1 - 1] = moved;
      this.heldSlot[base + moved] = slot1;
      this.heldSlot[k] = 0;
      this.heldCount[a] = last;
    }
  }

  /** Brings every held cell of account `a` to the current references; exposure[a] = the fresh sum. */
  revalue(a: number, refs: Float64Array, unitMul: Float64Array, refVersion: number): void {
    const base = a * this.nSym;
    const n = this.heldCount[a];
    let e = 0;
    for (let i = 0; i < n; i++) {
      const s = this.held[base + i];
      const k = base + s;
      const r = refs[s] > 0 ? refs[s] : this.provRef[k];
      if (this.valRef[k] !== r) {
        const p = this.pos[k];
        this.contrib[k] = ((p < 0 ? -p : p) + this.openBuy[k] + this.openSell[k]) * r * unitMul[s];
        this.valRef[k] = r;
      }
      e += this.contrib[k];
    }
    this.exposure[a] = e;
    this.version[a] = refVersion;
  }
}

function growF64(a: Float64Array, n: number): Float64Array {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
