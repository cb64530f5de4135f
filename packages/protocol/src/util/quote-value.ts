/**
 * A client's value as JSON text for an error message, cut to `max` characters (`...` at the
 * end): a 60 KB symbol or field name is named, not echoed back whole.
 */
export function quoteValue(v: unknown, max = 64): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
