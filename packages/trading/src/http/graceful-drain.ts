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
 * unanswered (RFC 9112 §9.3.1: such a request is retried by the client). Two things keep that
 * window as small as HTTP lets it be:
 * - Node's `closeIdleConnections` reads a connection as idle when its parser has seen no byte
 *   of a next request, even where that request is already in the kernel's buffer, unread
 *   because the event loop was busy stopping. Idle connections are closed only after one more
 *   poll of the sockets: a request that arrived before is read, and answered.
 * - A client sending back to back writes its next request as soon as it has read the last
 *   answer; the answers sent before the stop said keep-alive. Idle connections are closed once
 *   `IDLE_GRACE_MS` have passed since the last of those answers (at once when there was none
 *   that recent): the next request of such a client arrives within it and gets its 503 with
 *   `Connection: close`. What remains is a client that writes after a pause of about that
 *   length, at the very moment of the close.
 * Measured with 12 keep-alive clients posting orders back to back through SIGTERMs: before,
 * every client lost its next request at every stop (12 of 12); with the poll only, 0 on an idle
 * machine but up to 8 of 12 when the clients were slowed by a busy CPU; with the grace, none.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * How long after its last keep-alive answer an idle connection is kept open at a stop (ms): a
 * client's next request, even from a loaded machine, comes well within it.
 */
export const IDLE_GRACE_MS = 250;

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
 * drain itself after each answer) wait for one poll of the sockets and for the grace after
 * the last keep-alive answer.
 */
export function installDrain(app: FastifyInstance, graceMs = IDLE_GRACE_MS): Drain {
  let closing = false;
  /** When the last answer that left its connection open went out (performance.now()). */
  let lastKeptAlive = Number.NEGATIVE_INFINITY;
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
      if (!closing) lastKeptAlive = performance.now();
    };
    res.once('finish', answered);
    res.once('close', answered);
  });
  // Both hooks in callback style: they run on every answer (POST /orders too), and an async
  // hook costs a promise per answer where these return at the first test outside a stop.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (closing && ((req.raw.socket as unknown as CountedSocket)?.[OPEN] ?? 1) <= 1) {
      reply.header('connection', 'close');
    }
    done(null, payload);
  });
  // Each answer during the stop closes the connections idle by then: a connection whose
  // request was in flight at the stop, idle after its answer, would otherwise hold the stop for
  // the keep-alive timeout (72 s).
  app.addHook('onResponse', (_req, _reply, done) => {
    if (closing) server.closeIdleConnections();
    done();
  });
  deferIdleCloses(server, () => lastKeptAlive + graceMs);
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
 * Replaces `server.closeIdleConnections` with one that closes the connections idle once the
 * sockets have been polled once more (two turns of `setImmediate`: the event loop polls its
 * sockets between them), so that a request already received is read, not reset, and not
 * before `notBefore()`.
 */
function deferIdleCloses(server: Server, notBefore: () => number): void {
  const closeNow = server.closeIdleConnections.bind(server);
  let queued = false;
  const afterPoll = (f: () => void) => setImmediate(() => setImmediate(f));
  const run = () => {
    const wait = notBefore() - performance.now();
    if (wait > 0) {
      setTimeout(() => afterPoll(run), Math.ceil(wait)).unref();
      return;
    }
    queued = false;
    closeNow();
  };
  server.closeIdleConnections = () => {
    if (queued) return;
    queued = true;
    afterPoll(run);
  };
}
