/**
 * Bounds on every HTTP service (docs/security.md "Limits"): a headers timeout (a new
 * connection's first request headers within 90-100% of it, spread) and a request
 * timeout (a slow or stalled request is answered 408 and closed by Node, checked every
 * `checkIntervalMs`), a connection cap (the `overflowConnections` after it are accepted only
 * to be answered 503 TRD_ERR_TOO_MANY_CONNECTIONS with Retry-After, as nginx's limit_conn
 * answers; sockets beyond those are closed on accept), and a
 * readable early answer: a request refused before its body was read (413) is answered with
 * `Connection: close`, then the rest of the body is read and dropped (up to `lingerBytes` or
 * `lingerMs`, nginx's lingering close) before the socket closes, so the client, still
 * sending, gets to read the answer instead of a reset; Node's client errors (a 408 request
 * timeout, a 431, bytes that are not HTTP) are closed the same way (`lingerAfterClientError`).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpLimits {
  /** Whole request headers within this (ms). */
  headersTimeoutMs: number;
  /** Whole request (headers and body) within this (ms). */
  requestTimeoutMs: number;
  /** How often Node checks the two timeouts (ms). */
  checkIntervalMs: number;
  /** Open connections served. */
  maxConnections: number;
  /**
   * Connections past `maxConnections` still accepted, each only to answer its first request 503
   * TRD_ERR_TOO_MANY_CONNECTIONS (Retry-After: 1, Connection: close); beyond these, closed on accept.
   */
  overflowConnections: number;
  /** How long an overflow connection may take to send its request head (ms; at most headersTimeoutMs). */
  overflowDeadlineMs: number;
  /** Bytes of an unread body drained after an early answer before the socket is closed. */
  lingerBytes: number;
  /** Longest drain after an early answer (ms). */
  lingerMs: number;
  /**
   * First-request headers deadlines answered 408 per second; past them, in the same second, a
   * connection is closed without an answer (a slowloris burst: thousands of answers would take
   * the event loop from the orders).
   */
  deadlineAnswersPerSecond: number;
}

export const HTTP_LIMIT_DEFAULTS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
  maxConnections: 4_096,
  overflowConnections: 512,
  overflowDeadlineMs: 2_000,
  lingerBytes: 64 * 1024 * 1024,
  lingerMs: 5_000,
  deadlineAnswersPerSecond: 100,
};

/** Applies the timeouts and the connection cap to a not yet listening server. */
export function applyServerLimits(server: Server, limits: HttpLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    limits.checkIntervalMs;
  server.maxConnections = limits.maxConnections + limits.overflowConnections;
  let open = 0;
  // The deadline's 408s answered in the current second (from the first one) of this server.
  let answersFrom = Number.NEGATIVE_INFINITY;
  let answers = 0;
  const mayAnswer = (): boolean => {
    const now = performance.now();
    if (now - answersFrom >= 1000) {
      answersFrom = now;
      answers = 0;
    }
    return answers++ < limits.deadlineAnswersPerSecond;
  };
  // Node's own headers timeout did not close half-sent requests from other processes in our
  // measurements (Node 20), so each new connection is also given an inactivity deadline that
  // holds until its first request's headers are complete. The deadline is spread over the
  // last tenth of the timeout: thousands of connections opened in one burst (slowloris) are
  // then closed over a second, not in one timer callback that stalls the event loop.
  server.on(
    'connection',
    (socket: Socket & { [ARMED]?: boolean; [OVERFLOW]?: number; [NODE_ON_TIMEOUT]?: (() => void)[] }) => {
      open++;
      socket.once('close', () => {
        open--;
      });
      socket[ARMED] = true;
      let deadline = limits.headersTimeoutMs;
      if (open > limits.maxConnections) {
        socket[OVERFLOW] = limits.maxConnections;
        deadline = Math.min(limits.overflowDeadlineMs, deadline);
      }
      socket.setTimeout(Math.ceil(deadline * (1 - HEADERS_DEADLINE_SPREAD * Math.random())));
      // Node's own listener (socketOnTimeout) would destroy the socket first, without an answer:
      // held back until the first request's headers are complete (it then times keep-alive out).
      socket[NODE_ON_TIMEOUT] = socket.listeners('timeout') as (() => void)[];
      socket.removeAllListeners('timeout');
      socket.once('timeout', () => {
        if (socket[ARMED] !== true) return;
        // Part of a request came (a request line, some headers): answered 408 as Node answers a
        // later request's headers timeout (the server's clientError handler, coded), not dropped
        // without a word. A connection that sent nothing is closed silently, and so is one past
        // the second's deadlineAnswersPerSecond (each answer is a write the client is woken for:
        // 4,000 slowloris sockets answered in their deadlines' second moved order p99 by ~2 ms).
        if (socket.bytesRead > 0 && server.listenerCount('clientError') > 0 && mayAnswer()) {
          const err = Object.assign(new Error('the request headers were not received in time'), {
            code: 'ERR_HTTP_REQUEST_TIMEOUT',
          });
          server.emit('clientError', err, socket);
          // A slowloris client never ends its side: its slot is not held the whole lingering close.
          setTimeout(() => socket.destroy(), Math.min(HEADERS_DEADLINE_LINGER_MS, limits.lingerMs)).unref();
        } else socket.destroy();
      });
    },
  );
  server.on('request', (req: IncomingMessage) => {
    const socket = req.socket as Socket & { [ARMED]?: boolean; [NODE_ON_TIMEOUT]?: (() => void)[] };
    if (socket[ARMED] === true) {
      socket[ARMED] = false;
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      for (const l of socket[NODE_ON_TIMEOUT] ?? []) socket.on('timeout', l);
      socket[NODE_ON_TIMEOUT] = undefined;
    }
  });
}

