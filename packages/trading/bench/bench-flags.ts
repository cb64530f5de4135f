/**
 * Strict `--flags` for the bench scripts (node:util parseArgs): every script declares its flags,
 * and an unknown flag, a missing value or a bad number exits 2 naming it. Shared by the trading
 * benches (./bench-util.ts) and the load lab's (the repository's bench/bench-util.ts), through
 * the package's `@tickstorm/trading/bench-flags` entry.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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
