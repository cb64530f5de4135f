/**
 * Scenario parameters as CLI flags. `tickstorm run` offers the union of every scenario's
 * ParamSpecs as flags (`--ticks-per-frame`, `--clients`, ...); a flag several scenarios
 * declare (`--duration`, `--rate`) goes to each selected scenario that declares it.
 *
 * Values arrive as text (flags) or JSON (the --config file) and are coerced per ParamSpec
 * type, every problem named by where it came from:
 *   number / integer  "1000", "1e3", "100_000"
 *   duration          k6 strings "500ms" "10s" "1m30s"; a bare number is seconds. Passed to the
 *                     scenario as a string ("10s"), or as seconds when the spec's default is a number.
 *   boolean           flag alone = true; true/false, yes/no, 1/0
 *   list              comma-separated ("SYM0,SYM1") or a JSON array; numbers when the default's are
 *   string            as given
 */
import { redactParam } from '@tickstorm/protocol';
import type { ParamSpec, ScenarioDefinition } from '../scenario/scenario.ts';
import { parseDuration } from '../util/duration.ts';

export interface ParamFlag {
  /** Kebab-case, no dashes. */
  flag: string;
  /** Every scenario declaring this flag, with its spec. */
  owners: { scenario: string; spec: ParamSpec }[];
}

/** The union of every scenario's flags, in declaration order (first scenario first). */
export function paramFlagUnion(defs: readonly ScenarioDefinition[]): ParamFlag[] {
  const byFlag = new Map<string, ParamFlag>();
  for (const def of defs) {
    for (const spec of def.params) {
      let f = byFlag.get(spec.flag);
      if (f === undefined) {
        f = { flag: spec.flag, owners: [] };
        byFlag.set(spec.flag, f);
      }
      f.owners.push({ scenario: def.id, spec });
    }
  }
  return [...byFlag.values()];
}

export function showValue(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'string') return redactParam(v) as string;
  return JSON.stringify(v);
}

function defaults(spec: ParamSpec): string {
  const full = spec.full === undefined ? '' : `, --full ${showValue(spec.full)}`;
  return `default ${showValue(spec.default)}${full}`;
}

/** Help text: the help and defaults, per scenario where the scenarios differ. */
export function paramFlagHelp(f: ParamFlag): string {
  const first = f.owners[0].spec;
  const sameHelp = f.owners.every((o) => o.spec.help === first.help);
  const sameType = f.owners.every((o) => o.spec.type === first.type);
  const same = sameHelp && sameType && f.owners.every((o) => defaults(o.spec) === defaults(first));
  if (same)
    return `${first.help} [${first.type}] (${f.owners.map((o) => o.scenario).join(', ')}; ${defaults(first)})`;
  const each = f.owners.map(
    (o) =>
      `${o.scenario}: ${sameHelp ? '' : `${o.spec.help}, `}${sameType ? '' : `${o.spec.type}, `}${defaults(o.spec)}`,
  );
  return `${sameHelp ? `${first.help} ` : ''}${sameType ? `[${first.type}] ` : ''}(${each.join('; ')})`;
}

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

function numberFrom(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || raw.trim() === '') return Number.NaN;
  return Number(raw.trim().replace(/_/g, ''));
}

/** One value, coerced to the spec's type; `where` names the flag or config key in problems. */
export function coerceParam(
  spec: ParamSpec,
  raw: unknown,
  where: string,
): { value?: unknown; problem?: string } {
  const got = `(got ${JSON.stringify(raw)})`;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = numberFrom(raw);
      if (!Number.isFinite(n)) return { problem: `${where} must be a number ${got}` };
      if (spec.type === 'integer' && !Number.isInteger(n))
        return { problem: `${where} must be a whole number ${got}` };
      return { value: n };
    }
    case 'duration': {
      const ms = typeof raw === 'string' || typeof raw === 'number' ? parseDuration(raw) : Number.NaN;
      if (!(ms >= 0)) return { problem: `${where} must be a duration like 500ms, 10s, 1m30s ${got}` };
      if (typeof spec.default === 'number') return { value: ms / 1000 };
      const text = String(raw).trim();
      return { value: /^\d+(\.\d+)?$/.test(text) ? `${text}s` : text };
    }
    case 'boolean': {
      if (raw === true || raw === false) return { value: raw };
      const s = String(raw).trim().toLowerCase();
      if (TRUE.has(s)) return { value: true };
      if (FALSE.has(s)) return { value: false };
      return { problem: `${where} must be true or false ${got}` };
    }
    case 'list': {
      const items = Array.isArray(raw)
        ? raw.map((x) => String(x).trim())
        : typeof raw === 'string'
          ? raw.split(',').map((x) => x.trim())
          : null;
      if (items === null || items.length === 0 || items.some((x) => x === ''))
        return { problem: `${where} must be a comma-separated list like A,B,C ${got}` };
      const numeric = Array.isArray(spec.default) && spec.default.some((x) => typeof x === 'number');
      if (!numeric) return { value: items };
      const nums = items.map(Number);
      if (nums.some((n) => !Number.isFinite(n)))
        return { problem: `${where} must be a list of numbers ${got}` };
      return { value: nums };
    }
    default:
      if (typeof raw === 'object' && raw !== null) return { problem: `${where} must be text ${got}` };
      return { value: String(raw) };
  }
}

/** Finds a scenario's spec by camelCase key or kebab-case flag (config files may use either). */
export function findSpec(def: ScenarioDefinition, name: string): ParamSpec | undefined {
  return def.params.find((p) => p.key === name || p.flag === name);
}

/** Defaults (or the full load profiles with `full`) for one scenario. */
export function baseParams(def: ScenarioDefinition, full: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of def.params) out[p.key] = full && p.full !== undefined ? p.full : p.default;
  return out;
}

/** Closest known name within edit distance 2, for "did you mean" hints. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}
