/**
 * `tickstorm run` flags from the environment and a config file: every flag FLAG may also come
 * from `TICKSTORM_FLAG` (upper case, dashes as underscores: --orders-url is
 * TICKSTORM_ORDERS_URL) or from `tickstorm.config.json` (in the working directory, or
 * `--config-file FILE`), whose keys are the flag names:
 *
 *   { "orders-url": "https://orders.test:5002", "rate": 500, "threshold": ["p95<100ms"], "bench": false }
 *
 * Flags win over the environment, and the environment over the file. Booleans take
 * true/false/1/0/yes/no; a repeatable flag takes an array in the file (one value from env).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { asBool, flagOf, withFlagSources } from './flag-sources.ts';

export const CONFIG_FILE = 'tickstorm.config.json';

const SKIP = new Set(['help', 'config-file', 'version']);
/** Flags given more than once on the command line (an array in the file). */
const REPEATABLE = new Set(['threshold', 'watch-pid', 'out', 'env', 'tag', 'stage']);

export const envName = (flag: string) => `TICKSTORM_${flag.toUpperCase().replace(/-/g, '_')}`;

/**
 * k6's own variables for the options a script run shares with k6 (k6 reads K6_VUS as --vus): a
 * script run reads them too, below TICKSTORM_* (which wins when both are set) and above the
 * config file, so a k6 job's environment keeps its meaning.
 */
export const K6_ENV: Readonly<Record<string, string>> = {
  vus: 'K6_VUS',
  duration: 'K6_DURATION',
  iterations: 'K6_ITERATIONS',
  stage: 'K6_STAGES',
  out: 'K6_OUT',
  'no-thresholds': 'K6_NO_THRESHOLDS',
  'no-summary': 'K6_NO_SUMMARY',
  'summary-export': 'K6_SUMMARY_EXPORT',
  'summary-trend-stats': 'K6_SUMMARY_TREND_STATS',
  'summary-time-unit': 'K6_SUMMARY_TIME_UNIT',
  insecure: 'K6_INSECURE_SKIP_TLS_VERIFY',
};

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Where each flag taken from the environment or the file came from ('TICKSTORM_RATE', 'FILE: "rate"'). */
const sources = new Map<string, string>();

/**
 * The problems with each one about a flag that came from the environment or the file naming
 * where it came from: `--rate must be a number (got "abc")` ->
 * `--rate (from TICKSTORM_RATE) must be a number (got "abc")`.
 */
export function withSources(problems: readonly string[]): string[] {
  return withFlagSources(problems, sources, /^--([a-z0-9-]+)/);
}

/**
 * Fills every option not given on the command line from env, then from the config file.
 * Returns the problems (each naming the variable or the file and key). `k6Env`: a script run,
 * which also reads k6's K6_* variables (K6_ENV).
 */
export function applyRunDefaults(
  cmd: Command,
  configFile: string | undefined,
  cwd = process.cwd(),
  k6Env = false,
): string[] {
  const problems: string[] = [];
  const opts = cmd.options.filter((o) => o.long !== undefined && !SKIP.has(flagOf(o)));
  let file: Record<string, unknown> = {};
  let fileName: string | undefined = configFile;
  if (fileName === undefined && existsSync(`${cwd}/${CONFIG_FILE}`)) fileName = `${cwd}/${CONFIG_FILE}`;
  if (fileName !== undefined) {
    const where = configFile !== undefined ? `--config-file ${fileName}` : fileName;
    if (!existsSync(fileName)) problems.push(`${where}: no such file`);
    else {
      try {
        const doc: unknown = JSON.parse(readFileSync(fileName, 'utf8'));
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
          problems.push(`${where}: expected a JSON object of run flags, e.g. {"rate": 500}`);
        else file = doc as Record<string, unknown>;
      } catch (e) {
        problems.push(`${where}: not valid JSON (${(e as Error).message})`);
      }
      const known = new Set(opts.flatMap((o) => [flagOf(o), camel(flagOf(o))]));
      for (const k of Object.keys(file))
        if (!known.has(k)) problems.push(`${where}: "${k}" is not a run flag (see tickstorm run --help)`);
    }
  }
  for (const o of opts) {
    const attr = o.attributeName();
    if (cmd.getOptionValueSource(attr) === 'cli') continue;
    const flag = flagOf(o);
    const set = (raw: unknown, source: 'env' | 'config', where: string) => {
      sources.set(flag, where);
      if (o.negate || o.isBoolean()) {
        const b = asBool(raw);
        if (b === undefined) {
          problems.push(`${where}: expected true or false (got ${JSON.stringify(raw)})`);
          return;
        }
        cmd.setOptionValueWithSource(attr, o.negate ? !b : b, source);
      } else if (REPEATABLE.has(flag)) {
        const list = Array.isArray(raw) ? raw.map(String) : [String(raw)];
        cmd.setOptionValueWithSource(attr, list, source);
      } else if (typeof raw === 'object' && raw !== null) {
        problems.push(`${where}: expected a single value (got ${JSON.stringify(raw)})`);
      } else
        cmd.setOptionValueWithSource(
          attr,
          o.optional && typeof raw === 'boolean' ? String(raw) : String(raw),
          source,
        );
    };
    const k6Name = k6Env ? K6_ENV[flag] : undefined;
    const name =
      process.env[envName(flag)] === undefined && k6Name !== undefined && process.env[k6Name] !== undefined
        ? k6Name
        : envName(flag);
    const env = process.env[name];
    if (env !== undefined) {
      set(env, 'env', name);
      continue;
    }
    if (cmd.getOptionValueSource(attr) === 'env') continue;
    const key = flag in file ? flag : camel(flag) in file ? camel(flag) : undefined;
    if (key !== undefined) set(file[key], 'config', `${fileName}: "${key}"`);
  }
  return problems;
}
