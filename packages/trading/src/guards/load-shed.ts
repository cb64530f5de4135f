/**
 * Overload shedding for order entry, by measured queueing delay. A probe timer is due every
 * `intervalMs`; how late it runs is how long the event loop kept everything waiting. A new
 * order is answered 503 TRD_ERR_OVERLOADED + Retry-After at once (before its body is read or
 * checked, the cheapest answer the server can give) when the loop is, right now, more than a
 * threshold past the probe's due time: the iteration reading this order began before that
 * time (poll never waits past a due timer), so the order has already waited at least that
 * long. The threshold is `maxQueueMs` (100), and `maxLagMs` (50) while the loop is in
 * sustained overload (late by more than `maxLagMs` for `consecutive` probes in a row, held
 * `holdMs` after the last late probe).
 *
 * So the orders read early in each long iteration (thousands of connections each sending
 * one) are taken and those that have waited too long are refused, and the wait of the orders
 * taken stays bounded. Refusing every order while the loop lags was tried first: when a 503
 * costs about as much as taking an order (HTTP parsing and writing are most of both), the lag
 * never ended and almost no order was taken (2,123 of 143,636 at twice the capacity).
 *
 * The in-flight bound of the gateway (ABC_MAX_CONCURRENT_REQUESTS) stays as a second limit.
 */
export interface LoadShedOptions {
  /** Probe lag (ms) that counts as late, and the refusal threshold in sustained overload (default 50). */
  maxLagMs: number;
  /** Probe period (ms, default 10). */
  intervalMs: number;
  /** Sustained overload stays on this long after the last late probe (ms, default 200). */
  holdMs: number;
  /** Late probes in a row before sustained overload (default 3: one long pause, e.g. a start, is not overload). */
  consecutive: number;
  /** An order handled while the loop is this late (ms) is refused (default 100; `maxLagMs` in sustained overload). */
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
  /** Sustained overload (late probes): the refusal threshold is `maxLagMs`. */
  shedding = false;
  /** Orders refused since start. */
  shed = 0;
  /** Of which refused outside sustained overload (one long iteration). */
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
    const waited = this.o.now() - this.expected;
    if (waited <= (this.shedding ? this.o.maxLagMs : this.o.maxQueueMs)) return false;
    this.shed++;
    if (!this.shedding) this.shedLate++;
    return true;
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
