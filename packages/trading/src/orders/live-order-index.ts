/**
 * The live (open) orders in listing order, shard then engine id, for `GET /orders`: a page
 * starts at its cursor by binary search and reads only the page, whatever the number of kept
 * orders (up to 200,000 finished ones are kept beside the live ones, and scanning and sorting
 * them all per page stalled order entry for tens of ms).
 *
 * Engine ids are not issued in increasing order (id = generation x ID_SLOTS + slot, and freed
 * slots are reused), so a new order may fall anywhere: the records are kept in sorted chunks
 * of at most CHUNK (a two-level sorted list). Adding or removing one is a binary search over
 * the chunks' last keys plus a splice inside one chunk; no allocation but the occasional split.
 */
import type { OrderRecord } from './order-record.ts';

/** Largest chunk; a full one is split in two. */
const CHUNK = 64;

/** A position in listing order (exclusive cursor). */
export interface ListingKey {
  readonly shard: number;
  readonly engineId: number;
}

/** <0, 0, >0 as `a` sorts before, with or after `b`. */
function compare(a: ListingKey, b: ListingKey): number {
  return a.shard !== b.shard ? a.shard - b.shard : a.engineId - b.engineId;
}

export class LiveOrderIndex {
  private readonly chunks: OrderRecord[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The first chunk whose last record sorts at or after `key` (chunks.length if none). */
  private chunkFor(key: ListingKey): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid];
      if (compare(c[c.length - 1], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** In `chunk`, the first position whose record sorts after `key` (`strict`) or at/after it. */
  private static position(chunk: OrderRecord[], key: ListingKey, strict: boolean): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = compare(chunk[mid], key);
      if (d < 0 || (strict && d === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(rec: OrderRecord): void {
    this.count++;
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([rec]);
      return;
    }
    // Past every chunk's last key: it goes at the end of the last chunk.
    const ci = Math.min(this.chunkFor(rec), chunks.length - 1);
    const c = chunks[ci];
    const at = LiveOrderIndex.position(c, rec, false);
    // Shifted by hand: splice allocates the (empty) array of what it removed.
    for (let j = c.length; j > at; j--) c[j] = c[j - 1];
    c[at] = rec;
    if (c.length > CHUNK) chunks.splice(ci + 1, 0, c.splice(CHUNK >>> 1));
  }

  /** Removes `rec` (by identity); false when it is not here. */
  delete(rec: OrderRecord): boolean {
    const ci = this.chunkFor(rec);
    const c = this.chunks[ci];
    if (c === undefined) return false;
    const at = LiveOrderIndex.position(c, rec, false);
    if (c[at] !== rec) return false;
    this.count--;
    const last = c.length - 1;
    for (let j = at; j < last; j++) c[j] = c[j + 1];
    c.pop();
    if (last === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /**
   * Up to `limit` records after `after` (exclusive; from the first without it) that `keep`
   * accepts, in listing order, appended to `out`.
   */
  page(
    limit: number,
    after: ListingKey | undefined,
    out: OrderRecord[] = [],
    keep?: (rec: OrderRecord) => boolean,
  ): OrderRecord[] {
    const chunks = this.chunks;
    let ci = after === undefined ? 0 : this.chunkFor(after);
    let at = ci < chunks.length && after !== undefined ? LiveOrderIndex.position(chunks[ci], after, true) : 0;
    let taken = 0;
    for (; ci < chunks.length && taken < limit; ci++, at = 0) {
      const c = chunks[ci];
      for (; at < c.length && taken < limit; at++) {
        if (keep !== undefined && !keep(c[at])) continue;
        out.push(c[at]);
        taken++;
      }
    }
    return out;
  }

  /** Every record, in listing order (allocates). */
  all(): OrderRecord[] {
    return this.chunks.flat();
  }
}
