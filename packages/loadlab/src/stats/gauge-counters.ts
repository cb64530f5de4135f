/**
 * A k6 Gauge's state as counter keys, so it travels with the counters between threads and
 * machines: `gauge:<name>:<thread>:value|min|max|t` (`thread`: the generator thread's place in
 * the whole test, so no two threads' keys meet when counters are summed). Read back, the
 * threads' states merge: the value added last (by its epoch time `t`), the least of the
 * minimums, the greatest of the maximums. (Recording a value: ../script/gauges.ts.)
 */

const PREFIX = 'gauge:';
const FIELDS = ['value', 'min', 'max', 't'] as const;

/** A Gauge in one thread and scenario: the last value (at `t`, epoch ms), the least and the greatest. */
export interface GaugeState {
  value: number;
  min: number;
  max: number;
  t: number;
}

/** Two states of one gauge as one: the later value, the least min, the greatest max. */
export function mergeGauge(a: GaugeState | undefined, b: GaugeState): GaugeState {
  if (a === undefined) return { ...b };
  const last = b.t >= a.t ? b : a;
  return { value: last.value, t: last.t, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** A thread's gauges as counter keys (see above). */
export function gaugesToCounters(
  gauges: ReadonlyMap<string, GaugeState>,
  thread: number,
  out: Record<string, number>,
): void {
  for (const [name, g] of gauges) for (const f of FIELDS) out[`${PREFIX}${name}:${thread}:${f}`] = g[f];
}

/** The gauge keys of `counters` by their `gauge:<name>:<thread>` group. */
function groups(counters: Readonly<Record<string, number>>): Map<string, GaugeState> {
  const out = new Map<string, GaugeState>();
  for (const [k, v] of Object.entries(counters)) {
    if (!k.startsWith(PREFIX)) continue;
    const cut = k.lastIndexOf(':');
    const head = k.slice(0, cut);
    let g = out.get(head);
    if (g === undefined) {
      g = { value: 0, min: 0, max: 0, t: 0 };
      out.set(head, g);
    }
    g[k.slice(cut + 1) as (typeof FIELDS)[number]] = v;
  }
  return out;
}

/** Every gauge in `counters`, its threads merged. */
export function gaugesFromCounters(counters: Readonly<Record<string, number>>): Map<string, GaugeState> {
  const out = new Map<string, GaugeState>();
  for (const [head, g] of groups(counters)) {
    const name = head.slice(PREFIX.length, head.lastIndexOf(':'));
    out.set(name, mergeGauge(out.get(name), g));
  }
  return out;
}

/** Adds `from`'s counters to `into`: sums, except a gauge's keys, which merge as gauges. */
export function addCounters(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) if (!k.startsWith(PREFIX)) into[k] = (into[k] ?? 0) + v;
  const had = groups(into);
  for (const [head, g] of groups(from)) {
    const m = mergeGauge(had.get(head), g);
    for (const f of FIELDS) into[`${head}:${f}`] = m[f];
  }
}
