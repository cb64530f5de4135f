/**
 * The server's first `request` listener is fastify's (attached when the app was created).
 * Code that must run before it, for every request (./pipeline-order.ts, http-app.ts's
 * answerFirst), puts a listener of its own in its place that calls it on.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Replaces the server's first request listener with `wrap(it)`, placed first. */
export function wrapFirstRequestListener(
  server: Server,
  wrap: (next: RequestListener) => RequestListener,
): void {
  const first = server.listeners('request')[0] as RequestListener;
  server.removeListener('request', first);
  server.prependListener('request', wrap(first.bind(server)));
}
