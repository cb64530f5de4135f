/**
 * The closed model (constant-vus, ramping-vus): each VU loops, starting its next iteration
 * as soon as the previous one ends (after an optional think time), so the request rate is
 * whatever the target answers. Latency is measured from the actual start. Thread `index` of
 * `count` runs the global VUs v = index, index + count, ...; a control tick follows the VU
 * curve: VUs below the target are started, VUs above it stop after their current iteration.
 * In ramping-vus, as k6's, a VU ramped down whose iteration is still running after
 * gracefulRampDown has it interrupted (k6's hard stop: when the VUs its plan keeps, the ramp
 * with each ramp-down's VUs held for gracefulRampDown, fall below it; ./ramping-vus-plan.ts).
 * With an iteration budget (shared-iterations: the thread's share of the total, taken by
 * whichever VU is free; per-vu-iterations: `count` per VU) a VU stops when the budget is
 * spent, and the run ends when every VU has stopped (or at maxDuration).
 */

import { nowUs } from '../util/clock.ts';
import { ExecutorBase, type ModelOutcome } from './executor-base.ts';
import type { NormalizedExecutor } from './executor-options.ts';
import { type PlanStep, rampingVusSteps } from './ramping-vus-plan.ts';

type Closed = Extract<NormalizedExecutor, { model: 'closed' }>;

const CONTROL_MS = 20;
/**
 * Iterations started back to back without the event loop turning (each ended in a microtask:
 * a script whose iteration awaits nothing real) before the next is put off to setImmediate, so
 * the control tick, the end of the run and I/O still get their turn.
 */
const CHAIN_MAX = 512;

/** Local VUs of thread `index` of `count` when the global target is `t`. */
export function vuShare(t: number, index: number, count: number): number {
  return t > index ? Math.floor((t - index - 1) / count) + 1 : 0;
}

/**
 * Global VU target `ms` into the run, k6's ramping-vus steps: linear within a stage, a VU joins
 * when a ramp up reaches its number (rounded down) and leaves when a ramp down reaches the number
 * below it (rounded up), so `startVUs: 2, stages: [{ duration: '2s', target: 0 }]` keeps 2 VUs
 * for the first second and 1 for the second, as k6 does.
 */
export function vuTarget(ex: Closed, ms: number): number {
  // the control tick may run a moment before the start: a ramp down extrapolated back to it
  // would round up to a VU more than it starts with
  if (ms < 0) ms = 0;
  let t0 = 0;
  for (const s of ex.segments) {
    if (ms < t0 + s.ms) {
      const v = s.from + ((s.to - s.from) * (ms - t0)) / s.ms;
      return s.to < s.from ? Math.ceil(v - 1e-9) : Math.floor(v + 1e-9);
    }
    t0 += s.ms;
  }
  return ex.segments[ex.segments.length - 1].to;
}

export class ClosedLoop extends ExecutorBase {
  private readonly running: Uint8Array;
  private target = 0;
  private startUs = 0;
  private depth = 0;
  private readonly deferred: number[] = [];
  /** Iterations started since the event loop last turned (see CHAIN_MAX). */
  private chained = 0;
  private turnMarked = false;
  private readonly turned = (): void => {
    this.chained = 0;
    this.turnMarked = false;
  };
  private control: NodeJS.Timeout | undefined;
  /** ramping-vus: the VUs k6 keeps at each moment (ramp-downs held for gracefulRampDown). */
  private plan: PlanStep[] = [];
  private planAt = 0;
  private hardTimer: NodeJS.Timeout | undefined;
  private vusUsed = 0;
  /** shared-iterations: iterations this thread may still start. */
  private sharedLeft = Number.POSITIVE_INFINITY;
  /** per-vu-iterations: iterations started per VU. */
  private readonly perVu: Uint32Array;
  /** VUs that spent their iteration budget. */
  private readonly spent: Uint8Array;
  private spentCount = 0;

  constructor(
    private readonly ex: Closed,
    private readonly index: number,
    private readonly count: number,
  ) {
    super(vuShare(ex.maxVUs, index, count), ex.gracefulStopMs);
    this.running = new Uint8Array(this.maxVUs);
    this.perVu = new Uint32Array(this.maxVUs);
    this.spent = new Uint8Array(this.maxVUs);
    if (ex.iterations !== undefined && !ex.iterations.perVu)
      this.sharedLeft = vuShare(ex.iterations.count, index, count);
  }

  /** True when VU `v` may start another iteration (counts it); false marks it spent. */
  private takeBudget(v: number): boolean {
    const it = this.ex.iterations;
    if (it === undefined) return true;
    if (it.perVu ? this.perVu[v] < it.count : this.sharedLeft > 0) {
      if (it.perVu) this.perVu[v]++;
      else this.sharedLeft--;
      return true;
    }
    if (this.spent[v] === 0) {
      this.spent[v] = 1;
      this.spentCount++;
    }
    this.running[v] = 0;
    if (this.active === 0 && this.spentCount >= this.target) setImmediate(() => this.stop());
    return false;
  }

