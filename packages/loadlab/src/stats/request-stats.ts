/**
 * RequestStats: the Locust-style collector. Subscribed to RequestEvents, it keeps per
 * (type, name) entry: counts, failures, body bytes, status counts and a µs latency
 * recorder (HdrHistogram layout); failure rows grouped by (method, name, error); and the
 * per-second Timeline. Snapshots carry raw counters (sparse histogram counts), so merging
 * the collectors of several threads is exact: merged == one collector over all samples.
 * With `sliceDetail`, each entry also counts the current second's latencies in the exporter's
 * buckets (slice-detail.ts), handed to the timeline as the second closes. With `fullHistory`,
 * each entry also keeps the current second's figures (name-seconds.ts), handed to the timeline
 * raw as the second closes; its timeline merges them into every second's per-name rows.
 */
import type { FailureRow } from '../model/result.ts';
import { epochNowMs, nowUs } from '../util/clock.ts';
import type { RequestEvent, RequestEvents } from './events.ts';
import type { Histogram } from './histogram.ts';
import { NameHistory } from './name-history.ts';
import { NameWindow, type RawNameSlice } from './name-seconds.ts';
import { LatencyRecorder, type SparseCounts } from './recorder.ts';
import { BucketWindow, CounterDeltas, type SliceDetail } from './slice-detail.ts';
import { Timeline } from './timeline.ts';

export interface EntrySnapshot {
  type: string;
  name: string;
  requests: number;
  failures: number;
  bytes: number;
  latency: SparseCounts;
  /** Status code (or error kind when there was no response) -> count. */
  statusCounts: Record<string, number>;
}

export interface StatsSnapshot {
  entries: EntrySnapshot[];
  failures: FailureRow[];
}

export class StatsEntry {
  requests = 0;
  failures = 0;
  bytes = 0;
  readonly latency = new LatencyRecorder();
  /** Status counts by code, 0 .. 999 (the hot path: no Map per request); countStatus() picks the store. */
  readonly codes = new Float64Array(1000);
  /** Codes outside 0 .. 999. */
  private readonly otherCodes = new Map<number, number>();
  readonly errors = new Map<string, number>();
  /** The current second's latency buckets (only when the collector records slice detail). */
  window: BucketWindow | null = null;
  /** The current second's figures (only when the collector keeps the full history). */
  second: NameWindow | null = null;
  constructor(
    readonly type: string,
    readonly name: string,
  ) {}

  countStatus(status: number, n = 1): void {
    if (status >= 0 && status < 1000 && Number.isInteger(status)) this.codes[status] += n;
    else this.otherCodes.set(status, (this.otherCodes.get(status) ?? 0) + n);
  }

  statusCounts(): Record<string, number> {
    const all = new Map(this.otherCodes);
    for (let k = 0; k < 1000; k++) if (this.codes[k] > 0) all.set(k, this.codes[k]);
    const out: Record<string, number> = {};
    for (const [k, v] of [...all].sort((a, b) => a[0] - b[0])) out[String(k)] = v;
    for (const [k, v] of this.errors) out[k] = (out[k] ?? 0) + v;
    return out;
  }
}

export interface RequestStatsOptions {
  /** Run start on this thread's lab clock (µs); default now. */
  startUs?: number;
  /** The same instant as epoch ms; default now. */
  startEpochMs?: number;
  /** Threads whose raw slices the timeline merges (the parent of W workers: W). */
  reporters?: number;
  /**
   * Record each second's detail (slice-detail.ts: per-name latency buckets, and the counters
   * of `liveCounters`) and hand it to the timeline's listener with the second.
   */
  sliceDetail?: boolean;
  /**
   * Locust's --csv-full-history: record each second's figures per (type, name) and hand them
   * to the timeline raw; this collector's timeline merges them (TimeSlice.names).
   */
  fullHistory?: boolean;
}

export class RequestStats {
  readonly timeline: Timeline;
  private readonly byType = new Map<string, Map<string, StatsEntry>>();
  private readonly list: StatsEntry[] = [];
  private readonly failureRows = new Map<string, FailureRow>();
  /** The entry of the previous event (a client emits one (type, name) over and over). */
  private last: StatsEntry | null = null;
  /** Bound listener, for `events.on(stats.listener)`. */
  readonly listener = (ev: RequestEvent): void => this.record(ev);
  private readonly withDetail: boolean;
  /** Entries with requests in the current second's windows. */
  private readonly dirty: StatsEntry[] = [];
  private counterDeltas: CounterDeltas | null = null;
  private readonly withNames: boolean;
  /** Entries with requests in the current second's per-name windows. */
  private readonly namesDirty: StatsEntry[] = [];

  constructor(opts: RequestStatsOptions = {}) {
    this.timeline = new Timeline(opts.startUs ?? nowUs(), opts.startEpochMs ?? epochNowMs(), opts.reporters);
    this.withDetail = opts.sliceDetail === true;
    if (this.withDetail) this.timeline.detail = () => this.takeDetail();
    this.withNames = opts.fullHistory === true;
    if (this.withNames) {
      this.timeline.names = () => this.takeNames();
      this.timeline.history = new NameHistory();
    }
  }

