/**
 * A query string whose percent-encoding does not decode (`?account=%ZZ`, `?sql=SELECT%20%FF`):
 * the parsers keep such a parameter as sent, so `GET /orders?account=%ZZ` listed the orders of
 * an account named "%ZZ" and `?sql=` ran the undecoded text as SQL. Refused instead, 400
 * TRD_ERR_INVALID_QUERY naming the parameter, as a path that does not decode is a 400 too.
 */
import { cutText, quoteValue } from '@tickstorm/protocol';
import type { TradingError } from '../errors.ts';
import { invalidQuery } from './request-fields.ts';

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** The refusal of the first parameter of `url`'s query that does not percent-decode, or undefined. */
export function undecodableQuery(url: string): TradingError | undefined {
  const q = url.indexOf('?');
  // no escape at all (the common case): nothing to decode
  if (q < 0 || url.indexOf('%', q) < 0) return undefined;
  for (const part of url.slice(q + 1).split('&')) {
    if (!part.includes('%') || decodes(part)) continue;
    const eq = part.indexOf('=');
    const raw = eq < 0 ? part : part.slice(0, eq);
    const name = decodes(raw) ? decodeURIComponent(raw) : raw;
    return invalidQuery(
      cutText(name),
      `query parameter ${quoteValue(name)} does not percent-decode: a % begins an escape of UTF-8 bytes (%41, %C3%A9; %25 for % itself)`,
    );
  }
  return undefined;
}
