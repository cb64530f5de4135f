/**
 * What a second carries besides its TimeSlice when a live consumer asks for it (RunOptions
 * `sliceDetail`; the Prometheus exporter does): every request name's latencies in fixed
 * buckets, and the script's counters (check(), Counter, Rate, Trend) that moved in the second.
 *
 * The buckets are read off the lab's HdrHistogram layout (recorder.ts): each HdrHistogram
 * counter belongs to the first bucket whose bound is at or above the counter's lowest value,
 * so bucketing a run's encoded histograms (the `--json` entries) gives exactly the same
 * counts. Below 2.048 ms a counter is one µs wide, so the bounds there are exact to the µs;
 * above, a latency at most one counter (0.1%) above a bound may be counted in that bound's
 * bucket. Counts and sums are exact (the µs values the recorders saw).
 */
import type { TimeSlice } from '../model/result.ts';
import { HIST_HIGHEST_US } from './histogram.ts';
import { hdrIndex, hdrValueAt, type LatencyRecorder, RECORDER_LENGTH } from './recorder.ts';

/** Upper bounds, in seconds, of the request-duration buckets (+Inf follows). */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Buckets per histogram: one per bound, then +Inf. */
export const BUCKET_COUNT = DURATION_BUCKETS_S.length + 1;

const BOUNDS_US = DURATION_BUCKETS_S.map((s) => Math.round(s * 1e6));

/** The bucket of each HdrHistogram counter index (the first bound >= the counter's lowest value). */
const BUCKET_OF = (() => {
  const t = new Uint8Array(RECORDER_LENGTH);
  let b = 0;
  for (let i = 0; i < RECORDER_LENGTH; i++) {
    const v = hdrValueAt(i);
    while (b < BOUNDS_US.length && v > BOUNDS_US[b]) b++;
    t[i] = b;
  }
  return t;
})();

/** The bucket (0 .. BUCKET_COUNT - 1, the last one +Inf) of HdrHistogram counter `index`. */
export function bucketOfIndex(index: number): number {
  return index >= 0 && index < RECORDER_LENGTH ? BUCKET_OF[index] : BUCKET_COUNT - 1;
}

/** One request name's latencies during a second: per-bucket counts (not cumulative) and the sum. */
export interface NameLatency {
  name: string;
  /** The request's type (a swarm's method, e.g. GET), when the recording side knows it. */
  type?: string;
  buckets: number[];
  sumUs: number;
}

export interface SliceDetail {
  latency: NameLatency[];
  /** Script counters that moved during the second, by key (script/runtime.ts counterKey, trend:*). */
  counters: Record<string, number>;
}

/** Every latency `rec` holds as one name's buckets (what windows over all its seconds would add up to). */
export function nameLatencyOf(name: string, rec: LatencyRecorder, type?: string): NameLatency {
  const buckets = new Array<number>(BUCKET_COUNT).fill(0);
  const sp = rec.toSparse();
  for (let k = 0; k < sp.idx.length; k++) buckets[bucketOfIndex(sp.idx[k])] += sp.cnt[k];
  return { name, ...(type === undefined ? {} : { type }), buckets, sumUs: sp.sumUs };
}

/** A request name's bucket counts for the second being recorded. */
export class BucketWindow {
  readonly buckets = new Float64Array(BUCKET_COUNT);
  count = 0;
  sumUs = 0;

  /** Records one latency in µs, rounded and clamped as LatencyRecorder.record does. */
  record(us: number): void {
    let v = Math.round(us);
    if (!(v >= 0)) v = 0;
    else if (v > HIST_HIGHEST_US) v = HIST_HIGHEST_US;
    this.buckets[BUCKET_OF[hdrIndex(v)]]++;
    this.count++;
    this.sumUs += v;
  }

  /** The second's figures under `name` (and `type`); the window starts afresh. */
  take(name: string, type?: string): NameLatency {
    const out: NameLatency = { name, buckets: Array.from(this.buckets), sumUs: this.sumUs };
    if (type !== undefined) out.type = type;
    this.buckets.fill(0);
    this.count = 0;
    this.sumUs = 0;
    return out;
  }
}

/** What moved in cumulative counters since the last call (a thread's share, summed by the reader). */
export class CounterDeltas {
  private readonly last = new Map<string, number>();
  constructor(private readonly read: () => Record<string, number>) {}

  take(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.read())) {
      const d = v - (this.last.get(k) ?? 0);
      if (d !== 0) {
        out[k] = d;
        this.last.set(k, v);
      }
    }
    return out;
  }
}

/** Adds `d` into `into` (names appended, counters summed); returns `into`. */
export function addDetail(into: SliceDetail, d: SliceDetail): SliceDetail {
  for (const n of d.latency) into.latency.push(n);
  for (const [k, v] of Object.entries(d.counters)) into.counters[k] = (into.counters[k] ?? 0) + v;
  return into;
}

/** A live listener of merged seconds, with their detail when it was asked for. */
export type SliceListener = (slice: TimeSlice, detail?: SliceDetail) => void;
