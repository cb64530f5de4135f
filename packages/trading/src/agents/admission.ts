/**
 * Admission control for the api's agent endpoints (ABC_MAX_CONCURRENT_REQUESTS): a counter of
 * requests in flight; `tryAcquire` refuses beyond `max` (the route answers 503
 * TRD_ERR_OVERLOADED with Retry-After) and every acquired slot is released when its request
 * ends, whatever the outcome.
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
