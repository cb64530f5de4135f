/**
 * A two-level bitset over ladder slots: which price levels are non-empty. Finding the
 * next non-empty level above or below a slot touches at most a few words (32 slots per
 * word, 1,024 per summary word), whatever the gap between levels.
 */
export class LevelBitset {
  private readonly words: Uint32Array;
  private readonly summary: Uint32Array;

  constructor(readonly size: number) {
    this.words = new Uint32Array(size >>> 5);
    this.summary = new Uint32Array(Math.max(1, size >>> 10));
  }

  set(i: number): void {
    const w = i >>> 5;
    this.words[w] |= 1 << (i & 31);
    this.summary[w >>> 5] |= 1 << (w & 31);
  }

  clear(i: number): void {
    const w = i >>> 5;
    const v = this.words[w] & ~(1 << (i & 31));
    this.words[w] = v;
    if (v === 0) this.summary[w >>> 5] &= ~(1 << (w & 31));
  }

  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Lowest set index >= i, or -1. */
  nextAtOrAbove(i: number): number {
    if (i >= this.size) return -1;
    if (i < 0) i = 0;
    let w = i >>> 5;
    let bits = this.words[w] & (~0 << (i & 31));
    if (bits !== 0) return (w << 5) + ctz(bits);
    w++;
    if (w >= this.words.length) return -1;
    let s = w >>> 5;
    let sb = this.summary[s] & (~0 << (w & 31));
    while (sb === 0) {
      if (++s >= this.summary.length) return -1;
      sb = this.summary[s];
    }
    w = (s << 5) + ctz(sb);
    bits = this.words[w];
    return (w << 5) + ctz(bits);
  }

  /** Highest set index <= i, or -1. */
  nextAtOrBelow(i: number): number {
    if (i < 0) return -1;
    if (i >= this.size) i = this.size - 1;
    let w = i >>> 5;
    const b = i & 31;
    let bits = this.words[w] & (b === 31 ? ~0 : (1 << (b + 1)) - 1);
    if (bits !== 0) return (w << 5) + 31 - Math.clz32(bits);
    if (w === 0) return -1;
    w--;
    let s = w >>> 5;
    const sbit = w & 31;
    let sb = this.summary[s] & (sbit === 31 ? ~0 : (1 << (sbit + 1)) - 1);
    while (sb === 0) {
      if (--s < 0) return -1;
      sb = this.summary[s];
    }
    w = (s << 5) + 31 - Math.clz32(sb);
    bits = this.words[w];
    return (w << 5) + 31 - Math.clz32(bits);
  }
}

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
