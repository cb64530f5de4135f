/**
 * Locust's other sources of its flags, for `tickstorm swarm`: `LOCUST_<FLAG>` environment
 * variables (upper case, dashes as underscores: LOCUST_USERS=50, LOCUST_SPAWN_RATE=5,
 * LOCUST_RUN_TIME=1m, LOCUST_HEADLESS=true) and Locust's configuration file: `./locust.conf`,
 * or `--config FILE` when FILE is not JSON (a JSON `--config` is the thresholds file):
 *
 *   # locust.conf
 *   locustfile = users.ts
 *   headless = true
 *   users = 50
 *   spawn-rate = 5
 *   tags = [read, trade]
 *
 * As in Locust, the command line wins over the environment, and the environment over the
 * file. A key that is not a swarm flag is a problem (104) naming the file and key; a Locust
 * flag swarm lacks (`loglevel`) is a note, ignored, as it says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { asBool, flagOf, withFlagSources } from './flag-sources.ts';
import { LOCUST_FLAGS_NOT_HERE } from './swarm-flag-errors.ts';

export const LOCUST_CONF = 'locust.conf';

const SKIP = new Set(['help', 'config']);

export const locustEnvName = (flag: string) => `LOCUST_${flag.toUpperCase().replace(/-/g, '_')}`;

/** Where each flag taken from the environment or the file came from ('LOCUST_USERS', 'FILE: "users"'). */
const sources = new Map<string, string>();

/**
 * Each problem about a flag that came from the environment or the file, naming where:
 * `-u/--users must be an integer >= 0, got 'x'` -> `-u/--users (from LOCUST_USERS) must be ...`.
 */
export function withLocustSources(problems: readonly string[]): string[] {
  return withFlagSources(problems, sources, /^(?:-[A-Za-z]\/)?--([a-z0-9-]+)/);
}

/** `key = value` lines (also `key: value`), without comments, blank lines and `[sections]`. */
function parseConf(text: string): { entries: [key: string, value: string][]; bad: string[] } {
  const entries: [string, string][] = [];
  const bad: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';') || /^\[.*\]$/.test(line)) continue;
    const m = /^([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m === null) bad.push(line);
    else entries.push([m[1].replace(/_/g, '-'), m[2].trim().replace(/^(["'])(.*)\1$/, '$2')]);
  }
  return { entries, bad };
}

/** A list value, Locust's way: `[a, b]`, `a,b` or `a b`. */
const listOf = (raw: string) =>
  raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((s) => s.replace(/^(["'])(.*)\1$/, '$2'))
    .filter((s) => s !== '');

/**
 * Fills every swarm flag not given on the command line from `LOCUST_<FLAG>`, then from the
 * Locust configuration file. Returns the problems (each naming the variable or the file and
 * key) and notes (keys of Locust flags swarm lacks, ignored).
 */
export function applyLocustDefaults(
  cmd: Command,
  cwd = process.cwd(),
): { problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const opts = cmd.options.filter((o) => o.long !== undefined && !SKIP.has(flagOf(o)));
  const byFlag = new Map(opts.map((o) => [flagOf(o), o]));
  // --config FILE: the thresholds file when it is JSON, else Locust's configuration file
  let fileName: string | undefined;
  const config = cmd.getOptionValue('config') as string | undefined;
  if (
    config !== undefined &&
    existsSync(config) &&
    !readFileSync(config, 'utf8').trimStart().startsWith('{')
  ) {
    fileName = config;
    cmd.setOptionValueWithSource('config', undefined, 'default');
  } else if (existsSync(`${cwd}/${LOCUST_CONF}`)) fileName = `${cwd}/${LOCUST_CONF}`;
  const file = new Map<string, string>();
  if (fileName !== undefined) {
    const { entries, bad } = parseConf(readFileSync(fileName, 'utf8'));
    for (const line of bad) problems.push(`${fileName}: '${line}' is not 'key = value'`);
    for (const [key, value] of entries) {
      if (byFlag.has(key)) file.set(key, value);
      else if (LOCUST_FLAGS_NOT_HERE[`--${key}`] !== undefined)
        notes.push(`${fileName}: "${key}" ignored: ${LOCUST_FLAGS_NOT_HERE[`--${key}`]}`);
      else problems.push(`${fileName}: "${key}" is not a swarm flag (see tickstorm swarm --help)`);
    }
  }
  const fromFile: string[] = [];
  for (const o of opts) {
    const attr = o.attributeName();
    if (cmd.getOptionValueSource(attr) === 'cli') continue;
    const flag = flagOf(o);
    const env = process.env[locustEnvName(flag)];
    const [raw, where, source] =
      env !== undefined
        ? [env, locustEnvName(flag), 'env' as const]
        : [file.get(flag), `${fileName}: "${flag}"`, 'config' as const];
    if (raw === undefined) continue;
    sources.set(flag, where);
    if (source === 'config') fromFile.push(flag);
    if (o.isBoolean()) {
      const b = asBool(raw);
      if (b === undefined) problems.push(`${where}: expected true or false (got ${JSON.stringify(raw)})`);
      else cmd.setOptionValueWithSource(attr, b, source);
    } else if (flag === 'threshold') cmd.setOptionValueWithSource(attr, [raw], source);
    else if (o.variadic || o.parseArg !== undefined) cmd.setOptionValueWithSource(attr, listOf(raw), source);
    else cmd.setOptionValueWithSource(attr, raw, source);
  }
  // a locust.conf found in the working directory acts unasked: say what it set
  if (fromFile.length > 0) notes.push(`flags from ${fileName}: ${fromFile.join(', ')}`);
  return { problems, notes };
}
