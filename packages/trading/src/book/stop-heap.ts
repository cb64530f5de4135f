/**
 * Pending stop orders of one side of one book: an indexed binary heap of pool slots.
 * Buy stops pop lowest trigger first (they fire as the price rises), sell stops highest
 * trigger first; equal triggers pop in arrival order. Each slot's heap position is kept
 * in the pool (`pool.level`), so cancelling a pending stop is O(log n), with no tombstones.
 */
import { NIL, type OrderPool } from './order-pool.ts';

export class StopHeap {
  private heap = new Int32Array(64);
  size = 0;

  constructor(
    private readonly pool: OrderPool,
    /** +1: lowest trigger first (buy stops); -1: highest first (sell stops). */
    private readonly dir: 1 | -1,
  ) {}

  peek(): number {
    return this.size === 0 ? NIL : this.heap[0];
  }

  push(slot: number): void {
    if (this.size === this.heap.length) {
      const h = new Int32Array(this.heap.length * 2);
      h.set(this.heap);
      this.heap = h;
    }
    this.heap[this.size] = slot;
    this.pool.level[slot] = this.size;
    this.up(this.size++);
  }

  pop(): number {
    const top = this.heap[0];
    this.removeAt(0);
    return top;
  }

  remove(slot: number): void {
    this.removeAt(this.pool.level[slot]);
  }

  /** Slots in pop order (allocates; for snapshots and tests). */
  ordered(): number[] {
    const pool = this.pool;
    return Array.from(this.heap.subarray(0, this.size)).sort((a, b) =>
      pool.price[a] !== pool.price[b]
        ? this.dir * (pool.price[a] - pool.price[b])
        : pool.seq[a] - pool.seq[b],
    );
  }

  private removeAt(pos: number): void {
    const removed = this.heap[pos];
    const last = this.heap[--this.size];
    this.pool.level[removed] = NIL;
    if (pos === this.size) return;
    this.heap[pos] = last;
    this.pool.level[last] = pos;
    this.up(pos);
    this.down(this.pool.level[last]);
  }

  private before(a: number, b: number): boolean {
    const pa = this.pool.price[a];
    const pb = this.pool.price[b];
    if (pa !== pb) return this.dir === 1 ? pa < pb : pa > pb;
    return this.pool.seq[a] < this.pool.seq[b];
  }

  private up(pos: number): void {
    const heap = this.heap;
    const slot = heap[pos];
    while (pos > 0) {
      const parent = (pos - 1) >>> 1;
      if (!this.before(slot, heap[parent])) break;
      heap[pos] = heap[parent];
      this.pool.level[heap[pos]] = pos;
      pos = parent;
    }
    heap[pos] = slot;
    this.pool.level[slot] = pos;
  }

  private down(pos: number): void {
    const heap = this.heap;
    const slot = heap[pos];
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const child = r < this.size && this.before(heap[r], heap[l]) ? r : l;
      if (!this.before(heap[child], slot)) break;
      heap[pos] = heap[child];
      this.pool.level[heap[pos]] = pos;
      pos = child;
    }
    heap[pos] = slot;
    this.pool.level[slot] = pos;
  }
}
