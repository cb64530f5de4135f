/**
 * Request fields shared by the services' HTTP routes. Each parser returns the value or throws
 * a coded 400 naming the field (PRT_ERR_INVALID_FIELD), which createHttpApp answers.
 */
import { ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import { BAR_INTERVALS, type BarInterval } from '../market-data/market-state.ts';

/** Bars answered when a request gives no `limit`. */
export const DEFAULT_BAR_LIMIT = 100;

export function invalidField(field: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message, field);
}

export function parseInterval(v: unknown, def: BarInterval = '1m'): BarInterval {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string' || !(BAR_INTERVALS as readonly string[]).includes(v)) {
    throw invalidField('interval', `interval must be one of ${BAR_INTERVALS.join(', ')}`);
  }
  return v as BarInterval;
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
  const n = typeof v === 'string' && from === 'query' ? (/^\d{1,9}$/.test(v) ? Number(v) : Number.NaN) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw invalidField(field, `${field} must be an integer ${min}..${max}`);
  }
  return n;
}
