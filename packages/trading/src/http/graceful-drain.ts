/**
 * A graceful stop's HTTP side, as Go's `http.Server.Shutdown` and nginx's graceful quit do it:
 * once it begins, the server accepts no new connection; every request whose head it has read
 * gets an answer (its own, or 503 TRD_ERR_SHUTTING_DOWN from http-app.ts); every answer sent
 * during the drain says `Connection: close`, so no client writes another request on that
 * connection; and the keep-alive connections idle then are closed.
 *
 * An idle keep-alive connection is the one place where a request can still be lost: HTTP/1.1
 * has no way to tell a client "do not send" on a connection that has no answer to carry it, so
 * a client that writes a request just as the server closes the connection gets it closed
 * unanswered (RFC 9112 §9.3.1: such a request is retried by the client). The window is kept
 * to what the network makes it: Node's `closeIdleConnections` reads a connection as idle when
 * its parser has seen no byte of a next request, even where that request is already in the
 * kernel's buffer, unread because the event loop was busy stopping. Without the wait below,
 * every client sending back to back lost its next request at each stop (12 of 12 clients).
 * Here idle connections are closed only after one more poll of the sockets: a request that
 * arrived before is read, and answered.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

const OPEN = Symbol('tickstorm.requests-unanswered');

type CountedSocket = { [OPEN]?: number };

/** The drain state of one server (http-app.ts keeps one per app). */
export interface Drain {
  /** True from the start of the stop on. */
  readonly closing: boolean;
  /** Starts the drain (idempotent): later answers say `Connection: close`. */
  begin(): void;
}

/**
 * Installs the drain on `app`: counts each connection's unanswered requests, marks every
 * answer of the drain `Connection: close` (unless another request of the same connection,
 * pipelined, still waits for its answer: that one carries the close), and makes
 * `server.closeIdleConnections` (called by Node's `server.close`, by fastify and by the
 * drain itself after each answer) wait for one poll of the sockets first.
 */
export function installDrain(app: FastifyInstance): Drain {
  let closing = false;
  const server = app.server;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (res.writableFinished) return; // answered already (http-app.ts's answerFirst)
    const socket = req.socket as unknown as CountedSocket;
    socket[OPEN] = (socket[OPEN] ?? 0) + 1;
    let done = false;
    const answered = () => {
      if (done) return;
      done = true;
      socket[OPEN] = (socket[OPEN] ?? 1) - 1;
    };
    res.once('finish', answered);
    res.once('close', answered);
  });
  app.addHook('onSend', async (req, reply) => {
    if (closing && ((req.raw.socket as unknown as CountedSocket)?.[OPEN] ?? 1) <= 1) {
      reply.header('connection', 'close');
    }
  });
  // Each answer during the stop closes the connections idle by then: a connection whose
  // request was in flight at the stop, idle after its answer, would otherwise hold the stop for
  // the keep-alive timeout (72 s).
  app.addHook('onResponse', async () => {
    if (closing) server.closeIdleConnections();
  });
  deferIdleCloses(server);
  return {
    get closing() {
      return closing;
    },
    begin() {
      closing = true;
    },
  };
}

/**
 * Replaces `server.closeIdleConnections` with one that closes the connections idle after the
 * sockets have been polled once more (two turns of `setImmediate`: the event loop polls its
 * sockets between them), so that a request already received is read, not reset.
 */
function deferIdleCloses(server: Server): void {
  const closeNow = server.closeIdleConnections.bind(server);
  let queued = false;
  server.closeIdleConnections = () => {
    if (queued) return;
    queued = true;
    setImmediate(() =>
      setImmediate(() => {
        queued = false;
        closeNow();
      }),
    );
  };
}
