/**
 * Every route refuses a query parameter it does not take (400 TRD_ERR_INVALID_QUERY naming
 * it): a misspelt `?levels=50` or `?acount=` is not silently dropped, on a read as on a write,
 * whichever service answers. A route takes none unless it says which with `takesQuery`:
 *
 *   app.get('/book/:symbol', takesQuery('depth'), handler)
 *
 * The check is a route-level preHandler, so it runs after the app's hooks (authentication and
 * the key's right first: auth/request-auth.ts) and before the handler. Bodies are each route's
 * own (refuseUnknownFields, refuseArguments: ./request-fields.ts).
 *
 * A parameter whose name or value is not valid percent-encoding of UTF-8 (`?account=%ZZ`,
 * `%E2%82`) is refused the same way: the query parser passed it on as written, so
 * `GET /orders?account=%ZZ` listed the orders of an account named "%ZZ" (none), where a path
 * that does not decode is 400.
 */

import { cutText, quoteValue } from '@tickstorm/protocol';
import type { FastifyInstance, preHandlerHookHandler, RouteShorthandOptions } from 'fastify';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { refuseUnknownQuery } from './request-fields.ts';

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

/** Installs the check on every route added after it (call before any route). */
export function refuseUnknownQueryOnEveryRoute(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const takes: ReadonlySet<string> = new Set(route.config?.query ?? []);
    const method = Array.isArray(route.method) ? route.method.join('/') : route.method;
    const says = `${method} ${route.url} takes ${takes.size === 0 ? 'no query parameter' : [...takes].join(', ')}`;
    const check: preHandlerHookHandler = (req, _reply, done) => {
      // no query string (the hot path, POST /orders): nothing to look at
      const q = req.url.indexOf('?');
      if (q < 0) return done();
      try {
        refuseMalformedQuery(req.url.slice(q + 1));
        refuseUnknownQuery(req.query, takes, says);
      } catch (err) {
        return done(err as Error);
      }
      done();
    };
    const own = route.preHandler;
    route.preHandler = own === undefined ? [check] : [check, ...(Array.isArray(own) ? own : [own])];
  });
}

/** Throws 400 TRD_ERR_INVALID_QUERY naming the first parameter of `query` that does not decode. */
export function refuseMalformedQuery(query: string): void {
  if (!query.includes('%')) return;
  for (const part of query.split('&')) {
    if (!part.includes('%')) continue;
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      let shown = name;
      try {
        shown = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {}
      throw new TradingError(
        TradingErrorCode.INVALID_QUERY,
        `query parameter ${quoteValue(part)} is not valid percent-encoded UTF-8 (a % takes two hex digits)`,
        cutText(shown),
      );
    }
  }
}
