/**
 * The open model's absolute schedule. The arrival rate r(t) is piecewise linear (one segment
 * per stage); N(t) = integral of r from the start. Global iteration g is intended at the time
 * N(t) = g (g = 0 at t = 0; constant rate: t = g / rate), computed from the start, never by
 * accumulating intervals, so there is no drift. A thread that runs worker `offset` of `stride`
 * takes the iterations g = offset, offset + stride, ... (k6's execution segments): the
 * workers' schedules interleave into exactly the global one.
 */
import type { RateSegment } from './executor-options.ts';

export class ArrivalSchedule {
  /** Segment bounds in µs and rates in iterations/µs. */
  private readonly t0: Float64Array;
  private readonly n0: Float64Array;
  private readonly r0: Float64Array;
  private readonly r1: Float64Array;
  private readonly dur: Float64Array;
  readonly totalUs: number;
  /** Iterations of the whole (global) schedule: those intended before the end. */
  readonly totalIterations: number;
  private seg = 0;
  private g: number;

  constructor(
    segments: readonly RateSegment[],
    private readonly offset = 0,
    private readonly stride = 1,
  ) {
    const n = segments.length;
    this.t0 = new Float64Array(n);
    this.n0 = new Float64Array(n);
    this.r0 = new Float64Array(n);
    this.r1 = new Float64Array(n);
    this.dur = new Float64Array(n);
    let t = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const s = segments[i];
      const d = s.ms * 1000;
      this.t0[i] = t;
      this.n0[i] = count;
      this.r0[i] = s.from / 1e6;
      this.r1[i] = s.to / 1e6;
      this.dur[i] = d;
      t += d;
      count += ((s.from + s.to) / 2) * (s.ms / 1000);
    }
    this.totalUs = t;
    // Iterations g with N^-1(g) < total: g = 0 .. ceil(N(total)) - 1 (tolerating float noise).
    const c = Math.round(count * 1e9) / 1e9;
    this.totalIterations = Math.ceil(c);
    this.g = offset;
  }

  /** Intended offset (µs from the start) of this thread's next iteration, or -1 at the end. */
  next(): number {
    const g = this.g;
    const t = this.timeOf(g);
    if (t >= 0) this.g = g + this.stride;
    return t;
  }

  /** Global iterations this thread has scheduled so far (its share of the run). */
  get scheduled(): number {
    return Math.max(0, Math.ceil((this.g - this.offset) / this.stride));
  }

  /** This thread's iterations over the whole run. */
  get share(): number {
    return Math.max(0, Math.ceil((this.totalIterations - this.offset) / this.stride));
  }

  /** Offset in µs at which global iteration g is due, or -1 when it falls after the end. */
  private timeOf(g: number): number {
    if (g >= this.totalIterations) return -1;
    const n = this.dur.length;
    for (; this.seg < n; this.seg++) {
      const i = this.seg;
      const r0 = this.r0[i];
      const r1 = this.r1[i];
      const d = this.dur[i];
      const inSeg = ((r0 + r1) / 2) * d;
      const k = g - this.n0[i];
      if (k < inSeg || (i === n - 1 && d > 0)) {
        if (k <= 0) return this.t0[i];
        const a = (r1 - r0) / (2 * d);
        // tau solves r0*tau + a*tau^2 = k (stable form; a = 0 is the constant-rate case)
        const tau = a === 0 ? k / r0 : (2 * k) / (r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * k)));
        const t = this.t0[i] + Math.min(tau, d);
        return t < this.totalUs ? t : -1;
      }
    }
    return -1;
  }
}
