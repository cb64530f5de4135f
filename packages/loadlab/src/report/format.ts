/**
 * Number formatting shared by the reports: Python's formatting rules where a report copies a
 * Python script's output (pandas analysis scripts, Locust's CSV files), human units elsewhere.
 */

/** Python's `f"{n:,}"` for integers: 1234567 -> "1,234,567". */
export function commas(n: number): string {
  if (!Number.isFinite(n)) return pyFixed(n, 0);
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.round(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Python's `f"{x:.{d}f}"`: the exact binary value rounded half-to-even (JavaScript's toFixed
 * rounds exact ties up), "nan"/"inf" for the non-finite values.
 */
export function pyFixed(x: number, d: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) return x.toFixed(d);
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + d);
  if (!/^50*$/.test(rest)) return x.toFixed(d);
  // An exact tie (x.xx5 exactly representable): round half to even, as Python does.
  const kept = exact.slice(0, dot) + exact.slice(dot + 1, dot + 1 + d);
  const even = Number(kept[kept.length - 1]) % 2 === 0;
  const digits = even ? kept : incrementDigits(kept);
  const intLen = digits.length - d;
  const body = d === 0 ? digits : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return x < 0 ? `-${body}` : body;
}

/** "0129" -> "0130", "999" -> "1000". */
function incrementDigits(s: string): string {
  const out = s.split('');
  let i = out.length - 1;
  while (i >= 0 && out[i] === '9') out[i--] = '0';
  if (i < 0) return `1${out.join('')}`;
  out[i] = String(Number(out[i]) + 1);
  return out.join('');
}

/** Python's `str(float)`: 3.0 -> "3.0", 1e-05, 1.5e+16; the same shortest digits as JavaScript. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e16) {
    const [mant, exp] = x.toExponential().split('e');
    const sign = exp[0] === '-' ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/** A latency in milliseconds with the unit a reader expects: 412 µs, 3.21 ms, 1.20 s. */
export function humanMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 0)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A rate with thousands separators: 100,000/s -> "100,000", 12.5 -> "12.5". */
export function humanRate(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x >= 100 ? commas(x) : x.toFixed(1);
}

/** 1,503,238,553 bytes -> "1.40 GB". */
export function humanBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** Reads the first finite number among `keys` of a loose record (scenario params/extra). */
export function pickNumber(rec: Record<string, unknown> | undefined, ...keys: string[]): number | undefined {
  if (rec === undefined) return undefined;
  for (const k of keys) {
    const v = rec[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * Epoch seconds from an epoch timestamp in seconds or milliseconds (the generator stamps
 * ScenarioResult.startedAt in ms, TimeSlice.t in s): values above 1e11 are taken as ms.
 */
export function epochSec(t: number): number {
  return t > 1e11 ? t / 1000 : t;
}
