/**
 * A WebSocket upgrade refuses a query parameter its endpoint does not take, as every HTTP route
 * does (./route-query.ts): 400 TRD_ERR_INVALID_QUERY naming it, a coded HTTP answer before the
 * upgrade. `ws://…/stream?acks=1` opened without acks, silently. Every upgrade takes `key`,
 * `ts` and `sig` (signed by query parameters: auth/request-auth.ts `authorizeUpgrade`); each
 * endpoint says what else it takes (`ack` on /stream). Checked after the key and its right, as
 * on HTTP routes, so the signature still covers the query as sent (docs/security.md).
 */
import type { TradingError } from '../errors.ts';
import { undecodableQuery } from './query-decoding.ts';
import { refuseUnknownQuery } from './request-fields.ts';

/** The parameters that sign an upgrade, taken on every WebSocket endpoint. */
export const SIGNING_QUERY: readonly string[] = ['key', 'ts', 'sig'];

/**
 * The refusal of the first parameter of `url`'s query that `path` does not take, or undefined.
 * `takes`: the endpoint's own parameters (the signing ones are added).
 */
export function unknownUpgradeQuery(
  url: string,
  path: string,
  takes: readonly string[],
): TradingError | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const undecodable = undecodableQuery(url);
  if (undecodable !== undefined) return undecodable;
  const all = new Set([...takes, ...SIGNING_QUERY]);
  const query: Record<string, true> = {};
  for (const name of new URLSearchParams(url.slice(q + 1)).keys()) query[name] = true;
  try {
    refuseUnknownQuery(query, all, `GET ${path} takes ${[...all].join(', ')}`);
  } catch (err) {
    return err as TradingError;
  }
  return undefined;
}
