/**
 * A JSON object body that names one field twice (`{"account":"a",...,"account":"b"}`) is
 * ambiguous: JSON.parse keeps the last, another reader (a gateway, an audit log, a risk proxy
 * in front) may keep the first, so the order placed is not the one they saw. RFC 8259 leaves
 * the meaning open; the services refuse it (json-body.ts). Every object of an object body is
 * looked at, nested ones too (PUT /limits' `perSymbol`), and every object of an array body (a
 * metrics batch: `[{"name":"x","value":1,"value":2}]`), by `repeatedKeyIn`. The names are
 * counted by the pass ./json-text-scan.ts makes for every body.
 */
import { countNames, walkMembers } from './json-text-scan.ts';

/**
 * The first name given a second time in any object of `text` (valid JSON of any shape: a keys
 * file is an array of objects), if any: the name alone at the top level, `outer.inner.name`
 * below it (array levels left out). `names`, when given, makes the usual answer cheap: the
 * parsed value's own key count, for a flat object (an order, a WebSocket command): one pass
 * counts the names in key position, and they are looked at by name only when there are more
 * (a name given twice, or a nested object's).
 */
export function repeatedKey(text: string, names?: number): string | undefined {
  return names !== undefined && countNames(text) === names ? undefined : find(text);
}

/**
 * repeatedKey for `text` parsed as `value` (any shape), cheap in the usual case: the names in key
 * position in the text are counted in one pass and compared with the parsed objects' own keys
 * (JSON.parse keeps one of each); only when the text has more are they looked at by name.
 */
export function repeatedKeyIn(text: string, value: unknown): string | undefined {
  return countNames(text) === keysOf(value) ? undefined : find(text);
}

/** The own keys of every object in a parsed JSON value (no recursion: a body may nest deep). */
function keysOf(value: unknown): number {
  let n = 0;
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object') todo.push(v[i]);
      continue;
    }
    const o = v as Record<string, unknown>;
    for (const k in o) {
      n++;
      if (typeof o[k] === 'object') todo.push(o[k]);
    }
  }
  return n;
}

/** The first repeated name of any object in `text`, with the names of the objects it is in. */
function find(text: string): string | undefined {
  // per object (the index of its '{') its names so far
  const seen = new Map<number, Set<string>>();
  let found: string | undefined;
  walkMembers(text, (name, _end, object, under) => {
    let names = seen.get(object);
    if (names === undefined) seen.set(object, (names = new Set()));
    if (!names.has(name)) {
      names.add(name);
      return false;
    }
    found = [...under.slice(1).filter((u) => u !== ''), name].join('.');
    return true;
  });
  return found;
}
