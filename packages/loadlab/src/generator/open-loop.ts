/**
 * The open model (constant-arrival-rate, ramping-arrival-rate). Iterations are due on the
 * absolute ArrivalSchedule; the loop starts every due iteration on a free VU slot (lowest
 * first: a LIFO stack of free slots, growing from preAllocatedVUs up to maxVUs only when
 * needed). When no slot is free and maxVUs is reached, the iteration is DROPPED and counted
 * (k6's dropped_iterations), never queued. Scripts measure latency from the intended time,
 * so a late start or a stalled target shows in the percentiles.
 *
 * Timing: no timer per iteration. One loop handles every due iteration per wake-up (up to
 * a batch limit, then yields to I/O); it sleeps with setTimeout while the next one is more
 * than `spinUs` away and spins with setImmediate inside that window. The default, 0, uses
 * timers only: iterations start within ~1 ms of their intended time (wrk2's granularity)
 * and an idle generator costs almost no CPU (250,000 frames/s of WebSocket ticks took 18%
 * of a core here, against 100% when spinning). spinUs = 200..1000 starts them within a few
 * µs at the cost of a spinning core. The start lag is recorded either way, and since latency
 * counts from the intended time, lateness is never hidden.
 */
import { nowUs } from '../util/clock.ts';
import { ExecutorBase, type ModelOutcome } from './executor-base.ts';
import type { NormalizedExecutor } from './executor-options.ts';
import { ArrivalSchedule } from './schedule.ts';

export interface OpenLoopOptions {
  /** Worker index and count (the thread runs iterations g = index, index + count, ...). */
  index: number;
  count: number;
  preAllocatedVUs: number;
  maxVUs: number;
  /** Spin window before a due iteration (µs); default 0 (timers only). */
  spinUs?: number;
}

const BATCH = 4096;

export class OpenLoop extends ExecutorBase {
  private readonly schedule: ArrivalSchedule;
  private readonly free: Int32Array;
  private freeTop = 0;
  private allocated: number;
  private dropped = 0;
  private startUs = 0;
  private nextDue = -1;
  private timer: NodeJS.Timeout | undefined;
  private readonly spinUs: number;

  constructor(ex: Extract<NormalizedExecutor, { model: 'open' }>, o: OpenLoopOptions) {
    super(o.maxVUs, ex.gracefulStopMs);
    this.schedule = new ArrivalSchedule(ex.segments, o.index, o.count);
    this.spinUs = o.spinUs ?? 0;
    this.free = new Int32Array(o.maxVUs);
    this.allocated = Math.min(o.preAllocatedVUs, o.maxVUs);
    for (let v = this.allocated - 1; v >= 0; v--) this.free[this.freeTop++] = v;
  }

  /** k6's: every VU allocated is active (preAllocatedVUs, growing up to maxVUs when needed). */
  override vus(): { active: number; allocated: number } {
    return { active: this.allocated, allocated: this.allocated };
  }

  stop(): void {
    if (this.stopping) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextDue = -1;
    this.endStarting();
  }

  protected begin(startUs: number): void {
    this.startUs = startUs;
    const first = this.schedule.next();
    if (first < 0) {
      this.endStarting();
      return;
    }
    this.nextDue = startUs + first;
    this.arm();
  }

  protected release(vu: number): void {
    this.free[this.freeTop++] = vu;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.stopping) return;
    const now = nowUs();
    let due = this.nextDue;
    let n = 0;
    while (due >= 0 && due <= now && n++ < BATCH && !this.stopping) {
      let vu = -1;
      if (this.freeTop > 0) vu = this.free[--this.freeTop];
      else if (this.allocated < this.maxVUs) vu = this.allocated++;
      if (vu < 0) {
        this.dropped++;
        this.script.dropped?.();
      } else {
        this.startLag.record(now - due);
        this.launch(vu, due);
      }
      const off = this.schedule.next();
      due = off < 0 ? -1 : this.startUs + off;
    }
    this.nextDue = due;
    if (due < 0) this.endStarting();
    else this.arm();
  };

  private arm(): void {
    if (this.stopping) return;
    const wait = this.nextDue - nowUs();
    if (wait <= this.spinUs) setImmediate(this.tick);
    else this.timer = setTimeout(this.tick, Math.max(1, Math.floor((wait - this.spinUs) / 1000)));
  }

  protected outcome(): ModelOutcome {
    return {
      model: 'open',
      started: this.started,
      completed: this.completed,
      dropped: this.dropped,
      scheduled: this.schedule.scheduled,
      planned: this.schedule.share,
      vusUsed: this.allocated,
    };
  }
}
