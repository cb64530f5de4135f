/**
 * k6's `vus` and `vus_max` gauges: the VUs active and the VUs initialised, sampled once a second
 * (k6's rate) from the executor of each generator thread (`vus`: closed model, the VUs looping;
 * open model, the VUs allocated so far, preAllocatedVUs growing up to maxVUs, as k6 activates
 * every VU it allocates). A thread's `vus_max` is only the VUs it added beyond its
 * preAllocatedVUs share (open model, when needed; never taken off, as k6 keeps an initialised VU
 * to the end): the VUs k6 initialises before the start (./vus-plan.ts) are written once, by the
 * run (run-script.ts), from the test's first second.
 *
 * The whole test's figure of a second is the sum of every thread's, scenario's and process's,
 * so each thread writes counter keys that add up exactly where counters are added (threads,
 * `run --master`'s workers, `tickstorm merge`), one key per second in which its value changed:
 *
 *   vus:d:<epoch s>       the change of this thread's active VUs in that second (its first
 *                         sample always writes one, 0 included: where the series starts)
 *   vus:end:<epoch s>     its last value taken off when the scenario ended in the thread: in
 *                         the second after the one it ended in (a VU counts in every second
 *                         it ran in), so that second - 1 is the thread's last
 *   vus_max:d             the same for the VUs initialised (no vus_max:end: they stay; a
 *                         report written before had it, and it is still read)
 *
 * Read back (vusGauge), the changes summed second by second give the series, from the first
 * sample of any thread to the last: its last value, its least and its greatest (k6's gauge
 * `value`, `min`, `max`). A thread's sample n is second n of its scenario's run, counted
 * from the start every thread and worker of the scenario shares (so their samples add up in
 * the same second however their timers drift), as an epoch second: scenarios that start apart
 * (startTime) line up to the second.
 */

export const VUS_METRICS = ['vus', 'vus_max'] as const;

type Counters = Map<string, number>;

const bump = (m: Counters, key: string, n: number) => m.set(key, (m.get(key) ?? 0) + n);

/** One thread's samples of one scenario, written into its counters (and the live view's). */
export class VusSeries {
  private last: [number, number] = [0, 0];
  private lastSec = -1;

  constructor(private readonly targets: () => readonly Counters[]) {}

  sample(active: number, allocated: number, epochSec: number): void {
    const first = this.lastSec < 0;
    const now = [active, allocated] as const;
    const into = this.targets();
    for (let i = 0; i < 2; i++) {
      const d = now[i] - this.last[i];
      if (d !== 0 || first) for (const m of into) bump(m, `${VUS_METRICS[i]}:d:${epochSec}`, d);
    }
    this.last = [active, allocated];
    this.lastSec = Math.max(this.lastSec, epochSec);
  }

  /**
   * The scenario ended in this thread: its active VUs leave the series in `atSec` (after its last
   * sample); its VUs initialised stay (k6 keeps them to the end of the test).
   */
  end(atSec: number): void {
    if (this.lastSec < 0) return;
    const into = this.targets();
    const sec = Math.max(atSec, this.lastSec + 1);
    for (const m of into) bump(m, `${VUS_METRICS[0]}:end:${sec}`, -this.last[0]);
    this.lastSec = -1;
    this.last = [0, this.last[1]];
  }
}

/** The whole series of `metric` over `parts`' counters: its last value, min and max (undefined: no sample). */
export function vusGauge(
  metric: string,
  parts: readonly { counters: Readonly<Record<string, number>> }[],
): { value: number; min: number; max: number } | undefined {
  const d = `${metric}:d:`;
  const end = `${metric}:end:`;
  const delta = new Map<number, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of parts)
    for (const [k, v] of Object.entries(p.counters)) {
      let sec: number;
      if (k.startsWith(d)) {
        sec = Number(k.slice(d.length));
        first = Math.min(first, sec);
        last = Math.max(last, sec);
      } else if (k.startsWith(end)) {
        sec = Number(k.slice(end.length));
        last = Math.max(last, sec - 1);
      } else continue;
      delta.set(sec, (delta.get(sec) ?? 0) + v);
    }
  if (first === Number.POSITIVE_INFINITY) return undefined;
  let value = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  // between two changes the value holds: its least and greatest are among the changes' values
  for (const sec of [...delta.keys()].filter((s) => s <= last).sort((a, b) => a - b)) {
    value += delta.get(sec) ?? 0;
    if (sec < first) continue;
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  return { value, min, max };
}

/**
 * `counters` (a scenario's, still running) as if its VUs left in `atSec`: its active VUs
 * taken off there (`vus:end`), as its end would (a run --worker's part so far, which stands for
 * the part of a worker lost after it).
 */
export function vusEndedAt(
  counters: Readonly<Record<string, number>>,
  atSec: number,
): Record<string, number> {
  const d = `${VUS_METRICS[0]}:d:`;
  const end = `${VUS_METRICS[0]}:end:`;
  let active = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const k in counters) {
    if (k.startsWith(d)) last = Math.max(last, Number(k.slice(d.length)));
    else if (!k.startsWith(end)) continue;
    active += counters[k];
  }
  if (active === 0 || last === Number.NEGATIVE_INFINITY) return { ...counters };
  const key = `${end}${Math.max(atSec, last + 1)}`;
  return { ...counters, [key]: (counters[key] ?? 0) - active };
}
