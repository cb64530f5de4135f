/**
 * The order pool: every live order of one matching engine as a slot in struct-of-arrays
 * typed storage, recycled through a free list, so accepting an order allocates nothing.
 *
 * Order ids encode the slot and the slot's generation (id = gen * ID_SLOTS + slot), so
 * looking an order up by id is O(1) and a stale id (a slot since reused) is detected.
 * The pool grows by doubling (the only allocation, amortised) up to ID_SLOTS slots.
 */
import { ID_SLOTS } from './engine-types.ts';

export const NIL = -1;
/** Largest slot generation: keeps every id (gen * ID_SLOTS + slot) below 2^53; then it wraps to 1. */
const MAX_GEN = 2 ** 29 - 1;

export class OrderPool {
  capacity: number;
  // Per-slot fields. Prices are ticks, quantities lots; notional is ticks x lots.
  book!: Int32Array;
  account!: Int32Array;
  side!: Uint8Array;
  type!: Uint8Array;
  status!: Uint8Array;
  gen!: Int32Array;
  /** Limit price, or the trigger of a stop. */
  price!: Float64Array;
  qty!: Float64Array;
  remaining!: Float64Array;
  filledNotional!: Float64Array;
  /** Arrival sequence inside the engine: time priority for stops. */
  seq!: Float64Array;
  /** Intrusive FIFO links within a price level. */
  next!: Int32Array;
  prev!: Int32Array;
  /** The price level a resting order sits in, or the heap position of a pending stop. */
  level!: Int32Array;
  private free!: Int32Array;
  private freeTop = 0;
  live = 0;
  /**
   * Generation every never-used slot starts from (ids it hands out are above every id of a
   * previous run that was moved aside with `--fresh`).
   */
  readonly genBase: number;

  constructor(initialCapacity = 1 << 16, genBase = 0) {
    this.capacity = 0;
    this.genBase = genBase >= 0 && genBase < MAX_GEN ? Math.floor(genBase) : 0;
    this.grow(Math.max(16, initialCapacity));
  }

  /** The free list, next-to-hand-out last (a copy; for snapshots). */
  freeList(): Int32Array {
    return this.free.slice(0, this.freeTop);
  }

  /**
   * Restores the slot layout of a snapshot: capacity, every slot's generation and the free
   * list. Live slots' fields are then set by the caller (status non-zero), `live` with them.
   */
  restoreLayout(capacity: number, gen: Int32Array, free: Int32Array): void {
    if (capacity > this.capacity) this.grow(capacity);
    this.gen.set(gen.subarray(0, Math.min(gen.length, this.capacity)));
    this.free.set(free);
    this.freeTop = free.length;
    this.live = 0;
  }

  /** A fresh slot (generation bumped), or NIL when the pool is at its hard limit. */
  acquire(): number {
    if (this.freeTop === 0) {
      if (this.capacity >= ID_SLOTS) return NIL;
      this.grow(Math.min(ID_SLOTS, this.capacity * 2));
    }
    const slot = this.free[--this.freeTop];
    const gen = this.gen[slot] + 1;
    this.gen[slot] = gen > MAX_GEN ? 1 : gen;
    this.live++;
    return slot;
  }

  release(slot: number): void {
    this.free[this.freeTop++] = slot;
    this.next[slot] = NIL;
    this.prev[slot] = NIL;
    this.level[slot] = NIL;
    this.status[slot] = 0;
    this.live--;
  }

  idOf(slot: number): number {
    return this.gen[slot] * ID_SLOTS + slot;
  }

  /** The slot of a live order id, or NIL for an unknown or stale id. */
  slotOf(id: number): number {
    if (!(id >= ID_SLOTS) || !Number.isInteger(id)) return NIL;
    const slot = id % ID_SLOTS;
    if (slot >= this.capacity || this.gen[slot] !== (id - slot) / ID_SLOTS || this.status[slot] === 0)
      return NIL;
    return slot;
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    this.book = growI32(this.book, capacity);
    this.account = growI32(this.account, capacity);
    this.side = growU8(this.side, capacity);
    this.type = growU8(this.type, capacity);
    this.status = growU8(this.status, capacity);
    this.gen = growI32(this.gen, capacity, 0, this.genBase, old);
    this.price = growF64(this.price, capacity);
    this.qty = growF64(this.qty, capacity);
    this.remaining = growF64(this.remaining, capacity);
    this.filledNotional = growF64(this.filledNotional, capacity);
    this.seq = growF64(this.seq, capacity);
    this.next = growI32(this.next, capacity, NIL);
    this.prev = growI32(this.prev, capacity, NIL);
    this.level = growI32(this.level, capacity, NIL);
    const free = new Int32Array(capacity);
    if (this.free !== undefined) free.set(this.free.subarray(0, this.freeTop));
    // Push new slots so that the lowest slot is handed out first (deterministic order).
    for (let s = capacity - 1; s >= old; s--) free[this.freeTop++] = s;
    this.free = free;
    this.capacity = capacity;
  }
}

function growI32(a: Int32Array | undefined, n: number, fill = 0, newFill = 0, from = 0): Int32Array {
  const b = new Int32Array(n);
  if (fill !== 0) b.fill(fill);
  if (newFill !== 0) b.fill(newFill, from);
  if (a !== undefined) b.set(a);
  return b;
}
function growU8(a: Uint8Array | undefined, n: number): Uint8Array {
  const b = new Uint8Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
function growF64(a: Float64Array | undefined, n: number): Float64Array {
  const b = new Float64Array(n);
  if (a !== undefined) b.set(a);
  return b;
}
