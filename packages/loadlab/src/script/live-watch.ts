/**
 * abortOnFail's watch: options.thresholds marked abortOnFail checked each second on the live
 * figures of a one-thread run (requests from each scenario's RequestEvents, the script's
 * counters and Trends from the runtime's live view); the first that fails stops the run.
 */

import type { RequestEvents } from '../stats/events.ts';
import { gaugesToCounters } from '../stats/gauge-counters.ts';
import { RequestStats } from '../stats/request-stats.ts';
import {
  evaluateK6,
  type K6Threshold,
  type K6ThresholdResult,
  type MetricPart,
  MetricView,
} from './k6-metrics.ts';
import { type LiveScenario, runtime, trendsToCounters } from './runtime.ts';

/**
 * Watches abortOnFail thresholds each second on the live (one-thread) metrics, per scenario,
 * so a threshold scoped to a scenario (`'checks{scenario:browse}'`) is watched as well.
 */
export function startLiveWatch(
  thresholds: K6Threshold[],
  onFail: (r: K6ThresholdResult) => void,
): { stop(): void } {
  const rt = runtime();
  const live = new Map<string, LiveScenario>();
  const stats = new Map<string, RequestStats>();
  const detach: (() => void)[] = [];
  rt.live = live;
  const hook = (events: RequestEvents, scenario: string) => {
    let s = stats.get(scenario);
    if (s === undefined) {
      s = new RequestStats();
      stats.set(scenario, s);
    }
    detach.push(s.attach(events));
  };
  rt.onEvents.push(hook);
  const started = Date.now();
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    const parts: MetricPart[] = [];
    for (const name of new Set([...stats.keys(), ...live.keys()])) {
      const l = live.get(name);
      const c: Record<string, number> = Object.fromEntries(l?.counters ?? []);
      if (l !== undefined) {
        trendsToCounters(l.trends, c);
        gaugesToCounters(l.gauges, 0, c);
      }
      parts.push({
        scenario: name,
        stats: stats.get(name) ?? new RequestStats(),
        counters: c,
        iterations: l?.iterations ?? 0,
        dropped: 0,
      });
    }
    const view = new MetricView(parts, elapsed / 1000);
    const due = thresholds.filter((t) => elapsed >= t.delayAbortEvalMs);
    const failed = evaluateK6(view, due).find((r) => !r.pass);
    if (failed !== undefined) onFail(failed);
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      for (const d of detach) d();
      rt.live = null;
      rt.onEvents = rt.onEvents.filter((h) => h !== hook);
    },
  };
}
