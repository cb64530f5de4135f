/**
 * Which right each route needs (docs/security.md has the table by role). `null` = public
 * (health checks). Routes not listed (and unmatched paths) need `view` for GET/HEAD and
 * `admin` otherwise, so a route added later is never open by accident.
 */
import type { Right } from './keys.ts';

export type ServiceKind = 'market-data' | 'execution-engine' | 'risk-manager' | 'api';

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

/** The right `METHOD route` needs; `route` is fastify's route pattern (or the raw path when unmatched). */
export function rightOf(method: string, route: string | undefined): Right | null {
  const r = TABLE[`${method} ${route ?? ''}`];
  if (r !== undefined) return r;
  if (method === 'HEAD') {
    const g = TABLE[`GET ${route ?? ''}`];
    if (g !== undefined) return g;
  }
  return method === 'GET' || method === 'HEAD' ? 'view' : 'admin';
}

/** Every route and its right (tests walk it; docs list it). */
export function routeRights(): readonly [string, Right | null][] {
  return Object.entries(TABLE);
}
