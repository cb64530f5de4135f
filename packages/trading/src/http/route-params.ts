/**
 * An empty path parameter is a malformed request, on every route: `GET /orders/` (or
 * `DELETE /orders/`) was read as `/orders/:id` with the id "" and answered 404 "no order ", as
 * if an order had been looked for; `/bars/` answered 404 unknown symbol "", `/book/` and
 * `/api/data//bars` 400 PRT_ERR_UNKNOWN_SYMBOL, `/admin/accounts//halt` 400 PRT_ERR_INVALID_FIELD.
 * Each is now what the kill switch already answered for an account no order can carry (its
 * documented case of a bad path parameter): 400 PRT_ERR_INVALID_FIELD naming the parameter.
 *
 * The check runs in the one wrapper ./route-query.ts puts around every route's handler, after
 * every hook (with keys, the key and its right first), before the query check and the route's
 * own code; routes without a parameter (POST /orders among them) have nothing to check.
 */
import { invalidField } from './request-fields.ts';

/** The path parameters of a route pattern: `/orders/:id` gives ['id']. */
export function pathParams(url: string): string[] {
  return [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

/** Throws 400 PRT_ERR_INVALID_FIELD naming the first of `names` that is empty in `params`. */
export function refuseEmptyParams(params: unknown, names: readonly string[], route: string): void {
  const given = params as Record<string, string | undefined>;
  for (const name of names) {
    if (given[name] === '') throw invalidField(name, `${name} is empty: ${route} needs one in the path`);
  }
}
