/**
 * Admission control for the api's agent endpoints (ABC_MAX_CONCURRENT_REQUESTS): a counter of
 * requests in flight; `tryAcquire` refuses beyond `max` (the route answers 503
 * TRD_ERR_OVERLOADED with Retry-After) and every acquired slot is released exactly once,
 * whatever the outcome, by its `Admission`: when the HTTP exchange is over (answered, failed,
 * or the connection closed) AND all the work started for the request has settled (the handler,
 * and a workflow step that timed out but is still running).
 */

/** Agent requests in flight when ABC_MAX_CONCURRENT_REQUESTS is not set. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 1_000;

export interface AdmissionStats {
  inFlight: number;
  max: number;
  /** Requests refused since start. */
  rejected: number;
}

export class InFlightLimiter {
  private current = 0;
  private refused = 0;

  constructor(readonly max: number = DEFAULT_MAX_CONCURRENT_REQUESTS) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  }

  get inFlight(): number {
    return this.current;
  }

  get saturated(): boolean {
    return this.current >= this.max;
  }

  tryAcquire(): boolean {
    if (this.current >= this.max) {
      this.refused++;
      return false;
    }
    this.current++;
    return true;
  }

  release(): void {
    if (this.current > 0) this.current--;
  }

  stats(): AdmissionStats {
    return { inFlight: this.current, max: this.max, rejected: this.refused };
  }
}

/**
 * One admitted request's claim on a limiter slot. The slot is released once, when the request
 * has ended (`endRequest`, idempotent: onResponse and the response's 'close' both call it) and
 * every piece of work held with `holdUntil` has settled.
 */
export class Admission {
  private holds = 1;
  private requestEnded = false;

  constructor(private readonly limiter: InFlightLimiter) {}

  /** The HTTP exchange is over (response sent, failed, or the connection closed). Idempotent. */
  endRequest(): void {
    if (this.requestEnded) return;
    this.requestEnded = true;
    this.drop();
  }

  /** Keeps the slot until `work` settles (resolved or rejected). */
  holdUntil(work: Promise<unknown>): void {
    this.holds++;
    work.then(
      () => this.drop(),
      () => this.drop(),
    );
  }

  /** Whether the slot is still taken. */
  get held(): boolean {
    return this.holds > 0;
  }

  private drop(): void {
    if (this.holds > 0 && --this.holds === 0) this.limiter.release();
  }
}
