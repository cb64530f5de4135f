/**
 * The methods a path takes, from fastify's route table: a request whose path a route serves
 * under other methods is answered 405 TRD_ERR_METHOD_NOT_ALLOWED with an `Allow` header
 * listing them (RFC 9110 §15.5.6), not 404 "no route", which read as if the path did not
 * exist. HEAD is listed where GET is (fastify serves it); a WebSocket endpoint
 * (./websocket-paths.ts) takes GET (the upgrade) and HEAD (both 426 without the upgrade).
 */
import type { FastifyInstance } from 'fastify';
import { isWebSocketPath } from './websocket-paths.ts';

/** The methods `path` (without its query) takes, in the order fastify lists them; [] when none. */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  if (isWebSocketPath(app.server, path)) return ['GET', 'HEAD'];
  const out: string[] = [];
  for (const method of app.supportedMethods) {
    if (app.findRoute({ method: method as 'GET', url: path }) !== null) out.push(method);
  }
  return out;
}
