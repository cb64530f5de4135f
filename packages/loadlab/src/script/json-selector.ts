/**
 * k6's `res.json(selector)`: a GJSON path into the parsed body. The plain subset is read here:
 * keys and array indexes joined by dots (`items.0.name`), `#` for an array's length
 * (`items.#`), and `\.` for a dot inside a key. GJSON's wildcards, queries, modifiers and
 * pipes (`*`, `?`, `#(...)`, `@`, `|`) throw, naming the selector, rather than answer wrongly.
 * A path that leads nowhere answers undefined.
 */
const UNSUPPORTED = /[*?|@]|#./;

export function selectJson(value: unknown, selector: string): unknown {
  if (UNSUPPORTED.test(selector.replace(/\\./g, '')))
    throw new TypeError(
      `res.json('${selector}'): only plain GJSON paths are read here (keys and indexes joined by dots, '#' for a length), not wildcards, queries, modifiers or pipes`,
    );
  const parts = selector.split(/(?<!\\)\./).map((p) => p.replace(/\\\./g, '.'));
  let at: unknown = value;
  for (const p of parts) {
    if (at === null || typeof at !== 'object') return undefined;
    if (Array.isArray(at)) {
      if (p === '#') at = at.length;
      else if (/^\d+$/.test(p)) at = at[Number(p)];
      else return undefined;
    } else {
      if (!Object.hasOwn(at, p)) return undefined;
      at = (at as Record<string, unknown>)[p];
    }
  }
  return at;
}
