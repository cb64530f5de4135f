/**
 * An empty path parameter is a malformed request, on every route: `GET /orders/` (or
 * `DELETE /orders/`) was read as `/orders/:id` with the id "" and answered 404 "no order ", as
 * if an order had been looked for; `/bars/` answered 404 unknown symbol "", `/book/` and
 * `/api/data//bars` 400 PRT_ERR_UNKNOWN_SYMBOL, `/admin/accounts//halt` 400 PRT_ERR_INVALID_FIELD.
 * Each is now what the kill switch already answered for an account no order can carry (its
 * documented case of a bad path parameter): 400 PRT_ERR_INVALID_FIELD naming the parameter.
 *
 * As the query check (./route-query.ts), the route's handler is wrapped, so the check runs
 * after every hook (with keys, the key and its right first) and before the route's own code;
 * routes without a parameter (POST /orders among them) are left as they are.
 */
import type { FastifyInstance } from 'fastify';
import { invalidField } from './request-fields.ts';

/** Installs the check on every route with a path parameter added after it (call before any route). */
export function refuseEmptyParamsOnEveryRoute(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const names = [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    if (names.length === 0) return;
    const method = Array.isArray(route.method) ? route.method.join('/') : route.method;
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, req, reply) {
      const params = req.params as Record<string, string | undefined>;
      for (const name of names) {
        if (params[name] === '') {
          throw invalidField(name, `${name} is empty: ${method} ${route.url} needs one in the path`);
        }
      }
      return handler.call(this, req, reply);
    };
  });
}
