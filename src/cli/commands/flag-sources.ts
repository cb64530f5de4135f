/**
 * What `tickstorm run`'s TICKSTORM_* / tickstorm.config.json defaults (./run-defaults.ts) and
 * swarm's LOCUST_* / locust.conf defaults (./swarm-locust-config.ts) share: a flag's name, a
 * boolean as a variable or a file spells it, and problems that name where a value came from.
 */
import type { Option } from 'commander';

export const flagOf = (o: Option) => (o.long ?? '').replace(/^--/, '');

/** true/false/1/0/yes/no/on/off (any case), a JSON boolean as it is; undefined otherwise. */
export function asBool(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return undefined;
}

/**
 * Each problem about a flag (matched at its start by `flag`, group 1 the flag's name) that
 * came from `sources` (flag -> 'TICKSTORM_RATE', 'FILE: "rate"'), naming where:
 * `--rate must be a number` -> `--rate (from TICKSTORM_RATE) must be a number`.
 */
export function withFlagSources(
  problems: readonly string[],
  sources: ReadonlyMap<string, string>,
  flag: RegExp,
): string[] {
  return problems.map((p) => {
    const m = flag.exec(p);
    const where = m === null ? undefined : sources.get(m[1]);
    return where === undefined ? p : `${m![0]} (from ${where})${p.slice(m![0].length)}`;
  });
}
