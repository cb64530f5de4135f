/**
 * What both models share: the VU slots' busy flags, the in-flight count, iteration error
 * samples, and the end of a run (stop starting; let in-flight iterations finish for up to
 * gracefulStop; then close the script, abandoning what is left as "interrupted").
 */
import { LabError, LabErrorCode } from '../errors.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import { nowUs } from '../util/clock.ts';
import type { VuScript } from './script.ts';

export interface ExecutorOutcome {
  model: 'open' | 'closed';
  /** Iterations started. */
  started: number;
  /** Iterations that ended (done). */
  completed: number;
  /** Open model: iterations that found no free VU (k6's dropped_iterations). */
  dropped: number;
  /** Iterations still running when gracefulStop ran out (or the run was aborted). */
  interrupted: number;
  /** Open model: this thread's scheduled iterations (started + dropped when it ran to the end). */
  scheduled: number;
  /** Open model: this thread's share of the whole schedule. */
  planned: number;
  /** VU slots ever used (open model: grows past preAllocatedVUs only when needed). */
  vusUsed: number;
  /** Iterations that threw, and the first few messages. */
  errors: number;
  errorSamples: string[];
  /** Open model: start lag (actual start - intended), µs. */
  startLag: LatencyRecorder;
  /** Lab-clock µs at which the run ended. */
  endUs: number;
  /** Why the run was halted (ExecutorBase.halt's reason), when it was and one was given. */
  haltedBy?: string;
}

/** What a model (open or closed loop) reports; the base adds the rest of ExecutorOutcome. */
export type ModelOutcome = Omit<
  ExecutorOutcome,
  'interrupted' | 'endUs' | 'errors' | 'errorSamples' | 'startLag'
>;

export abstract class ExecutorBase {
  active = 0;
  protected script!: VuScript;
  protected readonly busy: Uint8Array;
  protected started = 0;
  protected completed = 0;
  protected errors = 0;
  protected readonly errorSamples: string[] = [];
  protected readonly startLag = new LatencyRecorder();
  protected stopping = false;
  /** Iterations abandoned before the end (a ramped-down VU's, its gracefulRampDown run out). */
  protected cut = 0;
  private finished = false;
  private haltedBy: string | undefined;
  /** Set by run(); until then a stop only marks the executor stopping (run() then ends at once). */
  private resolveRun: ((o: ExecutorOutcome) => void) | null = null;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly maxVUs: number,
    protected readonly gracefulStopMs: number,
  ) {
    this.busy = new Uint8Array(maxVUs);
  }

  /** Bound: ctx.done. */
  readonly done = (vu: number, atUs?: number): void => {
    // the run is over (halted, or gracefulStop ran out): an iteration it counted as
    // interrupted that ends anyway (while the script closes, or after) counts for nothing
    if (this.finished) return;
    if (this.busy[vu] !== 1)
      throw new LabError(
        LabErrorCode.INTERNAL,
        `done(${vu}) called for a VU that is not running an iteration`,
      );
    this.busy[vu] = 0;
    this.active--;
    this.completed++;
    this.release(vu, atUs);
    if (this.stopping && this.active === 0) void this.finish(0);
  };

  /** Bound: ctx.error. */
  readonly error = (err: unknown): void => {
    this.errors++;
    if (this.errorSamples.length < 5)
      this.errorSamples.push(err instanceof Error ? err.message : String(err));
  };

  /** Runs the script from `startUs` (lab clock) to the end; resolves after the graceful stop. */
  run(script: VuScript, startUs: number): Promise<ExecutorOutcome> {
    this.script = script;
    const p = new Promise<ExecutorOutcome>((r) => {
      this.resolveRun = r;
    });
    // Stopped before it began (a run interrupted while its threads waited for the start time):
    // nothing starts, and it ends at once.
    if (this.stopping) void this.finish(0);
    else this.begin(startUs);
    return p;
  }

  /** The time series' "active": in-flight iterations (open) or running VUs (closed). */
  gauge(): number {
    return this.active;
  }

  /**
   * k6's vus and vus_max in this thread: the VUs active (closed model: looping, or still in
   * their last iteration during gracefulStop) and the VU slots held (the thread's maxVUs share).
   */
  vus(): { active: number; allocated: number } {
    return { active: this.gauge(), allocated: this.maxVUs };
  }

  /** Iterations completed and dropped so far (a run --worker's part so far reads them). */
  progress(): { completed: number; dropped: number } {
    const o = this.outcome();
    return { completed: o.completed, dropped: o.dropped };
  }

  /** Stops starting iterations now (abort); in-flight ones get the graceful stop. */
  abstract stop(): void;

  /**
   * Ends the run now (k6's exec.test.abort()): no iteration starts any more, and those in
   * flight, the caller's own included when it halts from inside one, are interrupted (the
   * script is closed at once: it abandons them, and their ends count for nothing). `reason`
   * goes to the outcome (haltedBy). Before run(), it ends as soon as it is run.
   */
  halt(reason?: string): void {
    this.haltedBy ??= reason;
    this.stop();
    if (this.resolveRun !== null) void this.finish(this.active);
  }

  protected abstract begin(startUs: number): void;
  /** `atUs`: now on the lab clock when the caller had it (see ScriptContext.done). */
  protected abstract release(vu: number, atUs?: number): void;
  protected abstract outcome(): ModelOutcome;

  /**
   * Abandons the iteration running on `vu` (the script cuts what it has out and never calls
   * done for it) and frees the VU; false when the script cannot (it has no `interrupt`).
   */
  protected interrupt(vu: number): boolean {
    if (this.busy[vu] !== 1 || this.script.interrupt === undefined) return false;
    this.script.interrupt(vu);
    this.busy[vu] = 0;
    this.active--;
    this.cut++;
    if (this.stopping && this.active === 0) void this.finish(0);
    return true;
  }

  /** Called once when the run ends (before the script is closed): clear the model's timers. */
  protected ended(): void {}

  /** Starts iteration on `vu` (caller checked it is free). */
  protected launch(vu: number, intendedUs: number): void {
    // halted from inside the iteration started just before (a synchronous one): none follows
    if (this.stopping) return;
    this.busy[vu] = 1;
    this.active++;
    this.started++;
    try {
      this.script.start(vu, intendedUs);
    } catch (e) {
      this.error(e);
      if (this.busy[vu] === 1) this.done(vu);
    }
  }

  /** No more iterations will start: wait for in-flight ones up to gracefulStop. */
  protected endStarting(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.resolveRun === null) return; // not running yet: run() ends at once
    if (this.active === 0) {
      void this.finish(0);
      return;
    }
    this.graceTimer = setTimeout(() => void this.finish(this.active), this.gracefulStopMs);
  }

  private async finish(interrupted: number): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.graceTimer);
    this.ended();
    const endUs = nowUs();
    try {
      await this.script.close?.();
    } catch (e) {
      this.error(e);
    }
    this.resolveRun!({
      ...this.outcome(),
      interrupted: interrupted + this.cut,
      endUs,
      errors: this.errors,
      errorSamples: this.errorSamples,
      startLag: this.startLag,
      ...(this.haltedBy === undefined ? {} : { haltedBy: this.haltedBy }),
    });
  }
}
