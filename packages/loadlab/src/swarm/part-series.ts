/**
 * A run worker's parts so far on the master: each part is cumulative but for its scenarios'
 * per-second series, which carry only the seconds closed since the worker's previous part
 * (swarm/run-remote.ts partSender). `withSeries` gives the newest part with each scenario's
 * whole series so far: the seconds held, then the new ones (a second already held is not
 * added twice). A new second must come at least a second after the one before it and not
 * after the master's own clock plus SKEW_S: a worker (hostile, or with its clock far off)
 * cannot grow the master's memory past one entry per second of the run.
 */
import type { RunReport } from '../model/result.ts';

/** How far ahead of the master's clock a worker's second may be (clocks of two machines), s. */
const SKEW_S = 60;

type Second = RunReport['scenarios'][number]['timeseries'][number];

/** The seconds of `series` after `last`, each a second or more after the one before, none past `untilS`. */
function secondsAfter(series: unknown, last: number, untilS: number): Second[] {
  if (!Array.isArray(series)) return [];
  const out: Second[] = [];
  let prev = last;
  for (const x of series as Second[]) {
    // 1 ms of slack: the seconds are epoch ms / 1000, rounded
    if (typeof x?.t !== 'number' || !(x.t >= prev + 0.999) || x.t > untilS) continue;
    out.push(x);
    prev = x.t;
  }
  return out;
}

export function withSeries(prev: RunReport | undefined, next: RunReport, nowMs = Date.now()): RunReport {
  const untilS = nowMs / 1000 + SKEW_S;
  const held = new Map((prev?.scenarios ?? []).map((s) => [s.scenario, s.timeseries]));
  return {
    ...next,
    scenarios: next.scenarios.map((s) => {
      const before = held.get(s.scenario) ?? [];
      const last = before.length > 0 ? before[before.length - 1].t : Number.NEGATIVE_INFINITY;
      const fresh = secondsAfter(s.timeseries, last, untilS);
      return { ...s, timeseries: fresh.length === 0 ? before : [...before, ...fresh] };
    }),
  };
}
