/**
 * `--out json`'s `vus` and `vus_max`, written as k6 writes them: one Point of each per second
 * for the whole test (k6's scheduler samples them on a 1 s ticker from the start of the
 * scenarios to their end), the sum over every scenario running, tagged with the run's tags
 * only (options.tags and --tag: k6's RunTags), not `scenario`. A run shorter than a second
 * writes none, as k6's. Each scenario's executor reports its own figures (factory.ts, through
 * runtime().sink) as they change; a scenario not started yet, or ended, has no VU active.
 * `vus_max` is the VUs k6 initialises before the start (`planned`, ./vus-plan.ts) and those the
 * arrival-rate scenarios added beyond their preAllocatedVUs, kept to the end.
 */
import type { K6JsonOut } from '../report/k6-json-out.ts';

export class VusOut {
  private readonly now = new Map<string, { vus: number; vus_max: number }>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly out: K6JsonOut,
    private readonly tags: Readonly<Record<string, string>>,
    private readonly planned: number,
  ) {
    this.timer = setInterval(() => this.write(), 1000);
  }

  /** A scenario's current figure of `metric` (vus or vus_max). */
  set(scenario: string, metric: 'vus' | 'vus_max', value: number): void {
    let s = this.now.get(scenario);
    if (s === undefined) {
      s = { vus: 0, vus_max: 0 };
      this.now.set(scenario, s);
    }
    s[metric] = value;
  }

  private write(): void {
    let vus = 0;
    let max = this.planned;
    for (const s of this.now.values()) {
      vus += s.vus;
      max += s.vus_max;
    }
    this.out.sample('vus', 'gauge', vus, this.tags);
    this.out.sample('vus_max', 'gauge', max, this.tags);
  }

  /** The scenarios ended: no more samples. */
  stop(): void {
    clearInterval(this.timer);
  }
}
