/**
 * The per-second time series. Seconds are counted from the run's start (slice k covers
 * [start + k s, start + (k+1) s)), so threads sharing a start epoch produce aligned slices.
 *
 * Recording side: `record` counts a completed request in its second; `advance(now)` closes
 * every second before `now` (also the empty ones: a stalled target shows as zeros). A closed
 * second is either summarised here (one thread) or handed over RAW (sparse histogram counts,
 * for a worker to post) through `onRaw`.
 *
 * Merging side: `mergeRaw` adds raw slices from `reporters` threads; a second is summarised
 * once every reporter sent it (or at `flush`), so per-second percentiles are exact. A reporter
 * that joins later (`addReporter`, a worker joining a running test) is awaited from its
 * second on; the seconds before it wait for the others only, and a raw slice of a second
 * already summarised is dropped.
 *
 * Detail (slice-detail.ts): a recording side with a `detail` source reads it as each second
 * with data closes and sends it with the raw slice; the merging side adds the reporters' and
 * hands it to `onSlice` with the summarised second.
 *
 * Per-name seconds (name-seconds.ts, Locust's --csv-full-history): a recording side with a
 * `names` source reads it as each second with data closes and sends it raw with the slice; a
 * merging side with a `history` adds the reporters' counter by counter and puts every name's
 * row on the summarised second (TimeSlice.names).
 */
import type { TimeSlice } from '../model/result.ts';
import type { CurrentWindow } from './current-window.ts';
import { createLatencyHistogram, type Histogram } from './histogram.ts';
import type { NameHistory } from './name-history.ts';
import type { RawNameSlice } from './name-seconds.ts';
import { LatencyRecorder, type SparseCounts } from './recorder.ts';
import { secondPercentiles, totalFigures, usToMs } from './second-percentiles.ts';
import { addDetail, type SliceDetail, type SliceListener } from './slice-detail.ts';

export interface RawSlice {
  k: number;
  requests: number;
  failures: number;
  active: number;
  latency: SparseCounts;
  /** Response bytes of the second's requests. */
  bytes?: number;
  /** Per-name buckets and script counters, when the recording side has a `detail` source. */
  detail?: SliceDetail;
  /** Per (type, name) figures of the second, when the recording side has a `names` source. */
  names?: RawNameSlice[];
}

interface Pending {
  requests: number;
  failures: number;
  active: number;
  bytes: number;
  seen: number;
  rec: LatencyRecorder;
  detail: SliceDetail | undefined;
}

/** A reporter that joined after the start: its raw slices go through `merge`; `drop` when it leaves. */
export interface LateReporter {
  /** The first second awaited from it. */
  readonly fromK: number;
  merge(s: RawSlice): void;
  drop(): void;
}

export class Timeline {
  readonly slices: TimeSlice[] = [];
  /** Called with each summarised second, in order (and its detail, when there is a source). */
  onSlice: SliceListener | null = null;
  /** Recording side: the detail of the second being closed (read once per closed second with data). */
  detail: (() => SliceDetail) | null = null;
  /** Recording side: the per-name figures of the second being closed (read once per closed second with data). */
  names: (() => RawNameSlice[]) | null = null;
  /** Merging side: per-name seconds are merged and every summarised second carries its names' rows. */
  history: NameHistory | null = null;
  /** Merging side: every summarised second carries Locust's "current" figures over this window (TimeSlice.current). */
  currentWindow: CurrentWindow | null = null;
  /** When set, closed seconds go here raw instead of being summarised. */
  onRaw: ((s: RawSlice) => void) | null = null;
  /** Gauge read when a second closes (in-flight requests or active VUs). */
  active: () => number = () => 0;

  private k = 0;
  private requests = 0;
  private failures = 0;
  private bytes = 0;
  private readonly rec = new LatencyRecorder();
  /** Every summarised second so far (TimeSlice.total), and their bytes. */
  private readonly total = new LatencyRecorder();
  private totalBytes = 0;
  private totalFailures = 0;
  private readonly scratch: Histogram = createLatencyHistogram();
  private readonly pending = new Map<number, Pending>();
  private readonly spare: LatencyRecorder[] = [];
  /** The first awaited second of each late reporter still here (counted in `reporters`). */
  private readonly joins: number[] = [];
  /** The last merged second summarised (-1: none yet). */
  private emitted = -1;

  constructor(
    /** Run start on this thread's lab clock (µs). */
    public startUs: number,
    /** Run start, epoch ms (TimeSlice.t). */
    public startEpochMs: number,
    /** Threads whose raw slices `mergeRaw` waits for. */
    public reporters = 1,
  ) {}

  record(timeUs: number, latencyUs: number, ok: boolean, bytes = 0): void {
    const k = Math.floor((timeUs - this.startUs) / 1e6);
    if (k > this.k) this.closeUntil(k);
    this.requests++;
    if (!ok) this.failures++;
    this.bytes += bytes;
    this.rec.record(latencyUs);
  }

  /** Closes every second that ended before `nowUs`. */
  advance(nowUs: number): void {
    const k = Math.floor((nowUs - this.startUs) / 1e6);
    if (k > this.k) this.closeUntil(k);
  }

  /** Closes the current (partial) second too; call once at the end of recording. */
  finish(): void {
    this.closeUntil(this.k + 1);
  }

