/**
 * pandas' `Series.quantile(q)` (default interpolation "linear"), reproduced to the bit:
 * pandas calls numpy's percentile with q * 100, numpy divides by 100 again, takes the virtual
 * index (n - 1) * q and interpolates with its monotonic lerp. NaN values are skipped.
 */

/** The values without NaN, sorted ascending (a copy). */
export function sortedFinite(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out[j++] = values[i];
  return out.sort();
}

/** q in [0, 1]; `sorted` from sortedFinite. NaN when there are no values (as pandas). */
export function pandasQuantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const quantile = (q * 100) / 100;
  const virtual = (n - 1) * quantile;
  const prev = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const next = Math.min(prev + 1, n - 1);
  const gamma = virtual - Math.floor(virtual);
  const a = sorted[prev];
  const b = sorted[next];
  const diff = b - a;
  // numpy's _lerp: a + diff * t, or b - diff * (1 - t) when t >= 0.5 (keeps it monotonic).
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Max skipping NaN (pandas' Series.max()); NaN when every value is missing. */
export function nanMax(values: Float64Array): number {
  let m = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && (Number.isNaN(m) || v > m)) m = v;
  }
  return m;
}

/** Min skipping NaN. */
export function nanMin(values: Float64Array): number {
  let m = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && (Number.isNaN(m) || v < m)) m = v;
  }
  return m;
}
