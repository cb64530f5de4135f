/**
 * Per request name seconds (Locust's --csv-full-history): what each (type, name) did in one
 * second, recorded and carried across threads and workers like the aggregated seconds
 * (timeline.ts), so the merged per-name second is exact.
 *
 * Recording side: a `NameWindow` per entry counts the current second's requests, failures,
 * bytes and latencies (an HdrHistogram-layout recorder, reset in place: no allocation per
 * request); `take` hands the second over raw (sparse counts) and starts afresh.
 */
import { LatencyRecorder, type SparseCounts } from './recorder.ts';

/** One (type, name)'s second, raw (structured-cloneable; what threads post, workers encode). */
export interface RawNameSlice {
  type: string;
  name: string;
  requests: number;
  failures: number;
  bytes: number;
  latency: SparseCounts;
}

/** One entry's current second. */
export class NameWindow {
  requests = 0;
  failures = 0;
  bytes = 0;
  readonly rec = new LatencyRecorder();

  record(latencyUs: number, ok: boolean, bytes: number): void {
    this.requests++;
    if (!ok) this.failures++;
    this.bytes += bytes;
    this.rec.record(latencyUs);
  }

  /** The second's figures under `type` and `name`; the window starts afresh. */
  take(type: string, name: string): RawNameSlice {
    const out: RawNameSlice = {
      type,
      name,
      requests: this.requests,
      failures: this.failures,
      bytes: this.bytes,
      latency: this.rec.toSparse(),
    };
    this.requests = 0;
    this.failures = 0;
    this.bytes = 0;
    this.rec.reset();
    return out;
  }
}
