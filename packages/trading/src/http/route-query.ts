/**
 * Every route refuses a query parameter it does not take (400 TRD_ERR_INVALID_QUERY naming
 * it): a misspelt `?levels=50` or `?acount=` is not silently dropped, on a read as on a write,
 * whichever service answers. A route takes none unless it says which with `takesQuery`:
 *
 *   app.get('/book/:symbol', takesQuery('depth'), handler)
 *
 * The check wraps each route's handler, so it runs after every hook (authentication and the
 * key's right first: auth/request-auth.ts) and before the route's own code. Bodies are each route's
 * own (refuseUnknownFields, refuseArguments: ./request-fields.ts).
 *
 * The same wrapper first refuses an empty path parameter (./route-params.ts), and a query
 * parameter that does not percent-decode (./query-decoding.ts).
 *
 * Two paths are left out of the query check: `/health` and `/metrics` answer whatever query they get, as probes
 * and scrapers expect (a Prometheus job's `params:`, a load balancer's or uptime checker's
 * cache-buster): a 400 there would read as the service being down.
 */
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { undecodableQuery } from './query-decoding.ts';
import { refuseUnknownQuery } from './request-fields.ts';
import { pathParams, refuseEmptyParams } from './route-params.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The query parameters the route takes (none when absent): ./route-query.ts. */
    query?: readonly string[];
  }
}

/** Route options saying which query parameters a route takes (merged into `more`). */
export function takesQuery(...params: string[]): RouteShorthandOptions {
  return { config: { query: params } };
}

/** Probe and scrape paths: any query is taken (and ignored). */
const ANY_QUERY: ReadonlySet<string> = new Set(['/health', '/metrics']);

/** Installs both checks on every route added after it (call before any route). */
export function checkRouteInputsOnEveryRoute(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const anyQuery = ANY_QUERY.has(route.url);
    const params = pathParams(route.url);
    if (anyQuery && params.length === 0) return;
    const takes: ReadonlySet<string> = new Set(route.config?.query ?? []);
    const method = Array.isArray(route.method) ? route.method.join('/') : route.method;
    const pattern = `${method} ${route.url}`;
    const says = `${pattern} takes ${takes.size === 0 ? 'no query parameter' : [...takes].join(', ')}`;
    // The route's handler is wrapped rather than given a preHandler hook: a route with no other
    // preHandler (every route without keys, POST /orders among them) then runs no hook chain per
    // request (fastify allocates its closures each time). It still runs after every hook
    // (authentication and the key's right first) and before the route's own code; a throw here
    // is answered by the error handler like the handler's own.
    const handler = route.handler;
    route.handler = function (this: FastifyInstance, req, reply) {
      if (params.length > 0) refuseEmptyParams(req.params, params, pattern);
      // no query string (the hot path, POST /orders): nothing to look at
      if (!anyQuery && req.url.includes('?')) {
        const undecodable = undecodableQuery(req.url);
        if (undecodable !== undefined) throw undecodable;
        refuseUnknownQuery(req.query, takes, says);
      }
      return handler.call(this, req, reply);
    };
  });
}
