/**
 * Events per second over a sliding window of whole seconds, kept in a ring of per-second
 * counters (no arrays grown or shifted). `add` is O(1) and allocation-free.
 */
export class RateMeter {
  private readonly counts: Float64Array;
  private readonly seconds: Float64Array;

  constructor(
    private readonly windowSeconds = 5,
    private readonly now: () => number = Date.now,
  ) {
    this.counts = new Float64Array(windowSeconds + 1);
    this.seconds = new Float64Array(windowSeconds + 1).fill(-1);
  }

  add(n = 1, nowMs = this.now()): void {
    const sec = Math.floor(nowMs / 1000);
    const i = sec % this.counts.length;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.counts[i] = 0;
    }
    this.counts[i] += n;
  }

  /** Mean rate over the last `windowSeconds` complete seconds (the current one excluded). */
  perSecond(nowMs = this.now()): number {
    const cur = Math.floor(nowMs / 1000);
    let total = 0;
    for (let k = 0; k < this.counts.length; k++) {
      const s = this.seconds[k];
      if (s >= cur - this.windowSeconds && s < cur) total += this.counts[k];
    }
    return total / this.windowSeconds;
  }
}
