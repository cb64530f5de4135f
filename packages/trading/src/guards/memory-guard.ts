/**
 * Load shedding before ABC_MEMORY_LIMIT: a cheap unref'd timer samples the process RSS; above
 * the high-water mark (default 90% of the limit) `shedding` turns on and the api answers its
 * agent endpoints and POST /api/metrics with 503 TRD_ERR_MEMORY_PRESSURE + Retry-After; it turns
 * off once RSS is back under the low-water mark (default 80%). Hysteresis keeps it from
 * flapping. The guard never throws: a failing reader keeps the last state.
 *
 *   const g = new MemoryGuard({ limitBytes: 2 * 1024 ** 3 });  g.shedding;  g.stop();
 */

export interface MemoryGuardOptions {
  limitBytes: number;
  /** Fraction of the limit above which load is shed (default 0.9). */
  highWater?: number;
  /** Fraction of the limit under which shedding stops (default 0.8). */
  lowWater?: number;
  /** Sampling period (default 500 ms); 0 = no timer (call `sample()`). */
  intervalMs?: number;
  /** Resident set size in bytes (default process.memoryUsage.rss; tests inject a fake). */
  readRss?: () => number;
}

export interface MemoryGuardState {
  status: 'ok' | 'shedding';
  rssBytes: number;
  limitBytes: number;
  highWaterBytes: number;
  lowWaterBytes: number;
  shedding: boolean;
  /** Times shedding was switched on since start. */
  sheddingEpisodes: number;
  /** Requests refused because of memory since start. */
  refused: number;
}

export class MemoryGuard {
  readonly limitBytes: number;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  shedding = false;
  rssBytes = 0;
  private episodes = 0;
  private refusedCount = 0;
  private readonly readRss: () => number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(o: MemoryGuardOptions) {
    const high = o.highWater ?? 0.9;
    const low = o.lowWater ?? 0.8;
    if (!(o.limitBytes > 0) || !(high > 0 && high <= 1) || !(low > 0 && low < high)) {
      throw new RangeError('memory guard: limitBytes > 0 and 0 < lowWater < highWater <= 1 required');
    }
    this.limitBytes = o.limitBytes;
    this.highWaterBytes = Math.floor(o.limitBytes * high);
    this.lowWaterBytes = Math.floor(o.limitBytes * low);
    this.readRss = o.readRss ?? (() => process.memoryUsage.rss());
    this.sample();
    const every = o.intervalMs ?? 500;
    if (every > 0) {
      this.timer = setInterval(() => this.sample(), every);
      this.timer.unref();
    }
  }

  /** Reads RSS once and updates `shedding` (the timer calls this; tests call it directly). */
  sample(): void {
    let rss: number;
    try {
      rss = this.readRss();
    } catch {
      return;
    }
    if (!Number.isFinite(rss)) return;
    this.rssBytes = rss;
    if (!this.shedding && rss >= this.highWaterBytes) {
      this.shedding = true;
      this.episodes++;
    } else if (this.shedding && rss < this.lowWaterBytes) {
      this.shedding = false;
    }
  }

  /** Counts a refused request (for /health). */
  refused(): void {
    this.refusedCount++;
  }

  state(): MemoryGuardState {
    return {
      status: this.shedding ? 'shedding' : 'ok',
      rssBytes: this.rssBytes,
      limitBytes: this.limitBytes,
      highWaterBytes: this.highWaterBytes,
      lowWaterBytes: this.lowWaterBytes,
      shedding: this.shedding,
      sheddingEpisodes: this.episodes,
      refused: this.refusedCount,
    };
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}
