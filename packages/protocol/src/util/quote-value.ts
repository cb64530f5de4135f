/**
 * A client's value as JSON text for an error message, cut to `max` characters (`...` at the
 * end): a 60 KB symbol or field name is named, not echoed back whole.
 */
export function quoteValue(v: unknown, max = 64): string {
  return cutText(JSON.stringify(v) ?? String(v), max);
}

/** `s` cut to `max` characters, `...` at the end when cut. */
export function cutText(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
