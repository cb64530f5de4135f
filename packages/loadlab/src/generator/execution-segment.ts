/**
 * Execution segments (k6's `--execution-segment`): part `index` of `count` equal parts of a
 * test. A segment takes the global units u = index, index + count, ... of everything the
 * executors count: the open model's iterations (so each part runs 1/count of every arrival
 * rate, on the exact global schedule), VUs, preAllocatedVUs and maxVUs, shared-iterations
 * budgets, and whatever a script strides over with `ctx.worker` (connections, clients). The
 * parts of a split add up exactly to the whole: the first `total mod count` parts get one
 * unit more (e.g. 7 VUs over 3 parts: 3, 2, 2).
 *
 * Generator threads split a segment the same way: thread j of W inside part i of N runs the
 * units u = i + N*j (mod N*W), so machines x threads interleave into the one global schedule.
 *
 * Text forms, as k6 writes them (equal parts only): "1/3:2/3" (from:to), "1/3" (= 0:1/3),
 * "0.5:1", "50%:100%".
 */

export interface ExecutionSegment {
  /** 0-based part. */
  index: number;
  /** Equal parts of the whole (1: the whole test). */
  count: number;
}

export const WHOLE: ExecutionSegment = { index: 0, count: 1 };

/** Units of `total` that fall to a part (exact: the parts' shares sum to `total`). */
export function segmentShare(total: number, seg: ExecutionSegment = WHOLE): number {
  return total > seg.index ? Math.floor((total - seg.index - 1) / seg.count) + 1 : 0;
}

/** The part's fraction of every rate (1/count). */
export function segmentFraction(seg: ExecutionSegment = WHOLE): number {
  return 1 / seg.count;
}

/** Thread `thread` of `threads` inside `seg`, as one part of the whole. */
export function composeSegment(seg: ExecutionSegment, thread: number, threads: number): ExecutionSegment {
  return { index: seg.index + seg.count * thread, count: seg.count * threads };
}

/** k6's text for a part: "0:1/2", "1/2:1"; "0:1" for the whole. */
export function segmentLabel(seg: ExecutionSegment): string {
  const f = (n: number) => (n === 0 ? '0' : n === seg.count ? '1' : `${n}/${seg.count}`);
  return `${f(seg.index)}:${f(seg.index + 1)}`;
}

interface Ratio {
  n: number;
  d: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function ratio(text: string): Ratio | undefined {
  const t = text.trim();
  let m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (m !== null) {
    const n = Number(m[1]);
    const d = Number(m[2]);
    return d > 0 ? { n, d } : undefined;
  }
  m = /^(\d+(?:\.\d+)?)(%?)$/.exec(t);
  if (m === null) return undefined;
  const [whole, frac = ''] = m[1].split('.');
  let d = 10 ** frac.length * (m[2] === '%' ? 100 : 1);
  let n = Number(whole + frac);
  const g = gcd(n, d) || 1;
  n /= g;
  d /= g;
  return { n, d };
}

/** Parses k6's segment text; a problem names the flag and the accepted forms. */
export function parseExecutionSegment(
  text: string,
  flag = '--execution-segment',
): { segment?: ExecutionSegment; problem?: string } {
  const bad = `${flag} must be one of N equal parts of the test, as k6 writes it: 0:1/3, 1/3:2/3, 2/3:1, or 1/2 for 0:1/2 (got '${text}')`;
  const parts = text.split(':');
  if (parts.length > 2) return { problem: bad };
  const from = parts.length === 2 ? ratio(parts[0]) : { n: 0, d: 1 };
  const to = ratio(parts[parts.length - 1]);
  if (from === undefined || to === undefined) return { problem: bad };
  // width = to - from = (to.n*from.d - from.n*to.d) / (to.d*from.d); it must be 1/count
  const wn = to.n * from.d - from.n * to.d;
  const wd = to.d * from.d;
  if (wn <= 0 || to.n > to.d || wd % wn !== 0) return { problem: bad };
  const count = wd / wn;
  // from = index / count, an integer index
  const idx = (from.n * count) / from.d;
  if (!Number.isInteger(idx)) return { problem: bad };
  return { segment: { index: idx, count } };
}
