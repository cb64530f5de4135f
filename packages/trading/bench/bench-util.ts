/**
 * Small tools shared by the micro-benchmarks: a seeded PRNG, an allocation-free
 * nanosecond histogram, a GC counter, medians, and strict `--flags` (parseFlags).
 */

import { relative, resolve } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The seeded PRNG every benchmark uses (@tickstorm/protocol). */
export { seededRandom as prng } from '@tickstorm/protocol';

/** Nanosecond histogram with 1 ns buckets up to `limitNs`, an overflow count and the max. Records allocate nothing. */
export class NsHistogram {
  private readonly buckets: Float64Array;
  count = 0;
  max = 0;
  constructor(private readonly limitNs = 100_000) {
    this.buckets = new Float64Array(limitNs);
  }
  record(ns: number): void {
    const v = Math.max(0, ns);
    if (v < this.limitNs) this.buckets[v | 0]++;
    if (v > this.max) this.max = v;
    this.count++;
  }
  percentile(p: number): number {
    const target = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.limitNs; i++) {
      seen += this.buckets[i];
      if (seen >= target) return i;
    }
    return this.max;
  }
}

/** Counts garbage collections whose start falls inside [start, end) of performance.now() time. */
export class GcCounter {
  private readonly starts: number[] = [];
  private readonly observer: PerformanceObserver;
  constructor() {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.starts.push(e.startTime);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }
  /** Waits for pending GC entries to be delivered, then counts those in the window. */
  async countBetween(start: number, end: number): Promise<number> {
    await new Promise((r) => setTimeout(r, 20));
    return this.starts.filter((t) => t >= start && t < end).length;
  }
  close(): void {
    this.observer.disconnect();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >>> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Cost in ns of one `performance.now()` read in a loop like the timed ones: the median
 * delta between back-to-back reads, subtracted from per-operation samples.
 */
export function clockOverheadNs(samples = 200_000): number {
  const h = new NsHistogram(10_000);
  let prev = performance.now();
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    h.record((t - prev) * 1e6);
    prev = t;
  }
  return h.percentile(50);
}

/** One declared flag of a bench script: its kind, its default, and a few words for --help. */
export type FlagSpec =
  | { type: 'string'; default?: string; help?: string; value?: string; choices?: readonly string[] }
  | { type: 'number'; default?: number; help?: string; value?: string }
  | { type: 'numbers'; default?: readonly number[]; help?: string; value?: string }
  | { type: 'boolean'; help?: string };

type FlagValue<S> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'number'; default: number }
    ? number
    : S extends { type: 'number' }
      ? number | undefined
      : S extends { type: 'numbers'; default: readonly number[] }
        ? number[]
        : S extends { type: 'numbers' }
          ? number[] | undefined
          : S extends { type: 'string'; default: string }
            ? string
            : string | undefined;

/** The parsed values, one per declared flag, typed by its kind and default. */
export type FlagValues<F> = { -readonly [K in keyof F]: FlagValue<F[K]> };

const isNumber = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

function flagWord(name: string, spec: FlagSpec): string {
  if (spec.type === 'boolean') return `--${name}`;
  const value =
    spec.type === 'string' ? (spec.choices?.join('|') ?? 'VALUE') : spec.type === 'number' ? 'N' : 'N,N,...';
  return `--${name} ${spec.value ?? value}`;
}

function defaultText(spec: FlagSpec): string {
  if (spec.type === 'boolean' || spec.default === undefined) return '';
  const d = spec.type === 'numbers' ? spec.default.join(',') : String(spec.default);
  return ` (default ${d === '' ? "''" : d})`;
}

const scriptName = (scriptUrl: string): string => relative(process.cwd(), fileURLToPath(scriptUrl));

/** Prints `<script>: MESSAGE (flags: --a, --b, --help)` to stderr and exits 2: a flag value the script refuses. */
export function badFlag(scriptUrl: string, flags: Record<string, FlagSpec>, message: string): never {
  const names = [...Object.keys(flags), 'help'].map((n) => `--${n}`);
  process.stderr.write(`${scriptName(scriptUrl)}: ${message} (flags: ${names.join(', ')})\n`);
  process.exit(2);
}

/**
 * The flags of a bench script, strictly: `node:util` parseArgs (strict, no positionals) over
 * the declared flags. An unknown flag, a missing value or a number that is not one prints
 * `<script>: unknown flag --x (flags: --a, --b)` (or the like, naming the flag) to stderr and
 * exits 2; `--help` prints every flag with its default and exits 0. `number` flags are numbers,
 * `numbers` flags comma-separated lists of numbers ('' is the empty list).
 */
export function parseFlags<const F extends Record<string, FlagSpec>>(
  scriptUrl: string,
  flags: F,
  argv: readonly string[] = process.argv.slice(2),
): FlagValues<F> {
  const script = scriptName(scriptUrl);
  const fail = (message: string): never => badFlag(scriptUrl, flags, message);
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    help: { type: 'boolean' },
  };
  for (const [name, spec] of Object.entries(flags))
    options[name] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const err = e as Error & { code?: string };
    const named = /'(-[^' ]*)/.exec(err.message)?.[1] ?? '';
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return fail(`unknown flag ${named}`);
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      return fail(`unexpected argument '${/'([^']*)'/.exec(err.message)?.[1] ?? ''}'`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/does not take an argument/.test(err.message)) return fail(`${named} takes no value`);
      return fail(`missing value for ${named} (a value starting with '-' is written ${named}=VALUE)`);
    }
    return fail(err.message);
  }
  if (values.help === true) {
    const lines = Object.entries(flags).map(([n, s]) => [
      flagWord(n, s),
      `${s.help ?? ''}${defaultText(s)}`.trim(),
    ]);
    const width = Math.max(...lines.map(([w]) => w.length), 6);
    process.stdout.write(
      `Usage: node --import tsx ${script} [flags]\n\nFlags:\n` +
        [...lines, ['--help', 'this list']]
          .map(([w, t]) => `  ${w.padEnd(width)}  ${t}`.trimEnd())
          .join('\n') +
        '\n',
    );
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(flags)) {
    const v = values[name];
    if (spec.type === 'boolean') out[name] = v === true;
    else if (v === undefined)
      out[name] = spec.type === 'numbers' ? spec.default && [...spec.default] : spec.default;
    else if (spec.type === 'string')
      out[name] =
        spec.choices === undefined || spec.choices.includes(String(v))
          ? v
          : fail(`--${name} must be one of ${spec.choices.join(', ')}, got '${v}'`);
    else if (spec.type === 'number')
      out[name] = isNumber(String(v)) ? Number(v) : fail(`--${name} needs a number, got '${v}'`);
    else {
      const parts = String(v) === '' ? [] : String(v).split(',');
      const bad = parts.find((p) => !isNumber(p));
      out[name] =
        bad === undefined
          ? parts.map(Number)
          : fail(`--${name} needs numbers separated by commas, got '${v}'`);
    }
  }
  return out as FlagValues<F>;
}

/** True when `url` (import.meta.url) is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === resolve(process.argv[1]);
}
