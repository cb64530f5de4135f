/**
 * Request fields shared by the services' HTTP routes. Each parser returns the value or throws
 * a coded 400 naming the field, which createHttpApp answers: a body field PRT_ERR_INVALID_FIELD,
 * a query parameter TRD_ERR_INVALID_QUERY (whatever is wrong with it: unknown, given twice, or
 * a bad value; the same code on every route, as GET /orders and /positions answer).
 * The bar fields (interval, DEFAULT_BAR_LIMIT) are market data's: ../market-data/bar-fields.ts.
 */
import { cutText, ProtocolError, ProtocolErrorCode, quoteValue } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';

export function invalidField(field: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message, field);
}

/** A bad query parameter (a value, or given twice): 400 TRD_ERR_INVALID_QUERY naming it. */
export function invalidQuery(field: string, message: string): TradingError {
  return new TradingError(TradingErrorCode.INVALID_QUERY, message, field);
}

/** The error for a bad `field` from a body (invalidField) or a query string (invalidQuery). */
export function invalidInput(from: 'body' | 'query', field: string, message: string): Error {
  return from === 'query' ? invalidQuery(field, message) : invalidField(field, message);
}

/**
 * Throws a coded 400 naming the first field of `body` not in `fields`: a misspelt field
 * ignored would drop what it meant (a clientOrderId's de-duplication, an account). `takes`
 * ends the message: "an order takes symbol, side, ...".
 */
export function refuseUnknownFields(
  body: Record<string, unknown>,
  fields: ReadonlySet<string>,
  takes: string,
): void {
  for (const name in body) {
    if (!fields.has(name)) throw invalidField(cutText(name), `unknown field ${quoteValue(name)}: ${takes}`);
  }
}

const NO_FIELDS: ReadonlySet<string> = new Set();

/**
 * Throws 400 TRD_ERR_INVALID_QUERY naming the first query parameter not in `params`: a
 * misspelt or unread one is not silently dropped. `takes` ends the message.
 */
export function refuseUnknownQuery(query: unknown, params: ReadonlySet<string>, takes: string): void {
  for (const k in query as Record<string, unknown>) {
    if (!params.has(k)) throw invalidQuery(cutText(k), `unknown query parameter ${quoteValue(k)}: ${takes}`);
  }
}

/**
 * A route that takes nothing but its path (`DELETE /orders/:id`, the kill switch): a query
 * parameter is 400 TRD_ERR_INVALID_QUERY and a body field 400 PRT_ERR_INVALID_FIELD, each
 * named, before anything is done. Dropped, `{"quantity":1}` or `?quantity=1` meant as a partial
 * cancel would cancel the whole order. An empty body, `{}` and `null` are no arguments.
 */
export function refuseArguments(query: unknown, body: unknown, route: string): void {
  refuseUnknownQuery(query, NO_FIELDS, `${route} takes none`);
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidField('body', `${route} takes no body`);
  }
  refuseUnknownFields(body as Record<string, unknown>, NO_FIELDS, `${route} takes no body`);
}

/**
 * An integer min..max: a JSON number in a body; in a query string (`query`) the decimal
 * digits a query parameter arrives as. A string in a JSON body is a 400 (`"quantity": "5"`).
 */
export function parseCount(
  v: unknown,
  field: string,
  def: number,
  min: number,
  max: number,
  from: 'body' | 'query' = 'body',
): number {
  if (v === undefined || v === null) return Math.min(def, max);
  // `?depth=10&depth=5` parses to an array: say so rather than "must be an integer".
  if (Array.isArray(v) && from === 'query') throw invalidQuery(field, `${field} must be given once`);
  const n = typeof v === 'string' && from === 'query' ? (/^\d{1,9}$/.test(v) ? Number(v) : Number.NaN) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidInput(from, field, `${field} must be an integer ${min}..${max}`);
  }
  return n;
}
