/**
 * k6's `vus_max` before the first iteration: k6 initialises, before the test starts, the VUs its
 * execution plan needs at its busiest moment (lib.GetMaxPlannedVUs over
 * ScenarioConfigs.GetFullExecutionRequirements): each scenario needs, from its startTime to the
 * end of its duration and gracefulStop, its VUs (constant-vus, per-vu-iterations,
 * shared-iterations), its VUs as they ramp (ramping-vus: a VU more or less as the count passes
 * each of this segment's VUs, a ramp-down's kept for gracefulRampDown: ../generator/ramping-vus-plan.ts; alone,
 * the greatest of startVUs and the stages' targets) or its preAllocatedVUs (arrival-rate
 * executors: the VUs beyond them, up to maxVUs, are added when used). Scenarios that overlap
 * add up, step by step; one that starts after another's end reuses its VUs. The figure
 * holds from the start to the end of the test.
 *
 *   const plan = vusPlan(scenarios, segment); // { total: 5, shares: Map { a => 2, b => 3 } }
 *
 * `shares` splits `total` between the scenarios (in their order, each at most its own need), so
 * that a per-scenario figure (vus_max{scenario}, the Prometheus series) adds up to k6's.
 */
import { type ExecutionSegment, segmentShare, WHOLE } from '../generator/execution-segment.ts';
import { normalizeExecutor } from '../generator/executor-options.ts';
import { rampingVusSteps } from '../generator/ramping-vus-plan.ts';
import type { ScriptScenario } from './options.ts';

export interface VusPlan {
  /** The VUs initialised before the start (this run's part of the test, by its execution segment). */
  total: number;
  /** Each scenario's part of `total`. */
  shares: Map<string, number>;
}

export function vusPlan(scenarios: readonly ScriptScenario[], segment: ExecutionSegment = WHOLE): VusPlan {
  // k6's order: by startTime, then name (ScenarioConfigs.GetSortedConfigs)
  const sorted = [...scenarios].sort(
    (a, b) => a.startTimeMs - b.startTimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const need = new Map<string, number>();
  const steps: { at: number; id: number; vus: number }[] = [];
  sorted.forEach((s, id) => {
    const ex = normalizeExecutor(s.executor);
    // k6's GetExecutionRequirements: a ramping-vus scenario's VUs as they ramp (and are kept
    // for gracefulRampDown); any other's from its start to its end and gracefulStop
    const own =
      ex.model === 'closed' && ex.name === 'ramping-vus'
        ? rampingVusSteps(ex, segment)
        : [
            {
              at: 0,
              vus: segmentShare(
                ex.model === 'open' ? Math.min(ex.preAllocatedVUs, ex.maxVUs) : ex.maxVUs,
                segment,
              ),
            },
            { at: ex.totalMs + ex.gracefulStopMs, vus: 0 },
          ];
    // a loop, not Math.max(...): a ramp to 200,000 VUs has a step per VU, too many arguments
    let most = 0;
    for (const x of own) if (x.vus > most) most = x.vus;
    need.set(s.name, most);
    for (const x of own) steps.push({ at: s.startTimeMs + x.at, id, vus: x.vus });
  });
  // k6's GetFullExecutionRequirements: the steps in time order (by scenario at one instant,
  // a scenario's own in their order), each scenario's current VUs summed after each step: the
  // greatest sum (lib.GetMaxPlannedVUs)
  const ordered = steps.map((x, i) => ({ ...x, i })).sort((a, b) => a.at - b.at || a.id - b.id || a.i - b.i);
  const now = new Array<number>(sorted.length).fill(0);
  let total = 0;
  for (const st of ordered) {
    now[st.id] = st.vus;
    total = Math.max(
      total,
      now.reduce((a, b) => a + b, 0),
    );
  }
  const shares = new Map<string, number>();
  let left = total;
  for (const s of scenarios) {
    const share = Math.min(need.get(s.name) ?? 0, left);
    shares.set(s.name, share);
    left -= share;
  }
  return { total, shares };
}
