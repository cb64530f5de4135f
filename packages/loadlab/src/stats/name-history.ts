/**
 * The merging side of per-name seconds (Locust's --csv-full-history): the raw per-name
 * seconds of every reporter are added counter by counter (`add`), and when the timeline
 * summarises a second (`close`), every (type, name) seen since the last reset gets its row:
 * that second's figures (zeros when it had no requests then) and its cumulative totals.
 * Rows are sorted as Locust sorts its entries: by name, then type.
 */
import type { NameSlice } from '../model/result.ts';
import { CurrentWindow } from './current-window.ts';
import { createLatencyHistogram, type Histogram } from './histogram.ts';
import type { RawNameSlice } from './name-seconds.ts';
import { LatencyRecorder } from './recorder.ts';
import { secondPercentiles, totalFigures, usToMs } from './second-percentiles.ts';

interface Acc {
  type: string;
  name: string;
  requests: number;
  failures: number;
  bytes: number;
  rec: LatencyRecorder;
}

const keyOf = (type: string, name: string) => `${type}\u0000${name}`;

function byNameThenType(a: Acc, b: Acc): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

export class NameHistory {
  /** Seconds not yet summarised: second -> (type, name) -> what the reporters sent so far. */
  private readonly seconds = new Map<number, Map<string, Acc>>();
  /** Every (type, name) since the last reset, cumulative. */
  private readonly totals = new Map<string, Acc>();
  private sorted: Acc[] = [];
  private readonly spare: LatencyRecorder[] = [];
  private readonly scratch: Histogram = createLatencyHistogram();
  /** Set: each row also carries its name's Locust "current" figures (the last 10 closed seconds). */
  current = false;
  private readonly windows = new Map<string, CurrentWindow>();
  private readonly windowRec = new LatencyRecorder();
  /** Seconds closed since the start or the last reset (the names' windows count from there). */
  private closed = 0;

  /** Adds a reporter's per-name figures of second `k`. */
  add(k: number, names: readonly RawNameSlice[]): void {
    let sec = this.seconds.get(k);
    if (sec === undefined) {
      sec = new Map();
      this.seconds.set(k, sec);
    }
    for (const n of names) {
      const key = keyOf(n.type, n.name);
      let a = sec.get(key);
      if (a === undefined) {
        a = this.acc(n.type, n.name);
        sec.set(key, a);
      }
      a.requests += n.requests;
      a.failures += n.failures;
      a.bytes += n.bytes;
      a.rec.addSparse(n.latency);
    }
  }

  /** Second `k`'s rows (every name since the last reset); its pending figures are released. */
  close(k: number): NameSlice[] {
    this.closed++;
    const sec = this.seconds.get(k);
    this.seconds.delete(k);
    if (sec !== undefined) {
      let added = false;
      for (const [key, a] of sec) {
        let t = this.totals.get(key);
        if (t === undefined) {
          t = this.acc(a.type, a.name);
          this.totals.set(key, t);
          added = true;
        }
        t.requests += a.requests;
        t.failures += a.failures;
        t.bytes += a.bytes;
        t.rec.add(a.rec);
      }
      if (added) this.sorted = [...this.totals.values()].sort(byNameThenType);
    }
    const h = this.scratch;
    const rows: NameSlice[] = [];
    for (const t of this.sorted) {
      const a = sec?.get(keyOf(t.type, t.name));
      const now = a?.rec ?? null;
      const cur = now === null ? { p50: 0, p95: 0, p99: 0, max: 0 } : secondPercentiles(now, h);
      const tot = t.rec.count > 0 ? totalFigures(t.rec, h) : { p50: 0, mean: 0, min: 0 };
      const row: NameSlice = {
        type: t.type,
        name: t.name,
        requests: a?.requests ?? 0,
        failures: a?.failures ?? 0,
        ...cur,
        total: {
          requests: t.requests,
          failures: t.failures,
          ...tot,
          max: usToMs(t.rec.maxUs),
          avgContentLength: t.requests > 0 ? t.bytes / t.requests : 0,
        },
      };
      if (this.current) row.current = this.windowOf(t).add(row.requests, row.failures, now, h);
      rows.push(row);
    }
    if (sec !== undefined) for (const a of sec.values()) this.release(a);
    return rows;
  }

  /** Locust's reset stats: the names start afresh (the seconds still pending keep their figures). */
  reset(): void {
    for (const t of this.totals.values()) this.release(t);
    this.totals.clear();
    this.sorted = [];
    this.windows.clear();
    this.closed = 0;
  }

  private windowOf(t: Acc): CurrentWindow {
    const key = keyOf(t.type, t.name);
    let w = this.windows.get(key);
    if (w === undefined) {
      w = new CurrentWindow(undefined, this.windowRec);
      w.pad(Math.min(this.closed - 1, w.seconds));
      this.windows.set(key, w);
    }
    return w;
  }

  private acc(type: string, name: string): Acc {
    return { type, name, requests: 0, failures: 0, bytes: 0, rec: this.spare.pop() ?? new LatencyRecorder() };
  }

  private release(a: Acc): void {
    a.rec.reset();
    this.spare.push(a.rec);
  }
}
