/**
 * POST /swarm's body (Locust's form: user_count, spawn_rate, host, run_time, and user_classes from the
 * class picker, repeated in a form or an array in JSON), form-urlencoded or JSON,
 * to a SwarmStart, with every problem at once (validateStart's, plus missing/unparsable fields).
 */
import { parseDuration } from '../../util/duration.ts';
import { type SwarmStart, validateStart } from '../swarm-controller.ts';

export type SwarmForm = { start: SwarmStart; problems: [] } | { start: null; problems: string[] };

type Fields = Record<string, unknown>;

function parseFields(body: string, contentType: string): Fields | string {
  if (/^application\/json\b/i.test(contentType)) {
    try {
      const v: unknown = JSON.parse(body);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'the JSON body must be an object';
      return v as Fields;
    } catch (e) {
      return `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const params = new URLSearchParams(body);
  const fields: Fields = Object.fromEntries(params);
  if (params.has('user_classes')) fields.user_classes = params.getAll('user_classes');
  return fields;
}

/** A number from a form string or a JSON number; NaN for anything else. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v.trim());
  return Number.NaN;
}

export function parseSwarmForm(body: string, contentType: string): SwarmForm {
  const f = parseFields(body, contentType);
  if (typeof f === 'string') return { start: null, problems: [f] };
  const problems: string[] = [];
  const users = num(f.user_count);
  const spawnRate = num(f.spawn_rate);
  // a missing or non-numeric field is reported by its form name, with the text sent
  const usersBad = Number.isNaN(users);
  const rateBad = Number.isNaN(spawnRate);
  if (usersBad) problems.push(`user_count must be an integer >= 0, got ${shown(f.user_count)}`);
  if (rateBad) problems.push(`spawn_rate must be a number > 0 users/s, got ${shown(f.spawn_rate)}`);
  const start: SwarmStart = { users, spawnRate };
  if (typeof f.host === 'string' && f.host.trim() !== '') start.host = f.host.trim();
  else if (f.host !== undefined && typeof f.host !== 'string') problems.push('host must be a string');
  if (f.user_classes !== undefined) {
    const list = f.user_classes;
    if (Array.isArray(list) && list.every((x) => typeof x === 'string')) start.userClasses = list;
    else problems.push(`user_classes must be a list of class names, got ${shown(list)}`);
  }
  // run_time (Locust's form field): a duration for a new test; empty = until stopped
  if (f.run_time !== undefined) {
    const text = typeof f.run_time === 'number' ? String(f.run_time) : f.run_time;
    const ms = typeof text === 'string' ? (text.trim() === '' ? 0 : parseDuration(text)) : Number.NaN;
    if (Number.isNaN(ms))
      problems.push(
        `run_time must be a duration like 30s, 5m or 1h30m (empty: until stopped), got ${shown(f.run_time)}`,
      );
    else start.runTimeSec = ms / 1000;
  }
  for (const p of validateStart(start)) {
    if ((usersBad && p.startsWith('users ')) || (rateBad && p.startsWith('spawn rate '))) continue;
    problems.push(p);
  }
  return problems.length > 0 ? { start: null, problems } : { start, problems: [] };
}

function shown(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
