/**
 * Small tools shared by the micro-benchmarks: a seeded PRNG, an allocation-free
 * nanosecond histogram, a GC counter, medians, and strict `--flags` (parseFlags).
 */

import { resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The seeded PRNG every benchmark uses (@tickstorm/protocol). */
export { seededRandom as prng } from '@tickstorm/protocol';

/** Nanosecond histogram with 1 ns buckets up to `limitNs`, an overflow count and the max. Records allocate nothing. */
export class NsHistogram {
  private readonly buckets: Float64Array;
  count = 0;
  max = 0;
  constructor(private readonly limitNs = 100_000) {
    this.buckets = new Float64Array(limitNs);
  }
  record(ns: number): void {
    const v = Math.max(0, ns);
    if (v < this.limitNs) this.buckets[v | 0]++;
    if (v > this.max) this.max = v;
    this.count++;
  }
  percentile(p: number): number {
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.limitNs; i++) {
      seen += this.buckets[i];
      if (seen >= target) return i;
    }
    return this.max;
  }
}

/** Counts garbage collections whose start falls inside [start, end) of performance.now() time. */
export class GcCounter {
  private readonly starts: number[] = [];
  private readonly observer: PerformanceObserver;
  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.starts.push(e.startTime);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }
  /** Waits for pending GC entries to be delivered, then counts those in the window. */
  async countBetween(start: number, end: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 20));
    return this.starts.filter((t) => t >= start && t < end).length;
  }
  close(): void {
    this.observer.disconnect();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >>> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Cost in ns of one `performance.now()` read in a loop like the timed ones: the median
 * delta between back-to-back reads, subtracted from per-operation samples.
 */
export function clockOverheadNs(samples = 200_000): number {
  const h = new NsHistogram(10_000);
  let prev = performance.now();
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    h.record((t - prev) * 1e6);
    prev = t;
  }
  return h.percentile(50);
}

export { badFlag, type FlagSpec, type FlagValues, parseFlags } from './bench-flags.ts';

/** True when `url` (import.meta.url) is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === resolve(process.argv[1]);
}
