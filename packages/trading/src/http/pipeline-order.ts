/**
 * Requests pipelined on one connection run in their order where the order matters (RFC 9112
 * §9.3.2: only safe requests may be processed in parallel). Node hands every request of a
 * pipelined batch to the app at once, and one without a body reaches its handler before the
 * body of an earlier one has been read: `POST /orders` then `GET /book/AAPL` on one connection
 * answered a book without that order, and a `DELETE` or a kill switch could overtake the
 * order placed before it. Here a request that changes state waits until every earlier request
 * of its connection has been answered, and a read waits until the earlier requests that change
 * state have been answered; reads behind reads still run together. A connection with one
 * request at a time (no pipelining) never waits.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

interface Waiting {
  readonly unsafe: boolean;
  readonly run: () => void;
}

interface Connection {
  /** Requests running (handed to the app), not yet answered. */
  running: number;
  /** Of them, the ones that may change state. */
  runningUnsafe: number;
  /** Requests held back, in arrival order. */
  readonly waiting: Waiting[];
  /** The socket closed: requests still held back are never run (their answers could not be sent). */
  closed: boolean;
}

const connections = new WeakMap<Socket, Connection>();

function mayRun(c: Connection, unsafe: boolean): boolean {
  return unsafe ? c.running === 0 : c.runningUnsafe === 0;
}

function start(c: Connection, unsafe: boolean, res: ServerResponse, run: () => void): void {
  c.running++;
  if (unsafe) c.runningUnsafe++;
  let done = false;
  const answered = () => {
    if (done) return;
    done = true;
    c.running--;
    if (unsafe) c.runningUnsafe--;
    while (!c.closed && c.waiting.length > 0 && mayRun(c, c.waiting[0].unsafe)) {
      const next = c.waiting.shift()!;
      next.run();
    }
  };
  res.once('finish', answered);
  res.once('close', answered);
  run();
}

/**
 * Wraps the server's first `request` listener (fastify's) so that pipelined requests run in
 * order as described above. Install before `answerFirst`, whose refusals need no order.
 */
export function runPipelinedInOrder(server: Server): void {
  const handler = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeListener('request', handler);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    let c = connections.get(socket);
    if (c === undefined) {
      const conn: Connection = { running: 0, runningUnsafe: 0, waiting: [], closed: false };
      c = conn;
      connections.set(socket, conn);
      socket.once('close', () => {
        conn.closed = true;
        conn.waiting.length = 0;
      });
    }
    const conn = c;
    const unsafe = !SAFE_METHODS.has(req.method ?? '');
    const run = () => start(conn, unsafe, res, () => handler.call(server, req, res));
    if (conn.waiting.length === 0 && mayRun(conn, unsafe)) run();
    else conn.waiting.push({ unsafe, run });
  });
}
