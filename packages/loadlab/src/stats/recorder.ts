/**
 * LatencyRecorder: the hot-path front of the lab's HdrHistograms. hdr-histogram-js's own
 * `recordValue` costs ~250 ns (log2/pow per value); this records into a Float64Array with
 * EXACTLY the HdrHistogram layout of `createLatencyHistogram()` (1 µs .. 1 h, 3 significant
 * digits: sub-bucket magnitude 10, 23,552 counters) using clz32 and shifts (~5 ns), and
 * tracks the exact count, sum, min and max. `addTo(hdr)` moves the counts into a real
 * HdrHistogram (each bucket's count at the bucket's lowest value, i.e. the same counter), so
 * percentiles, encoding and reports use the library unchanged. Sparse counts carry
 * recorders across threads; adding them is exact (counter by counter).
 */
import { createLatencyHistogram, HIST_HIGHEST_US, type Histogram } from './histogram.ts';

const HALF_MAG = 10; // subBucketHalfCountMagnitude for 3 significant digits, unit 1
const HALF = 1 << HALF_MAG; // 1024
const BUCKETS = 22; // buckets needed to cover 3.6e9 with 2048 sub-buckets
export const RECORDER_LENGTH = (BUCKETS + 1) * HALF; // 23,552

/** Index of `v` (an integer 0 .. 2^32-1) in the HdrHistogram counts array. */
export function hdrIndex(v: number): number {
  const b = 21 - Math.clz32(v); // floor(log2(v)) - HALF_MAG, negative for small values
  if (b <= 0) return v; // bucket 0: index == value (0 .. 2047)
  return ((b + 1) << HALF_MAG) + ((v >>> b) - HALF);
}

/** Lowest value counted by counter `i` (inverse of hdrIndex). */
export function hdrValueAt(i: number): number {
  const bucket = (i >>> HALF_MAG) - 1;
  if (bucket <= 0) return i;
  return ((i & (HALF - 1)) + HALF) * 2 ** bucket;
}

/** Recorder counters in sparse form (structured-cloneable; what workers send). */
export interface SparseCounts {
  idx: Uint32Array;
  cnt: Float64Array;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
}

export class LatencyRecorder {
  readonly counts = new Float64Array(RECORDER_LENGTH);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;
  private lo = RECORDER_LENGTH;
  private hi = -1;

  /** Records one latency in µs (rounded; clamped to 0 .. 1 h). */
  record(us: number): void {
    let v = Math.round(us);
    if (!(v >= 0)) v = 0;
    else if (v > HIST_HIGHEST_US) v = HIST_HIGHEST_US;
    const i = hdrIndex(v);
    this.counts[i]++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    this.count++;
    this.sumUs += v;
    if (v < this.minUs) this.minUs = v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /** Adds this recorder's counts into an HdrHistogram of the lab's layout. */
  addTo(h: Histogram): Histogram {
    const c = this.counts;
    for (let i = this.lo; i <= this.hi; i++) if (c[i] > 0) h.recordValueWithCount(hdrValueAt(i), c[i]);
    return h;
  }

  /** A new HdrHistogram holding these counts. */
  toHistogram(): Histogram {
    return this.addTo(createLatencyHistogram());
  }

  add(other: LatencyRecorder): void {
    const c = this.counts;
    const o = other.counts;
    for (let i = other.lo; i <= other.hi; i++) c[i] += o[i];
    this.mergeMeta(other.lo, other.hi, other.count, other.sumUs, other.minUs, other.maxUs);
  }

  addSparse(s: SparseCounts): void {
    const c = this.counts;
    let lo = RECORDER_LENGTH;
    let hi = -1;
    for (let k = 0; k < s.idx.length; k++) {
      const i = s.idx[k];
      c[i] += s.cnt[k];
      if (i < lo) lo = i;
      if (i > hi) hi = i;
    }
    this.mergeMeta(lo, hi, s.count, s.sumUs, s.minUs, s.maxUs);
  }

  toSparse(): SparseCounts {
    const c = this.counts;
    let n = 0;
    for (let i = this.lo; i <= this.hi; i++) if (c[i] > 0) n++;
    const idx = new Uint32Array(n);
    const cnt = new Float64Array(n);
    n = 0;
    for (let i = this.lo; i <= this.hi; i++) {
      if (c[i] > 0) {
        idx[n] = i;
        cnt[n++] = c[i];
      }
    }
    return { idx, cnt, count: this.count, sumUs: this.sumUs, minUs: this.minUs, maxUs: this.maxUs };
  }

  reset(): void {
    if (this.hi >= this.lo) this.counts.fill(0, this.lo, this.hi + 1);
    this.lo = RECORDER_LENGTH;
    this.hi = -1;
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }

  private mergeMeta(lo: number, hi: number, count: number, sum: number, min: number, max: number): void {
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
    this.count += count;
    this.sumUs += sum;
    if (min < this.minUs) this.minUs = min;
    if (max > this.maxUs) this.maxUs = max;
  }
}
