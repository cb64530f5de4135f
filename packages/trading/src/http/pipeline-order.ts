/**
 * Requests pipelined on one connection run one after another (RFC 9112 §9.3.2: only safe
 * requests may be processed in parallel). Node hands every request of a pipelined batch to the
 * app at once, and one without a body reaches its handler before the body of an earlier one has
 * been read: `POST /orders` then `GET /book/AAPL` on one connection answered a book without that
 * order, and a `DELETE` or a kill switch could overtake the order placed before it.
 *
 * Node itself knows when an earlier request of the connection is unanswered: it gives the
 * connection's socket to a response only once every earlier response has finished
 * (`res.socket` is null until then, and the response emits 'socket' when it gets it). So a
 * request whose response has no socket yet waits for that 'socket' event; every other request,
 * which is every request of a connection that does not pipeline, runs at once, at the cost of
 * one property read. Pipelined reads run one at a time too: their answers go out in order
 * anyway.
 */
import type { Server } from 'node:http';
import { wrapFirstRequestListener } from './first-request-listener.ts';

/**
 * Wraps the server's first `request` listener (fastify's) so that a pipelined request runs once
 * the requests before it on its connection are answered. Install before `answerFirst`, whose
 * refusals need no order. A connection closed meanwhile never runs the requests still waiting
 * (their answers could not be sent).
 */
export function runPipelinedInOrder(server: Server): void {
  wrapFirstRequestListener(server, (handler) => (req, res) => {
    if (res.socket !== null) handler(req, res);
    else res.once('socket', () => handler(req, res));
  });
}