  mergeRaw(s: RawSlice): void {
    if (s.k <= this.emitted) return; // its second is out already (a late reporter's empty past)
    let p = this.pending.get(s.k);
    if (p === undefined) {
      p = {
        requests: 0,
        failures: 0,
        active: 0,
        bytes: 0,
        seen: 0,
        rec: this.spare.pop() ?? new LatencyRecorder(),
        detail: undefined,
      };
      this.pending.set(s.k, p);
    }
    p.requests += s.requests;
    p.failures += s.failures;
    p.active += s.active;
    p.bytes += s.bytes ?? 0;
    p.rec.addSparse(s.latency);
    if (s.detail !== undefined) p.detail = addDetail(p.detail ?? { latency: [], counters: {} }, s.detail);
    if (s.names !== undefined) this.history?.add(s.k, s.names);
    if (++p.seen >= this.expected(s.k)) this.finalize();
  }

  /**
   * A reporter joining now, at second `fromK` (or the first second not yet summarised, if
   * later): seconds from there on wait for it too; its slices of earlier seconds are ignored.
   */
  addReporter(fromK: number): LateReporter {
    const from = Math.max(Math.floor(fromK), this.emitted + 1);
    this.reporters++;
    this.joins.push(from);
    let here = true;
    return {
      fromK: from,
      merge: (s) => {
        if (here && s.k >= from) this.mergeRaw(s);
      },
      drop: () => {
        if (!here) return;
        here = false;
        this.joins.splice(this.joins.indexOf(from), 1);
        this.reporters--;
        this.finalize();
      },
    };
  }

  /** A reporter that will send no more seconds (a lost worker): seconds wait for one fewer. */
  dropReporter(): void {
    // the late reporters leave through their own drop(); one of the first ones always counts
    // while no late one is here
    if (this.reporters > Math.max(1, this.joins.length)) this.reporters--;
    this.finalize();
  }

  /** How many reporters second `k` waits for: the late ones only from their first second. */
  private expected(k: number): number {
    let n = this.reporters;
    for (const from of this.joins) if (from > k) n--;
    return n;
  }

  /** Starts the "Total" figures afresh (Locust's reset stats); the series goes on. */
  resetTotals(): void {
    this.total.reset();
    this.totalBytes = 0;
    this.totalFailures = 0;
    this.history?.reset();
    this.currentWindow?.reset();
  }

  /** Summarises every pending merged second (end of run). */
  flush(): void {
    this.finalize(true);
  }

  private closeUntil(k: number): void {
    for (let first = true; this.k < k; this.k++, first = false) {
      // the current second holds what was recorded; the ones after it (if any) are empty
      const detail = first && this.detail !== null ? this.detail() : undefined;
      const names = first && this.names !== null ? this.names() : undefined;
      if (this.onRaw !== null) {
        const raw = { k: this.k, requests: this.requests, failures: this.failures, active: this.active() };
        const d = detail === undefined ? {} : { detail };
        const n = names === undefined ? {} : { names };
        this.onRaw({ ...raw, bytes: this.bytes, latency: this.rec.toSparse(), ...d, ...n });
      } else {
        if (names !== undefined) this.history?.add(this.k, names);
        this.emit(this.k, this.requests, this.failures, this.active(), this.rec, this.bytes, detail);
      }
      this.requests = 0;
      this.failures = 0;
      this.bytes = 0;
      this.rec.reset();
    }
  }

  private finalize(all = false): void {
    const keys = [...this.pending.keys()].sort((a, b) => a - b);
    for (const k of keys) {
      const p = this.pending.get(k);
      if (p === undefined) continue; // a listener's re-entrant flush already emitted it
      if (!all && p.seen < this.expected(k)) break; // keep the series in order
      // out of `pending` before emitting: a listener that flushes again must not see it twice
      this.pending.delete(k);
      this.emit(k, p.requests, p.failures, p.active, p.rec, p.bytes, p.detail);
      p.rec.reset();
      this.spare.push(p.rec);
    }
  }

  private emit(
    k: number,
    requests: number,
    failures: number,
    active: number,
    rec: LatencyRecorder,
    bytes: number,
    detail?: SliceDetail,
  ): void {
    const h = this.scratch;
    const pct = secondPercentiles(rec, h);
    const s: TimeSlice = {
      t: Math.round(this.startEpochMs + k * 1000) / 1000,
      requests,
      failures,
      p50: pct.p50,
      p95: pct.p95,
      p99: pct.p99,
      max: pct.max,
      active,
    };
    if (pct.more !== undefined) s.more = pct.more;
    if (this.currentWindow !== null) s.current = this.currentWindow.add(requests, failures, rec, h);
    this.total.add(rec);
    this.totalBytes += bytes;
    this.totalFailures += failures;
    const t = this.total;
    if (t.count > 0)
      s.total = {
        ...totalFigures(t, h),
        avgContentLength: this.totalBytes / t.count,
        requests: t.count,
        failures: this.totalFailures,
        max: usToMs(t.maxUs),
      };
    if (this.history !== null) s.names = this.history.close(k);
    if (k > this.emitted) this.emitted = k;
    this.slices.push(s);
    this.onSlice?.(s, detail);
  }
}
