/**
 * Request fields of a bars query, shared by market data's GET /bars and the agent endpoints
 * (../workflow/). Like ../http/request-fields.ts, a bad value throws a coded 400 naming the
 * field (a body field PRT_ERR_INVALID_FIELD, a query parameter TRD_ERR_INVALID_QUERY), which
 * createHttpApp answers.
 */
import { invalidInput, invalidQuery } from '../http/request-fields.ts';
import { BAR_INTERVALS, type BarInterval } from './market-state.ts';

/** Bars answered when a request gives no `limit`. */
export const DEFAULT_BAR_LIMIT = 100;

export function parseInterval(
  v: unknown,
  def: BarInterval = '1m',
  from: 'body' | 'query' = 'body',
): BarInterval {
  if (v === undefined || v === null) return def;
  // `?interval=1s&interval=1m` parses to an array: say so rather than "must be one of".
  if (Array.isArray(v) && from === 'query') throw invalidQuery('interval', 'interval must be given once');
  if (typeof v !== 'string' || !(BAR_INTERVALS as readonly string[]).includes(v)) {
    throw invalidInput(from, 'interval', `interval must be one of ${BAR_INTERVALS.join(', ')}`);
  }
  return v as BarInterval;
}
