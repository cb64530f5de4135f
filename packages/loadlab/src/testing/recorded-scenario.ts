/**
 * A scenario result recorded from given latencies through the lab's own RequestStats (real
 * HdrHistograms, as a run records them), for tests of what reports derive from histograms:
 * each sample is one successful request of `type` `name` (default GET /x), `us` µs long.
 */
import type { ScenarioResult } from '../model/result.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { toScenarioResult } from '../stats/to-result.ts';
import { orderStress } from './fixtures.ts';

export interface RecordedSample {
  type?: string;
  name?: string;
  us: number;
}

export function recordedScenario(
  samples: readonly (RecordedSample | number)[],
  startedAt = 1_732_280_000_000,
): ScenarioResult {
  const stats = new RequestStats({ startUs: 0, startEpochMs: startedAt });
  for (const [i, s] of samples.entries()) {
    const x = typeof s === 'number' ? { us: s } : s;
    stats.record({
      type: x.type ?? 'GET',
      name: x.name ?? '/x',
      latencyUs: x.us,
      ok: true,
      status: 200,
      error: null,
      bytes: 1,
      timeUs: i,
    });
  }
  stats.timeline.finish();
  return toScenarioResult(stats, {
    scenario: 'curve',
    startedAt,
    durationSec: 1,
    generator: orderStress().generator,
  });
}
