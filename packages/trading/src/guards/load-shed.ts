/**
 * Overload shedding for order entry: while the event loop runs late (a timer due every
 * `intervalMs` fires more than `maxLagMs` late, i.e. requests wait that long to be read), new
 * orders are answered 503 TRD_ERR_OVERLOADED + Retry-After at once, which costs far less than
 * taking them, so the backlog drains and every request still gets an answer. The in-flight
 * bound of the gateway (ABC_MAX_CONCURRENT_REQUESTS) stays as a second limit.
 */
export interface LoadShedOptions {
  /** Lag (ms) at which shedding starts (default 50). */
  maxLagMs: number;
  /** Probe period (ms, default 10). */
  intervalMs: number;
  /** Shedding stays on this long after the last late probe (ms, default 200). */
  holdMs: number;
  /** Late probes in a row before shedding starts (default 3: one long pause, e.g. a start, is not overload). */
  consecutive: number;
}

export const LOAD_SHED_DEFAULTS: LoadShedOptions = {
  maxLagMs: 50,
  intervalMs: 10,
  holdMs: 200,
  consecutive: 3,
};

export class LoadShed {
  readonly o: LoadShedOptions;
  /** Read on the hot path: a plain field. */
  shedding = false;
  shed = 0;
  lastLagMs = 0;
  private expected: number;
  private until = 0;
  private late = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: Partial<LoadShedOptions> = {}) {
    this.o = { ...LOAD_SHED_DEFAULTS, ...opts };
    this.expected = performance.now() + this.o.intervalMs;
    this.timer = setInterval(this.probe, this.o.intervalMs);
    this.timer.unref();
  }

  private readonly probe = (): void => {
    const now = performance.now();
    const lag = now - this.expected;
    this.expected = now + this.o.intervalMs;
    this.lastLagMs = lag;
    if (lag > this.o.maxLagMs) {
      if (++this.late >= this.o.consecutive) {
        this.shedding = true;
        this.until = now + this.o.holdMs;
      }
      return;
    }
    this.late = 0;
    if (this.shedding && now > this.until) {
      this.shedding = false;
    }
  };

  stop(): void {
    clearInterval(this.timer);
    this.shedding = false;
  }
}
