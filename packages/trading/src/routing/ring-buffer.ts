/**
 * A single-producer single-consumer ring of fixed-size records in a SharedArrayBuffer,
 * for exactly two threads. Each thread attaches its own SpscRing object to the same SAB.
 *
 * Layout (Int32 control words, each on its own 64-byte line, then the slots):
 *   byte   0  i32 head      records published (producer writes; wraps at 2^32)
 *   byte  64  i32 tail      records consumed (consumer writes)
 *   byte 128  i32 waiting   1 while the consumer sleeps on `head` (Atomics.wait/waitAsync)
 *   byte 192  capacity x recordSize bytes of slots; slot of record n = n & (capacity - 1)
 *
 * The producer notifies only when the consumer has announced that it sleeps: the consumer
 * stores waiting=1 and then waits on the head it last saw, the producer stores head and
 * then loads waiting; sequentially consistent atomics make a lost wake-up impossible.
 */

const HEAD = 0;
const TAIL = 16;
const WAITING = 32;
export const RING_HEADER_BYTES = 192;

export class SpscRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  readonly recordSize: number;
  /** DataView over the whole SAB; record offsets below are byte offsets into it. */
  readonly view: DataView;
  private readonly ctl: Int32Array;
  private readonly mask: number;
  /** Producer's copy of head / consumer's copy of tail. */
  private head: number;
  private tail: number;

  constructor(sab: SharedArrayBuffer, recordSize: number) {
    const capacity = (sab.byteLength - RING_HEADER_BYTES) / recordSize;
    if (!Number.isInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError('ring buffer: capacity must be a power of two');
    }
    this.sab = sab;
    this.capacity = capacity;
    this.recordSize = recordSize;
    this.mask = capacity - 1;
    this.view = new DataView(sab);
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.head = Atomics.load(this.ctl, HEAD);
    this.tail = Atomics.load(this.ctl, TAIL);
  }

  /** A SharedArrayBuffer for a ring of `capacity` (a power of two) records. */
  static allocate(capacity: number, recordSize: number): SharedArrayBuffer {
    return new SharedArrayBuffer(RING_HEADER_BYTES + capacity * recordSize);
  }

  // ---- producer side ----

  /** Byte offset of the next free slot, or -1 if the ring is full. Fill it, then publish(). */
  claim(): number {
    if (((this.head - Atomics.load(this.ctl, TAIL)) | 0) >= this.capacity) return -1;
    return RING_HEADER_BYTES + (this.head & this.mask) * this.recordSize;
  }

  /** Makes the claimed slot visible; wakes a sleeping consumer. True if the consumer was asleep. */
  publish(): boolean {
    this.head = (this.head + 1) | 0;
    Atomics.store(this.ctl, HEAD, this.head);
    if (Atomics.load(this.ctl, WAITING) === 0) return false;
    Atomics.notify(this.ctl, HEAD);
    return true;
  }

  /** Records published and not yet consumed (producer's view). */
  inFlight(): number {
    return (this.head - Atomics.load(this.ctl, TAIL)) | 0;
  }

  // ---- consumer side ----

  /** Byte offset of the oldest unread record, or -1 if empty. Read it, then release(). */
  peek(): number {
    if (Atomics.load(this.ctl, HEAD) === this.tail) return -1;
    return RING_HEADER_BYTES + (this.tail & this.mask) * this.recordSize;
  }

  /** Frees the slot returned by peek(). */
  release(): void {
    this.tail = (this.tail + 1) | 0;
    Atomics.store(this.ctl, TAIL, this.tail);
  }

  /** Blocks this thread (not the main thread) until a record is there or `timeoutMs` passes. */
  waitSync(timeoutMs = Number.POSITIVE_INFINITY): void {
    Atomics.store(this.ctl, WAITING, 1);
    if (Atomics.load(this.ctl, HEAD) === this.tail) Atomics.wait(this.ctl, HEAD, this.tail, timeoutMs);
    Atomics.store(this.ctl, WAITING, 0);
  }

  /**
   * Resolves when a record may be there (or at once if one is); call `doneWaiting()` after.
   * Returns null if a record is already readable.
   */
  waitAsync(): Promise<unknown> | null {
    Atomics.store(this.ctl, WAITING, 1);
    const w = Atomics.waitAsync(this.ctl, HEAD, this.tail);
    return w.async ? w.value : null;
  }

  doneWaiting(): void {
    Atomics.store(this.ctl, WAITING, 0);
  }

  /** Wakes every waiter on this ring (e.g. to shut down). */
  wakeAll(): void {
    Atomics.notify(this.ctl, HEAD);
  }
}
