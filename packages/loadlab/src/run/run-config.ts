/**
 * `tickstorm run --config FILE`: a JSON file with thresholds and per-scenario parameters.
 *
 *   {
 *     "thresholds": ["p95<100ms", "error_rate<1%", "p95{scenario:order-stress}<10ms"],
 *     "params": {
 *       "order-stress": { "rate": 500, "duration": "30s" },
 *       "market-data-flood": { "ticks-per-frame": 100 }
 *     }
 *   }
 *
 * Both keys are optional. Parameter names may be the flag (kebab-case) or the key (camelCase).
 * Flags on the command line win over the file; the file wins over the defaults (and --full).
 */
import { existsSync, readFileSync } from 'node:fs';

export interface RunConfigFile {
  thresholds: string[];
  /** Scenario id -> parameter name -> raw value (coerced later against the scenario's specs). */
  params: Record<string, Record<string, unknown>>;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

export function loadRunConfig(path: string): { config: RunConfigFile; problems: string[] } {
  const config: RunConfigFile = { thresholds: [], params: {} };
  const where = `--config ${path}`;
  if (!existsSync(path)) return { config, problems: [`${where}: no such file`] };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { config, problems: [`${where}: not valid JSON (${(err as Error).message})`] };
  }
  if (!isObject(doc))
    return { config, problems: [`${where}: expected a JSON object {"thresholds": [...], "params": {...}}`] };
  const problems: string[] = [];
  for (const k of Object.keys(doc)) {
    if (k !== 'thresholds' && k !== 'params')
      problems.push(`${where}: unknown key "${k}" (use thresholds, params)`);
  }
  if (doc.thresholds !== undefined) {
    if (!Array.isArray(doc.thresholds)) problems.push(`${where}: "thresholds" must be an array of strings`);
    else
      doc.thresholds.forEach((t, i) => {
        if (typeof t === 'string') config.thresholds.push(t);
        else problems.push(`${where}: thresholds[${i}] is not a string`);
      });
  }
  if (doc.params !== undefined) {
    if (!isObject(doc.params)) problems.push(`${where}: "params" must be an object keyed by scenario id`);
    else
      for (const [id, p] of Object.entries(doc.params)) {
        if (isObject(p)) config.params[id] = p;
        else problems.push(`${where}: params["${id}"] must be an object of parameter values`);
      }
  }
  return { config, problems };
}
