/**
 * A run worker's parts so far on the master: each part is cumulative but for its scenarios'
 * per-second series, which carry only the seconds closed since the worker's previous part
 * (swarm/run-remote.ts partSender). `withSeries` gives the newest part with each scenario's
 * whole series so far: the seconds held, then the new ones (a second already held is not
 * added twice).
 */
import type { RunReport } from '../model/result.ts';

export function withSeries(prev: RunReport | undefined, next: RunReport): RunReport {
  if (prev === undefined) return next;
  const held = new Map(prev.scenarios.map((s) => [s.scenario, s.timeseries]));
  return {
    ...next,
    scenarios: next.scenarios.map((s) => {
      const before = held.get(s.scenario) ?? [];
      const last = before.length > 0 ? before[before.length - 1].t : Number.NEGATIVE_INFINITY;
      const fresh = Array.isArray(s.timeseries) ? s.timeseries.filter((x) => x.t > last) : [];
      return { ...s, timeseries: fresh.length === 0 ? before : [...before, ...fresh] };
    }),
  };
}
