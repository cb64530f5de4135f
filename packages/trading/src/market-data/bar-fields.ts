/**
 * Request fields of a bars query, shared by market data's GET /bars and the agent endpoints
 * (../workflow/). Like ../http/request-fields.ts, a bad value throws a coded 400 naming the
 * field (PRT_ERR_INVALID_FIELD), which createHttpApp answers.
 */
import { invalidField } from '../http/request-fields.ts';
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
  if (Array.isArray(v) && from === 'query') throw invalidField('interval', 'interval must be given once');
  if (typeof v !== 'string' || !(BAR_INTERVALS as readonly string[]).includes(v)) {
    throw invalidField('interval', `interval must be one of ${BAR_INTERVALS.join(', ')}`);
  }
  return v as BarInterval;
}