const ARMED = Symbol('tickstorm.headers-deadline');
const NODE_ON_TIMEOUT = Symbol('tickstorm.node-on-timeout');

/**
 * Takes the first-request headers deadline off a socket whose request was an upgrade (Node
 * emits no 'request' for it): a timeout set on the upgraded socket later (the ingest's idle
 * timeout) must not also run the deadline's destroy.
 */
export function disarmHeadersDeadline(socket: unknown): void {
  const s = socket as { [ARMED]?: boolean } | null;
  if (s?.[ARMED] === true) s[ARMED] = false;
}
const OVERFLOW = Symbol('tickstorm.overflow-connection');

/**
 * For a connection accepted past the cap (its request or upgrade is to be answered 503
 * TRD_ERR_TOO_MANY_CONNECTIONS): the refusal's message; otherwise undefined.
 */
export function overflowRefusal(socket: unknown): string | undefined {
  const cap = (socket as { [OVERFLOW]?: number } | null)?.[OVERFLOW];
  return cap === undefined ? undefined : `this service serves at most ${cap} connections; retry later`;
}
/** How long a connection answered 408 at the first request's headers deadline is kept (ms). */
const HEADERS_DEADLINE_LINGER_MS = 1_000;
/** Fraction of headersTimeoutMs over which the first-request deadlines are spread (earlier, never later). */
export const HEADERS_DEADLINE_SPREAD = 0.1;

const LINGERING = Symbol('tickstorm.lingering');

const CLOSING = Symbol('tickstorm.closing-after-answer');

/** Whether an early answer on `socket` closes it: requests pipelined behind it are not run. */
export function isClosingAfterAnswer(socket: unknown): boolean {
  return (socket as { [CLOSING]?: boolean } | null)?.[CLOSING] === true;
}

/**
 * Call before sending an early answer to `req` that closes the connection: requests pipelined
 * behind it are not run (./http-app.ts), and the rest of an unread body is drained first,
 * within the limits.
 */
export function lingerAfterAnswer(req: IncomingMessage, limits: HttpLimits): void {
  (req.socket as Socket & { [CLOSING]?: boolean })[CLOSING] = true;
  if (req.complete) return;
  const socket = req.socket as Socket & { [LINGERING]?: boolean; destroySoon?: () => void };
  if (socket[LINGERING] === true) return;
  socket[LINGERING] = true;
  let drained = 0;
  const kill = () => socket.destroy();
  const timer = setTimeout(kill, limits.lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // Node ends and destroys the socket once a `Connection: close` answer is written: end it
  // (FIN: the answer is complete), but keep reading until the client stops sending.
  socket.destroySoon = () => {
    socket.end();
    req.on('data', (c: Buffer) => {
      drained += c.length;
      if (drained > limits.lingerBytes) kill();
    });
    req.once('end', () => setImmediate(kill));
    req.once('error', kill);
    socket.once('end', () => setImmediate(kill));
    req.resume();
  };
}

/**
 * Sends `answer` on a socket whose request Node gave up on (a request timeout, headers too
 * large, bytes that are not HTTP) and closes it as `lingerAfterAnswer` does: FIN after the
 * answer, then what the client still sends is read and dropped (up to `lingerBytes` or
 * `lingerMs`) before the socket is destroyed. Destroying it at once made a client still
 * writing its body (a slow upload past the request timeout) get a reset (EPIPE, ECONNRESET:
 * httpx's WriteError) instead of the 408. The HTTP parser is detached first, so the rest of
 * the body never completes the request it belonged to: that request is never run.
 */
export function lingerAfterClientError(socket: Socket, answer: string, limits: HttpLimits): void {
  let drained = 0;
  const drop = (c: Buffer) => {
    drained += c.length;
    if (drained > limits.lingerBytes) socket.destroy();
  };
  // Adding a 'data' listener makes Node hand the socket's bytes to JavaScript (it unconsumes
  // the parser); the parser's own listener is then removed.
  socket.on('data', drop);
  for (const l of socket.listeners('data')) {
    if (l !== drop) socket.removeListener('data', l as (c: Buffer) => void);
  }
  const timer = setTimeout(() => socket.destroy(), limits.lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => setImmediate(() => socket.destroy()));
  socket.end(answer);
  socket.resume();
}
