/**
 * The generator's request durations as cumulative Prometheus histograms, one series per
 * scenario and request name: `loadlab_request_duration_seconds{scenario,name,le}` with
 * `_sum` and `_count`, fed with each second's per-name buckets (stats/slice-detail.ts), so
 * the counts are every request the generator recorded since the start.
 *
 * Request names are bounded: the first `maxNames` names of a scenario (100 by default) get
 * their own series, the requests of any other name are added under name="(other)".
 *
 * With `byType` (the swarm: Locust's request type and name) a series is one request type and
 * name, labelled {scenario,type,name}; the bound then counts (type, name) pairs and the rest
 * go under type="(other)", name="(other)".
 */
import { BUCKET_COUNT, DURATION_BUCKETS_S, type NameLatency } from '../stats/slice-detail.ts';
import type { Exposition } from './prom-text.ts';

export const DURATION_FAMILY = 'loadlab_request_duration_seconds';
/** The request names a scenario's histogram keeps apart by default. */
export const MAX_REQUEST_NAMES = 100;
/** The name label of the requests past the first `maxNames` names. */
export const OTHER_NAMES = '(other)';

interface Cumulative {
  buckets: Float64Array;
  sumUs: number;
}

interface ScenarioSeries {
  /** At most `maxNames` names (with `byType`: type NUL name), in the order first seen. */
  own: Map<string, Cumulative>;
  other: Cumulative | undefined;
}

const empty = (): Cumulative => ({ buckets: new Float64Array(BUCKET_COUNT), sumUs: 0 });

export class DurationHistograms {
  private readonly byScenario = new Map<string, ScenarioSeries>();

  constructor(
    private readonly maxNames = MAX_REQUEST_NAMES,
    private readonly byType = false,
  ) {}

  add(scenario: string, latency: readonly NameLatency[]): void {
    let s = this.byScenario.get(scenario);
    if (s === undefined) {
      s = { own: new Map(), other: undefined };
      this.byScenario.set(scenario, s);
    }
    for (const n of latency) {
      const key = this.byType ? `${n.type ?? ''}\u0000${n.name}` : n.name;
      let c = s.own.get(key);
      if (c === undefined) {
        if (s.own.size < this.maxNames && n.name !== OTHER_NAMES) {
          c = empty();
          s.own.set(key, c);
        } else c = s.other ??= empty();
      }
      for (let i = 0; i < BUCKET_COUNT; i++) c.buckets[i] += n.buckets[i] ?? 0;
      c.sumUs += n.sumUs;
    }
  }

  render(out: Exposition): void {
    const help = 'Request latency as measured by the generator (every request since the start)';
    out.declare(DURATION_FAMILY, 'histogram', help);
    for (const [scenario, s] of this.byScenario) {
      const series = [...s.own, ...(s.other === undefined ? [] : [[OTHER_NAMES, s.other] as const])];
      for (const [key, c] of series) {
        const [type, name] = this.byType && key !== OTHER_NAMES ? key.split('\u0000', 2) : [OTHER_NAMES, key];
        out.histogram(DURATION_FAMILY, help, DURATION_BUCKETS_S, {
          labels: [
            ['scenario', scenario],
            ...(this.byType ? [['type', type] as [string, string]] : []),
            ['name', name],
          ],
          buckets: c.buckets,
          sum: c.sumUs / 1e6,
        });
      }
    }
  }
}