  /**
   * k6's active VUs: the target's, and the VUs ramped down but still in their last iteration
   * (k6 counts a ramped-down VU active until its iteration ends or gracefulRampDown cuts it);
   * once stopping, those still in an iteration.
   */
  override gauge(): number {
    if (this.stopping) return this.active;
    let finishing = 0;
    for (let v = this.target; v < this.maxVUs; v++) finishing += this.busy[v];
    return this.target + finishing;
  }

  stop(): void {
    if (this.stopping) return;
    clearTimeout(this.control);
    this.target = 0;
    this.endStarting();
  }

  protected begin(startUs: number): void {
    this.startUs = startUs;
    if (this.ex.name === 'ramping-vus') {
      this.plan = rampingVusSteps(this.ex, { index: this.index, count: this.count });
      this.hardStops();
    }
    this.steer();
  }

  protected override ended(): void {
    clearTimeout(this.hardTimer);
  }

  /**
   * Follows the plan: each time the VUs it keeps fall, a VU at or above that count that is
   * still in an iteration and no longer wanted (ramped down, or the scenario stopping) has it
   * interrupted, as k6's ramping-vus hard-stops it when its gracefulRampDown runs out.
   */
  private readonly hardStops = (): void => {
    const ms = (nowUs() - this.startUs) / 1000;
    while (this.planAt < this.plan.length && this.plan[this.planAt].at <= ms) {
      const keep = this.plan[this.planAt++].vus;
      // the target now (the control tick's may be up to CONTROL_MS old)
      const wanted = this.stopping ? 0 : vuShare(vuTarget(this.ex, ms), this.index, this.count);
      for (let v = Math.max(keep, wanted); v < this.maxVUs; v++) if (this.interrupt(v)) this.running[v] = 0;
    }
    if (this.planAt < this.plan.length)
      this.hardTimer = setTimeout(this.hardStops, Math.max(1, Math.ceil(this.plan[this.planAt].at - ms)));
  };

  private readonly steer = (): void => {
    if (this.stopping) return;
    const ms = (nowUs() - this.startUs) / 1000;
    if (ms >= this.ex.totalMs) {
      this.stop();
      return;
    }
    this.target = vuShare(vuTarget(this.ex, ms), this.index, this.count);
    if (this.target === 0 && this.ex.iterations !== undefined) {
      this.stop(); // this thread has no VU (more threads than VUs)
      return;
    }
    for (let v = 0; v < this.target; v++) {
      if (this.running[v] === 0 && this.spent[v] === 0) {
        this.running[v] = 1;
        if (v >= this.vusUsed) this.vusUsed = v + 1;
        if (this.busy[v] === 0) this.next(v);
      }
    }
    const left = this.ex.totalMs - ms;
    this.control = setTimeout(this.steer, Math.max(1, Math.min(CONTROL_MS, Math.ceil(left))));
  };

  private next(v: number, atUs?: number): void {
    if (!this.takeBudget(v)) return;
    if (this.depth > 0 || this.chained >= CHAIN_MAX) {
      // an iteration ended synchronously inside start(), or many ended in microtasks without the
      // event loop turning: restart from a fresh stack, after I/O and timers had their turn
      if (this.deferred.push(v) === 1) setImmediate(this.drain);
      return;
    }
    this.chained++;
    if (!this.turnMarked) {
      this.turnMarked = true;
      setImmediate(this.turned);
    }
    this.depth++;
    this.launch(v, atUs ?? nowUs());
    this.depth--;
  }

  private readonly drain = (): void => {
    const vs = this.deferred.splice(0);
    for (const v of vs)
      if (!this.stopping && this.running[v] === 1 && this.busy[v] === 0) {
        this.depth++;
        this.launch(v, nowUs()); // its budget was taken when it was deferred
        this.depth--;
      }
  };

  private readonly wake = (v: number): void => {
    if (!this.stopping && this.running[v] === 1 && this.busy[v] === 0) this.next(v);
  };

  protected release(vu: number, atUs?: number): void {
    if (this.stopping || vu >= this.target) {
      this.running[vu] = 0;
      return;
    }
    const ex = this.ex;
    if (ex.thinkMaxMs > 0) {
      const ms = ex.thinkMinMs + Math.random() * (ex.thinkMaxMs - ex.thinkMinMs);
      setTimeout(this.wake, ms, vu);
    } else {
      this.next(vu, atUs);
    }
  }

  protected outcome(): ModelOutcome {
    return {
      model: 'closed',
      started: this.started,
      completed: this.completed,
      dropped: 0,
      scheduled: this.started,
      planned: this.started,
      vusUsed: this.vusUsed,
    };
  }
}
