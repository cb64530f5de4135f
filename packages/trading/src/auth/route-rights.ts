/**
 * Which right each route needs (docs/security.md has the table by role). `null` = public
 * (health checks). Routes not listed need `view` for GET/HEAD and `admin` otherwise, so a route
 * added later is never open by accident. A request no route takes (an unknown path: 404, or a
 * method the path does not take: 405 with Allow) needs a valid key of any role (ANY_KEY): no
 * route's right applies, and its answer says what the request is, whoever sends it. Before, it
 * needed view (GET/HEAD) or admin, so a viewer's `OPTIONS /orders` was 403 where an admin's
 * was 405, as if an admin could do what no route does.
 */
import type { Right } from './keys.ts';

export type ServiceKind = 'market-data' | 'execution-engine' | 'risk-manager' | 'api';

/** What a request no route takes needs: the key authenticated, whatever its role. */
export const ANY_KEY = 'any key';

/** A route's need: a right, any valid key (no route), or nothing (public). */
export type Need = Right | typeof ANY_KEY | null;

const TABLE: Record<string, Right | null> = {
  'GET /health': null,
  // execution-engine
  'POST /orders': 'trade',
  'GET /orders': 'trade',
  'GET /orders/:id': 'trade',
  'DELETE /orders/:id': 'trade',
  'GET /book/:symbol': 'view',
  'POST /admin/accounts/:account/halt': 'admin',
  'POST /admin/accounts/:account/resume': 'admin',
  // risk-manager
  'POST /check': 'trade',
  'GET /limits': 'view',
  'PUT /limits': 'admin',
  'GET /positions': 'trade',
  // market-data
  'POST /stats/reset': 'admin',
  'WS /stream': 'feed',
  // api
  'GET /api/metrics/query': 'admin',
  'POST /api/metrics': 'feed',
  'WS /ws/metrics': 'view',
  'POST /api/strategy/analyze': 'view',
  // an account's positions: as GET /positions (a trader, its own accounts only)
  'POST /api/risk/analyze': 'trade',
  'POST /api/trade/execute': 'admin',
  'POST /api/workflow/run': 'admin',
};

/** What `METHOD route` needs; `route` is fastify's route pattern, undefined when no route matched. */
export function rightOf(method: string, route: string | undefined): Need {
  if (route === undefined) return ANY_KEY;
  const r = TABLE[`${method} ${route}`];
  if (r !== undefined) return r;
  if (method === 'HEAD') {
    const g = TABLE[`GET ${route}`];
    if (g !== undefined) return g;
  }
  return method === 'GET' || method === 'HEAD' ? 'view' : 'admin';
}

/** Whether `key` may make a request that needs `need` (not null: a public one needs no key). */
export function mayMake(key: { can(right: Right): boolean }, need: Right | typeof ANY_KEY): boolean {
  return need === ANY_KEY || key.can(need);
}

/** Every route and its right (tests walk it; docs list it). */
export function routeRights(): readonly [string, Right | null][] {
  return Object.entries(TABLE);
}
