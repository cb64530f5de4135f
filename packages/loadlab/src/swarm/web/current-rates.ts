/**
 * Per-row "current" rates for the web UI (Locust's current_rps / current_fail_per_sec): each
 * poll records every row's cumulative counts; a row's current rate is its count growth over
 * the last WINDOW_MS of polls. With no earlier poll in the window yet, the period average is
 * used. Counts that went down (a stats reset, a new test) start the window again.
 */
import type { EntryStats } from '../../model/result.ts';

const WINDOW_MS = 10_000;

interface Sample {
  t: number;
  counts: Map<string, [requests: number, failures: number]>;
}

export interface CurrentRate {
  rps: number;
  fps: number;
}

const key = (e: EntryStats) => `${e.type}\u0000${e.name}`;

export class CurrentRates {
  private samples: Sample[] = [];

  /** Records this poll's counts and returns each row's current rates (key: type + NUL + name). */
  update(entries: readonly EntryStats[], nowMs: number): Map<string, CurrentRate> {
    const counts = new Map<string, [number, number]>();
    for (const e of entries) counts.set(key(e), [e.requests, e.failures]);
    const prev = this.samples.at(-1);
    if (prev !== undefined && wentDown(prev.counts, counts)) this.samples = [];
    this.samples.push({ t: nowMs, counts });
    const keep = this.samples.findIndex((s) => nowMs - s.t <= WINDOW_MS);
    if (keep > 0) this.samples.splice(0, keep);
    const base = this.samples[0];
    const out = new Map<string, CurrentRate>();
    const dt = (nowMs - base.t) / 1000;
    for (const e of entries) {
      if (dt <= 0) {
        out.set(key(e), { rps: e.rps, fps: e.failuresPerSec });
        continue;
      }
      const [r0, f0] = base.counts.get(key(e)) ?? [0, 0];
      out.set(key(e), { rps: (e.requests - r0) / dt, fps: (e.failures - f0) / dt });
    }
    return out;
  }

  reset(): void {
    this.samples = [];
  }
}

function wentDown(before: Map<string, [number, number]>, now: Map<string, [number, number]>): boolean {
  for (const [k, [r]] of before) if ((now.get(k)?.[0] ?? 0) < r) return true;
  return false;
}

export { key as currentRateKey };
