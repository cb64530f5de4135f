/**
 * A script run's section for a `run --worker`'s part so far (generator/live-parts.ts): each
 * scenario's checks, custom metrics, Trends' histograms, iterations and dropped iterations, as
 * the final report's section holds them (script-section.ts), so that the master merges a lost
 * worker's last snapshot as it merges a final part. A scenario still running has its VUs taken
 * off in the second after the snapshot (as its end would), and its Trends come as recorders (no
 * counter key per bucket to build and parse every 2 s), packed (stats/packed-counts.ts); a
 * scenario that ended is built once.
 */
import type { LivePart, LiveSectionBuilder } from '../generator/live-parts.ts';
import type { EncodedLatency, ScriptScenarioMetrics } from '../model/result.ts';
import { packRecorder } from '../stats/latency-codec.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { RequestStats } from '../stats/request-stats.ts';
import type { MetricKind } from './runtime.ts';
import { trendsFromCounters } from './runtime.ts';
import { partSection, scriptSection } from './script-section.ts';
import { vusEndedAt } from './vus-series.ts';

/** A part so far has no requests of its own in its section (partSection reads only setup()'s). */
const NO_STATS = new RequestStats();

export interface LiveSectionPlan {
  declared: ReadonlyMap<string, MetricKind>;
  labThresholds: readonly string[];
  /** The run's `vus_max` key and each scenario's planned VUs (run-script.ts adds them at the end too). */
  planKey: string;
  shares: ReadonlyMap<string, number>;
}

export function liveSectionBuilder(plan: LiveSectionPlan): LiveSectionBuilder {
  const ended = new WeakMap<LivePart, ScriptScenarioMetrics>();
  return (live, at) => {
    const names = live.map((p) => p.result.scenario);
    // the VUs planned for scenarios not started yet go to the first one, as at the end
    const unstarted = [...plan.shares].reduce((a, [n, v]) => a + (names.includes(n) ? 0 : v), 0);
    const scenarios = live.map((p, i) => {
      let m = ended.get(p);
      if (m === undefined) {
        m = p.running ? running(p, at) : partSection({ ...p, scenario: p.result.scenario, stats: NO_STATS });
        if (!p.running) ended.set(p, m);
      }
      const planned = (plan.shares.get(names[i]) ?? 0) + (i === 0 ? unstarted : 0);
      const counters = { ...m.counters, [plan.planKey]: (m.counters[plan.planKey] ?? 0) + planned };
      return { ...m, counters };
    });
    return { ...scriptSection([], plan.declared, [], undefined, plan.labThresholds), scenarios };
  };
}

/** A running scenario's metrics so far. */
function running(p: LivePart, at: number): ScriptScenarioMetrics {
  const all = vusEndedAt(p.counters, Math.floor(at / 1000) + 1);
  const recorders = new Map(p.trends ?? []);
  const counters: Record<string, number> = {};
  let bucketed = false;
  for (const k in all) {
    if (k.startsWith('trend:')) bucketed = true;
    else counters[k] = all[k];
  }
  // a thread that ended before the others gave its Trends as counter keys
  if (bucketed)
    for (const [name, r] of trendsFromCounters(all)) {
      const held = recorders.get(name);
      if (held === undefined) recorders.set(name, r);
      else {
        const sum = new LatencyRecorder();
        sum.add(held);
        sum.add(r);
        recorders.set(name, sum);
      }
    }
  const trends: Record<string, EncodedLatency> = {};
  for (const [name, r] of recorders) trends[name] = packRecorder(r);
  return { scenario: p.result.scenario, counters, trends, iterations: p.iterations, dropped: p.dropped };
}
