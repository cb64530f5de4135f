/**
 * k6's Gauge: the last value added, with the least and the greatest (summary: value, min,
 * max; thresholds: `'value<100'`).
 *
 * Each thread keeps its gauges per scenario; they travel between threads and machines as
 * counter keys of their own, merged when read back (../stats/gauge-counters.ts).
 *
 *   addGauge(store, 'queue_depth', 17);                 // inside an iteration
 *   gaugesToCounters(store.gauges, thread, out);        // a thread's counters()
 *   gaugesFromCounters(part.counters).get('queue_depth'); // { value, min, max, t }
 */

import type { GaugeState } from '../stats/gauge-counters.ts';
import { nowUs, usToEpochMs } from '../util/clock.ts';
import { type IterationStore, liveScenario, runtime } from './runtime.ts';

function put(m: Map<string, GaugeState>, name: string, value: number, t: number): void {
  const g = m.get(name);
  if (g === undefined) m.set(name, { value, min: value, max: value, t });
  else {
    g.value = value;
    g.t = t;
    if (value < g.min) g.min = value;
    if (value > g.max) g.max = value;
  }
}

/** Records a Gauge value in the iteration's scenario (and the live view, and --out). */
export function addGauge(s: IterationStore, name: string, value: number): void {
  const t = usToEpochMs(nowUs());
  put(s.gauges, name, value, t);
  const live = liveScenario(s.scenario);
  if (live !== null) put(live.gauges, name, value, t);
  runtime().sink?.(name, 'gauge', value, s.scenario);
}
