/**
 * Reading a scenario's (merged) params against its ParamSpecs: a missing key takes the
 * spec's default, CLI-ish strings are accepted where a number, duration, list or boolean is
 * expected ("1000", "10s", "AAPL,MSFT", "true"), and EVERY problem is collected, each naming
 * its flag (`--rate must be a positive number (got "abc")`). A scenario reads its params
 * once with this; `validate` returns the problems, `run` throws them.
 */
import { parseDuration } from '../util/duration.ts';
import type { ParamSpec } from './scenario.ts';

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v));

export interface NumberRule {
  integer?: boolean;
  /** Inclusive bounds (default: > 0 and no upper bound). */
  min?: number;
  max?: number;
}

export class ParamReader {
  readonly problems: string[] = [];
  /** The values read, by key (defaults filled in), for `ScenarioResult.params`. */
  readonly values: Record<string, unknown> = {};
  private readonly specs = new Map<string, ParamSpec>();

  constructor(
    specs: readonly ParamSpec[],
    private readonly raw: Record<string, unknown>,
  ) {
    for (const s of specs) this.specs.set(s.key, s);
    for (const k of Object.keys(raw)) {
      if (!this.specs.has(k))
        this.problems.push(`unknown parameter '${k}' (known: ${specs.map((s) => s.key).join(', ')})`);
    }
  }

  private spec(key: string): ParamSpec {
    const s = this.specs.get(key);
    if (s === undefined) throw new Error(`no ParamSpec for '${key}'`);
    return s;
  }

  private get(key: string): unknown {
    const v = this.raw[key];
    return v === undefined ? this.spec(key).default : v;
  }

  private fail(key: string, what: string, v: unknown): void {
    this.problems.push(`--${this.spec(key).flag} must be ${what} (got ${show(v)})`);
  }

  /** A number (integer with `integer`), within the rule's bounds (default > 0). */
  number(key: string, rule: NumberRule = {}): number {
    const v = this.get(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    const kind = rule.integer ? 'an integer' : 'a number';
    const lo = rule.min;
    const hi = rule.max;
    const bad =
      !Number.isFinite(n) ||
      (rule.integer && !Number.isInteger(n)) ||
      (lo === undefined ? n <= 0 : n < lo) ||
      (hi !== undefined && n > hi);
    if (bad) {
      const range =
        lo === undefined
          ? hi === undefined
            ? `a positive ${kind.replace(/^an? /, '')}`
            : `${kind} > 0 and <= ${hi}`
          : hi === undefined
            ? `${kind} >= ${lo}`
            : `${kind} from ${lo} to ${hi}`;
      this.fail(key, range, v);
    }
    this.values[key] = Number.isFinite(n) ? n : v;
    return Number.isFinite(n) ? n : 1;
  }

  /** A duration ('10s', '5m', or seconds as a number) longer than 0; returns milliseconds. */
  duration(key: string): number {
    const v = this.get(key);
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : Number.NaN;
    if (!(ms > 0)) this.fail(key, "a duration longer than 0 like '10s', '500ms' or '5m'", v);
    this.values[key] = v;
    return ms > 0 ? ms : 1000;
  }

  /** One of `options`. */
  oneOf<T extends string>(key: string, options: readonly T[]): T {
    const v = this.get(key);
    const ok = typeof v === 'string' && (options as readonly string[]).includes(v);
    if (!ok) this.fail(key, `one of ${options.join(', ')}`, v);
    this.values[key] = v;
    return ok ? (v as T) : options[0];
  }

  /** A non-empty list of non-empty strings (an array, or a comma-separated string). */
  list(key: string): string[] {
    const v = this.get(key);
    const items = Array.isArray(v)
      ? v.map((x) => String(x).trim())
      : typeof v === 'string'
        ? v.split(',').map((x) => x.trim())
        : null;
    if (items === null || items.length === 0 || items.some((x) => x === '')) {
      this.fail(key, 'a comma-separated list of non-empty names', v);
      this.values[key] = v;
      return [];
    }
    this.values[key] = items;
    return items;
  }

  boolean(key: string): boolean {
    const v = this.get(key);
    const b =
      v === true || v === 'true' || v === '1'
        ? true
        : v === false || v === 'false' || v === '0'
          ? false
          : null;
    if (b === null) this.fail(key, 'true or false', v);
    this.values[key] = b ?? v;
    return b ?? false;
  }

  /** A string (any text, possibly empty). */
  string(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    this.values[key] = v;
    return typeof v === 'string' ? v : '';
  }

  /** Adds a problem that involves several params (e.g. "--connections must be <= --symbols"). */
  problem(message: string): void {
    this.problems.push(message);
  }
}

/** Throws one Error listing every problem (run() after validate() found some). */
export function throwIfProblems(id: string, problems: readonly string[]): void {
  if (problems.length > 0) {
    throw new Error(`${id}: invalid parameters:\n  - ${problems.join('\n  - ')}`);
  }
}
