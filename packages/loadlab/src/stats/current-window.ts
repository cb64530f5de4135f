/**
 * Locust's "current" figures (its web UI's current RPS, failures/s and response-time
 * percentiles, and its stats history CSV): not one second's, but those of a window of recent
 * seconds. Locust averages the per-second counts of about the last 10 s (stats.py's
 * current_rps) and takes the percentiles of the responses of the last
 * CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = 10 s. Here the window is the last `seconds` CLOSED
 * seconds (fewer at the start of a test or after a stats reset, as Locust's): requests and
 * failures are their per-second means, the percentiles those of all their responses, merged
 * exactly from their histograms. Locust leaves out its last 2 seconds from the rates (they
 * may still be incomplete there); a second here is closed only once every thread and worker
 * sent it, so none is left out.
 */
import type { CurrentFigures } from '../model/result.ts';
import type { Histogram } from './histogram.ts';
import { LatencyRecorder, type SparseCounts } from './recorder.ts';
import { secondPercentiles } from './second-percentiles.ts';

/** Locust's CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW, and its current_rps span. */
export const CURRENT_WINDOW_SEC = 10;

const NONE: SparseCounts = new LatencyRecorder().toSparse();

interface Second {
  requests: number;
  failures: number;
  latency: SparseCounts;
}

export class CurrentWindow {
  private ring: Second[] = [];

  constructor(
    readonly seconds = CURRENT_WINDOW_SEC,
    /** Where the window's latencies are added up (windows computed one after the other may share one). */
    private readonly rec = new LatencyRecorder(),
  ) {}

  /** Adds the second just closed (its counts and latencies, null: none); the figures of the window now. */
  add(requests: number, failures: number, second: LatencyRecorder | null, h: Histogram): CurrentFigures {
    this.ring.push({ requests, failures, latency: second === null ? NONE : second.toSparse() });
    if (this.ring.length > this.seconds) this.ring.shift();
    this.rec.reset();
    let req = 0;
    let fail = 0;
    for (const s of this.ring) {
      req += s.requests;
      fail += s.failures;
      if (s.latency.count > 0) this.rec.addSparse(s.latency);
    }
    const n = this.ring.length;
    return {
      ...secondPercentiles(this.rec, h),
      requests: req / n,
      failures: fail / n,
      seconds: n,
      count: req,
    };
  }

  /**
   * `n` seconds without requests before the first one added: a name first seen later in the
   * test averages over the same seconds as the Aggregated row (Locust's entries all count from
   * the statistics' start).
   */
  pad(n: number): void {
    for (let i = 0; i < n; i++) this.ring.push({ requests: 0, failures: 0, latency: NONE });
    if (this.ring.length > this.seconds) this.ring.splice(0, this.ring.length - this.seconds);
  }

  /** A stats reset: the window starts afresh. */
  reset(): void {
    this.ring = [];
  }
}
