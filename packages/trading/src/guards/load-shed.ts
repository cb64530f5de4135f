/**
 * Overload shedding for order entry, by measured queueing delay. A probe timer is due every
 * `intervalMs`; how late it runs is how long the event loop kept everything waiting. A new
 * order is answered 503 TRD_ERR_OVERLOADED + Retry-After at once (before its body is read or
 * checked, which costs far less than taking it, so the backlog drains and every request still
 * gets an answer) when either
 *
 * - the loop has been late by more than `maxLagMs` for `consecutive` probes in a row (held
 *   `holdMs` after the last late probe): sustained overload; or
 * - the loop is, right now, more than `maxQueueMs` past the probe's due time: the iteration
 *   reading this request began before that time (poll never waits past a due timer), so the
 *   request has already waited at least that long. This bounds the wait of the orders taken
 *   within one long iteration (thousands of connections each sending one), without waiting
 *   for probes that only run between iterations.
 *
 * The in-flight bound of the gateway (ABC_MAX_CONCURRENT_REQUESTS) stays as a second limit.
 */
export interface LoadShedOptions {
  /** Lag (ms) at which sustained shedding starts (default 50). */
  maxLagMs: number;
  /** Probe period (ms, default 10). */
  intervalMs: number;
  /** Shedding stays on this long after the last late probe (ms, default 200). */
  holdMs: number;
  /** Late probes in a row before sustained shedding starts (default 3: one long pause, e.g. a start, is not overload). */
  consecutive: number;
  /** A request handled while the loop is this late (ms) is shed whatever the probes said (default 100). */
  maxQueueMs: number;
  /** No timer: the owner calls `probe()` (tests, with `now`). */
  manual: boolean;
  /** The clock (ms; default performance.now). */
  now: () => number;
}

export const LOAD_SHED_DEFAULTS: LoadShedOptions = {
  maxLagMs: 50,
  intervalMs: 10,
  holdMs: 200,
  consecutive: 3,
  maxQueueMs: 100,
  manual: false,
  now: () => performance.now(),
};

export class LoadShed {
  readonly o: LoadShedOptions;
  /** Sustained shedding (late probes); `refuse()` adds the request's own wait. */
  shedding = false;
  /** Orders refused since start. */
  shed = 0;
  /** Of which refused for the current iteration's lateness alone. */
  shedLate = 0;
  lastLagMs = 0;
  /** When the next probe is due (ms, on `now`'s clock). */
  private expected: number;
  private until = 0;
  private late = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(opts: Partial<LoadShedOptions> = {}) {
    this.o = { ...LOAD_SHED_DEFAULTS, ...opts };
    this.expected = this.o.now() + this.o.intervalMs;
    if (!this.o.manual) {
      this.timer = setInterval(this.probe, this.o.intervalMs);
      this.timer.unref();
    }
  }

  /** Whether to refuse an order handled now (counts it when so). Hot path: one clock read. */
  refuse(): boolean {
    if (this.shedding) {
      this.shed++;
      return true;
    }
    if (this.o.now() - this.expected > this.o.maxQueueMs) {
      this.shed++;
      this.shedLate++;
      return true;
    }
    return false;
  }

  /** The timer's callback (public for `manual` owners). */
  readonly probe = (): void => {
    const now = this.o.now();
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
    if (this.timer !== undefined) clearInterval(this.timer);
    this.shedding = false;
    this.expected = Number.POSITIVE_INFINITY;
  }
}
