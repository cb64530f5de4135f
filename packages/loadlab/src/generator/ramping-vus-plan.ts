/**
 * k6's execution requirements of a ramping-vus scenario (its GetExecutionRequirements): the VUs
 * it plans at each moment, not its peak for its whole life. The raw ramp (a VU more, or less,
 * at each moment the global count passes one of this execution segment's VUs), then the VUs of
 * each ramp-down kept for gracefulRampDown (unless a ramp back up reuses them within it), then
 * 0 at the end of its stages plus gracefulStop.
 *
 *   rampingVusSteps({ segments, gracefulStopMs, gracefulRampDownMs }, WHOLE)
 *   // startVUs 0, stages [{ 2s, 2 }], gracefulRampDown 0: [{0,0}, {1000,1}, {2000,2}, {32000,0}]
 *
 * Times are ms from the scenario's start (k6 works in ns, dividing with truncation: the same
 * instants to the ns).
 */
import { type ExecutionSegment, segmentShare, WHOLE } from './execution-segment.ts';
import type { VuSegment } from './executor-options.ts';

export interface PlanStep {
  /** ms from the scenario's start. */
  at: number;
  vus: number;
}

/** This segment's VUs among the global ones, numbered from 1 (k6's SegmentedIndex). */
class SegmentIndex {
  scaled = 0;
  unscaled = 0;
  constructor(private readonly seg: ExecutionSegment) {}
  /** The segment's `k`-th VU's global number (k >= 1). */
  private global(k: number): number {
    return this.seg.index + 1 + (k - 1) * this.seg.count;
  }
  /** The greatest count of this segment's VUs whose global number is at most `value`. */
  goTo(value: number): void {
    this.scaled = segmentShare(value, this.seg);
    this.unscaled = this.scaled === 0 ? 0 : this.global(this.scaled);
  }
  next(): void {
    this.scaled++;
    this.unscaled = this.global(this.scaled);
  }
  prev(): void {
    this.scaled--;
    this.unscaled = this.scaled === 0 ? 0 : this.global(this.scaled);
  }
}

const NS = 1e6;

/** The raw ramp: planned VUs at each change (k6's getRawExecutionSteps, no zero end). */
function rawSteps(stages: readonly VuSegment[], seg: ExecutionSegment): PlanStep[] {
  let from = stages[0]?.from ?? 0;
  const index = new SegmentIndex(seg);
  index.goTo(from);
  const steps: PlanStep[] = [{ at: 0, vus: index.scaled }];
  const add = (ns: number, vus: number) => {
    if (steps[steps.length - 1].vus !== vus) steps.push({ at: ns / NS, vus });
  };
  let endNs = 0;
  for (const st of stages) {
    const to = st.to;
    const durNs = Math.round(st.ms * NS);
    endNs += durNs;
    const diff = to - from;
    if (diff === 0) continue;
    if (durNs === 0) {
      index.goTo(to);
      add(endNs, index.scaled);
      from = to;
      continue;
    }
    if (index.unscaled > to)
      // a ramp down: a VU leaves when the count reaches the next lower one
      for (; index.unscaled > to; index.prev())
        add(endNs - Math.trunc((durNs * (to - index.unscaled + 1)) / diff), index.scaled - 1);
    else
      for (; index.unscaled <= to; index.next())
        add(endNs - Math.trunc((durNs * (to - index.unscaled)) / diff), index.scaled);
    from = to;
  }
  return steps;
}

/** The ramp-downs' VUs kept for gracefulRampDown (k6's reserveVUsForGracefulRampDowns). */
function keepForRampDown(raw: readonly PlanStep[], graceMs: number, endMs: number): PlanStep[] {
  const out: PlanStep[] = [];
  let last = 0;
  let slope = 0;
  for (let i = 0; i < raw.length; i++) {
    const step = raw[i];
    if (i === 0 || step.vus > last) {
      out.push(step);
      last = step.vus;
      continue;
    }
    if (step.vus === last) continue;
    // down: does a step within the grace period come back to `last` (its VUs reused)?
    const until = step.at + graceMs;
    let skipped = false;
    let down = true;
    for (let j = Math.max(i + 1, slope); j < raw.length; j++) {
      const ahead = raw[j];
      if (ahead.at > until) break;
      if (ahead.vus >= last) {
        i = j - 1;
        skipped = true;
        break;
      }
      if (down) {
        if (raw[j - 1].vus > ahead.vus) slope = j;
        else down = false;
      }
    }
    if (skipped) continue;
    if (until >= endMs) break;
    out.push({ at: until, vus: step.vus });
    last = step.vus;
  }
  return out;
}

/** A ramping-vus scenario's planned VUs over its life (this segment's part), ending at 0. */
export function rampingVusSteps(
  ex: { segments: readonly VuSegment[]; gracefulStopMs: number; gracefulRampDownMs: number },
  seg: ExecutionSegment = WHOLE,
): PlanStep[] {
  const endMs = ex.segments.reduce((a, s) => a + s.ms, 0) + ex.gracefulStopMs;
  let steps = rawSteps(ex.segments, seg);
  if (ex.gracefulRampDownMs > 0) steps = keepForRampDown(steps, ex.gracefulRampDownMs, endMs);
  if (steps[steps.length - 1].vus !== 0) steps.push({ at: endMs, vus: 0 });
  return steps;
}
