/**
 * k6's submetrics: a threshold on a tag, `http_req_duration{status:200}`,
 * `http_req_duration{expected_response:true}`, `checks{check:login ok}`,
 * `group_duration{group:::checkout}`, `my_trend{kind:api}`.
 *
 * As in k6, a submetric is known before the run (from the thresholds) and gets its own sink:
 * each sample of the metric whose tags include all of the submetric's is also recorded under
 * the submetric's key, in the iteration's counters and trends (so it is merged over threads and
 * workers exactly like a custom metric, and read back by k6-metrics' MetricView). A metric with
 * no submetric declared costs one Map lookup per sample.
 *
 * The tags a sample carries: for http_* `name`, `method`, `status`, `expected_response`,
 * `group`, `url` and the request's own `params.tags`; for checks `check` and `group`; for
 * group_duration `group`; for custom metrics the tags given to `add(value, tags)` and `group`;
 * and, for all, options.tags and the scenario's tags. `scenario` is never part of the key: the
 * figures are kept per scenario already.
 */

import { trendSlot } from '../stats/signed-trend.ts';
import {
  counterKey,
  type IterationStore,
  liveScenario,
  recorderIn,
  runtime,
  type Submetric,
} from './runtime.ts';

export type { Submetric };

/** The canonical key of `metric` with `tags` (scenario left out), or null when no tag is left. */
export function submetricKey(metric: string, tags: Readonly<Record<string, string>>): string | null {
  const kv = Object.entries(tags)
    .filter(([k]) => k !== 'scenario')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return kv.length === 0 ? null : `${metric}{${kv.map(([k, v]) => `${k}:${v}`).join(',')}}`;
}

/** Parses a canonical key back (the generator threads get the keys as strings). */
function parseKey(key: string): { metric: string; sub: Submetric } | null {
  const m = /^([^{]+)\{(.*)\}$/.exec(key);
  if (m === null) return null;
  const tags = m[2].split(',').map((p) => {
    const i = p.indexOf(':');
    return [p.slice(0, i), p.slice(i + 1)] as const;
  });
  return { metric: m[1], sub: { key, tags } };
}

/** Declares the run's submetrics in this thread (from ScriptParams.submetrics). */
export function declareSubmetrics(keys: readonly string[] | undefined): void {
  const by = runtime().submetrics;
  for (const key of keys ?? []) {
    const p = parseKey(key);
    if (p === null) continue;
    const list = by.get(p.metric) ?? [];
    if (!list.some((s) => s.key === key)) list.push(p.sub);
    by.set(p.metric, list);
  }
}

/** The submetrics declared on `metric`, or undefined (the common case: nothing to do). */
export function submetricsOf(metric: string): readonly Submetric[] | undefined {
  return runtime().submetrics.get(metric);
}

/** Storage names: what MetricView reads back. */
export const subName = (key: string) => `sub:${key}`;

function bump(s: IterationStore, key: string, n: number): void {
  s.counters.set(key, (s.counters.get(key) ?? 0) + n);
  const live = liveScenario(s.scenario);
  if (live !== null) live.counters.set(key, (live.counters.get(key) ?? 0) + n);
}

/**
 * Records one sample into every submetric of `metric` its tags match. `tag(k)` gives the
 * sample's value of tag k (undefined when it has none); the scenario's tags are looked up
 * after it.
 */
export function recordTagged(
  s: IterationStore,
  subs: readonly Submetric[],
  kind: 'trend' | 'rate' | 'counter',
  value: number,
  tag: (k: string) => string | undefined,
): void {
  const scenarioTags = runtime().scenarioTags.get(s.scenario);
  for (const sub of subs) {
    let match = true;
    for (const [k, v] of sub.tags) {
      const have = tag(k) ?? scenarioTags?.[k];
      // a tag is text, as in k6: `tags: { id: 5 }` matches `{id:5}`
      if (have === undefined || String(have) !== v) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    const name = subName(sub.key);
    if (kind === 'trend') {
      const slot = trendSlot(name, value);
      const us = Math.abs(value) * 1000;
      recorderIn(s.trends, slot).record(us);
      const live = liveScenario(s.scenario);
      if (live !== null) recorderIn(live.trends, slot).record(us);
    } else if (kind === 'rate') {
      bump(s, counterKey.rateTotal(name), 1);
      if (value !== 0) bump(s, counterKey.ratePass(name), 1);
    } else bump(s, counterKey.counter(name), value);
  }
}