  private takeNames(): RawNameSlice[] {
    const out = this.namesDirty.map((e) => e.second!.take(e.type, e.name));
    this.namesDirty.length = 0;
    return out;
  }

  /** With `sliceDetail`: cumulative counters read as each second closes; the detail carries what moved. */
  liveCounters(read: () => Record<string, number>): void {
    this.counterDeltas = new CounterDeltas(read);
  }

  private takeDetail(): SliceDetail {
    const latency = this.dirty.map((e) => e.window!.take(e.name, e.type));
    this.dirty.length = 0;
    return { latency, counters: this.counterDeltas?.take() ?? {} };
  }

  /** Clears every entry and failure row (Locust's "reset stats"); the time series goes on. */
  resetEntries(): void {
    this.byType.clear();
    this.list.length = 0;
    this.last = null;
    this.failureRows.clear();
    this.timeline.resetTotals();
  }

  /** Subscribes to `events`; returns the unsubscribe function. */
  attach(events: RequestEvents): () => void {
    return events.on(this.listener);
  }

  record(ev: RequestEvent): void {
    let e = this.last;
    if (e === null || e.name !== ev.name || e.type !== ev.type) {
      e = this.entry(ev.type, ev.name);
      this.last = e;
    }
    e.requests++;
    e.bytes += ev.bytes;
    e.latency.record(ev.latencyUs);
    if (ev.status !== 0) e.countStatus(ev.status);
    if (!ev.ok) {
      e.failures++;
      const error = ev.error ?? (ev.status !== 0 ? `HTTP ${ev.status}` : 'error');
      if (ev.status === 0) e.errors.set(error, (e.errors.get(error) ?? 0) + 1);
      this.addFailure(ev.type, ev.name, error, 1);
    }
    this.timeline.record(ev.timeUs === 0 ? nowUs() : ev.timeUs, ev.latencyUs, ev.ok, ev.bytes);
    // after the timeline: a request that closed the previous second belongs to the next one
    if (this.withDetail) {
      const w = (e.window ??= new BucketWindow());
      if (w.count === 0) this.dirty.push(e);
      w.record(ev.latencyUs);
    }
    if (this.withNames) {
      const w = (e.second ??= new NameWindow());
      if (w.requests === 0) this.namesDirty.push(e);
      w.record(ev.latencyUs, ev.ok, ev.bytes);
    }
  }

  /** The (type, name) entry, created on first use. */
  entry(type: string, name: string): StatsEntry {
    let names = this.byType.get(type);
    if (names === undefined) {
      names = new Map();
      this.byType.set(type, names);
    }
    let e = names.get(name);
    if (e === undefined) {
      e = new StatsEntry(type, name);
      names.set(name, e);
      this.list.push(e);
    }
    return e;
  }

  get entries(): readonly StatsEntry[] {
    return this.list;
  }

  get requests(): number {
    let n = 0;
    for (const e of this.list) n += e.requests;
    return n;
  }

  get failures(): number {
    let n = 0;
    for (const e of this.list) n += e.failures;
    return n;
  }

  get failureRowList(): FailureRow[] {
    return [...this.failureRows.values()].sort((a, b) => b.occurrences - a.occurrences);
  }

  /** All entries' latencies in one recorder. */
  totalLatency(): LatencyRecorder {
    const t = new LatencyRecorder();
    for (const e of this.list) t.add(e.latency);
    return t;
  }

  /** An HdrHistogram (µs) of one entry, or of all when no name is given. */
  histogram(type?: string, name?: string): Histogram {
    if (type === undefined || name === undefined) return this.totalLatency().toHistogram();
    return this.entry(type, name).latency.toHistogram();
  }

  snapshot(): StatsSnapshot {
    return {
      entries: this.list.map((e) => ({
        type: e.type,
        name: e.name,
        requests: e.requests,
        failures: e.failures,
        bytes: e.bytes,
        latency: e.latency.toSparse(),
        statusCounts: e.statusCounts(),
      })),
      failures: this.failureRowList,
    };
  }

  /** Adds another collector's snapshot (exact). The time series merges separately (Timeline). */
  merge(snap: StatsSnapshot): void {
    for (const s of snap.entries) {
      const e = this.entry(s.type, s.name);
      e.requests += s.requests;
      e.failures += s.failures;
      e.bytes += s.bytes;
      e.latency.addSparse(s.latency);
      for (const [k, v] of Object.entries(s.statusCounts)) {
        const code = Number(k);
        if (Number.isInteger(code) && String(code) === k) e.countStatus(code, v);
        else e.errors.set(k, (e.errors.get(k) ?? 0) + v);
      }
    }
    for (const f of snap.failures) this.addFailure(f.method, f.name, f.error, f.occurrences);
  }

  private addFailure(method: string, name: string, error: string, n: number): void {
    const key = `${method}\u0000${name}\u0000${error}`;
    const row = this.failureRows.get(key);
    if (row !== undefined) row.occurrences += n;
    else this.failureRows.set(key, { method, name, error, occurrences: n });
  }
}
