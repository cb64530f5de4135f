/**
 * What every HTTP service shares: a fastify instance whose errors all leave as
 * `{"error":{"code","message","field"?}}` with the status of errors.ts (the one mapping),
 * a coded 404 (405 with `Allow` for a method the path does not take), keep-alive, and a handle to listen and close it gracefully.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import { allowedMethods } from './allowed-methods.ts';
import { wrapFirstRequestListener } from './first-request-listener.ts';
import { type Drain, installDrain } from './graceful-drain.ts';
import {
  applyServerLimits,
  HTTP_LIMIT_DEFAULTS,
  type HttpLimits,
  isClosingAfterAnswer,
  lingerAfterAnswer,
  lingerAfterClientError,
  overflowRefusal,
} from './http-limits.ts';
import { installJsonBody, notJsonBody } from './json-body.ts';
import { runPipelinedInOrder } from './pipeline-order.ts';
import { checkRouteInputsOnEveryRoute } from './route-query.ts';
import { isWebSocketPath } from './websocket-paths.ts';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export function errorBody(code: ErrorCode | string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  message: string,
  field?: string,
): FastifyReply {
  return reply.code(httpStatusOf(code)).send(errorBody(code, message, field));
}

/** The coded form of anything a handler or fastify itself may throw. */
export function toCodedError(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof ProtocolError || err instanceof TradingError) {
    return { status: httpStatusOf(err.code), body: errorBody(err.code, err.message, err.field) };
  }
  const e = err as { code?: string; statusCode?: number; message?: string };
  let code: ErrorCode = TradingErrorCode.INTERNAL;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') code = TradingErrorCode.PAYLOAD_TOO_LARGE;
  else if (e.code === 'FST_ERR_BAD_URL') code = TradingErrorCode.BAD_REQUEST;
  else if (e.code === 'FST_ERR_MAX_PARAM_LENGTH') code = TradingErrorCode.URI_TOO_LONG;
  else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') code = TradingErrorCode.UNSUPPORTED_MEDIA_TYPE;
  else if (
    e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
    e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
    err instanceof SyntaxError
  ) {
    code = ProtocolErrorCode.MALFORMED_JSON;
  } else if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    code = ProtocolErrorCode.INVALID_FIELD;
  }
  const message =
    code === TradingErrorCode.INTERNAL
      ? 'internal error'
      : code === TradingErrorCode.UNSUPPORTED_MEDIA_TYPE
        ? // curl -d sends application/x-www-form-urlencoded; fastify's own text names nothing
          'a request body must be JSON sent with Content-Type: application/json'
        : (e.message ?? String(err));
  return { status: httpStatusOf(code), body: errorBody(code, message) };
}

export interface HttpAppOptions {
  /** Largest accepted request body in bytes (413 beyond). */
  bodyLimit?: number;
  keepAliveTimeoutMs?: number;
  /** Timeouts, connection cap, lingering close (./http-limits.ts). */
  limits?: Partial<HttpLimits>;
}

/** Each app's graceful stop (./graceful-drain.ts), begun by its handle's close(). */
const drains = new WeakMap<FastifyInstance, Drain>();

export function createHttpApp(opts: HttpAppOptions = {}): FastifyInstance {
  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...opts.limits };
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestTimeout: opts.limits?.requestTimeoutMs ?? HTTP_LIMIT_DEFAULTS.requestTimeoutMs,
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) =>
      answerClientError(err, socket, limits),
    // A path that does not decode, a parameter past the router's length: coded too.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toCodedError(err);
      (reply as FastifyReply).code(status).send(body);
    },
  });
  applyServerLimits(app.server, limits);
  // JSON only: a body sent as text/plain gets 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body is no body (./json-body.ts).
  installJsonBody(app);
  // An empty path parameter (`GET /orders/`, ./route-params.ts) and a query parameter a route
  // does not take (./route-query.ts) are refused on every route, in one wrapper per handler.
  checkRouteInputsOnEveryRoute(app);
  app.setErrorHandler((err, req, reply) => {
    // No route here: a 400 about the request's body or content type (a QUERY without one) is
    // beside the point; the answer is the 404 or 405 (with keys, after the key and its right).
    if (req.is404 && toCodedError(err).status === 400) return notFound(req, reply);
    const { status, body } = toCodedError(err);
    if ((err as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      body.error.message = notJsonBody(req.headers['content-type']).message;
    }
    if (status === 413) {
      // Fastify's text ("Request body is too large") names no figure: say the limit, so a client
      // knows how far to cut its body.
      const limit = req.routeOptions.bodyLimit ?? opts.bodyLimit ?? 1_048_576;
      body.error.message = `the request body is over ${limit} bytes, the limit of ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    }
    // Fastify closes the connection after any body-parser error (more of the body may follow);
    // a body received whole (malformed JSON, a bad signature) leaves the connection clean, and
    // closing it would drop the answers of requests pipelined behind this one, already run.
    if (status !== 413 && req.raw.complete && reply.getHeader('connection') === 'close') {
      reply.removeHeader('connection');
    }
    // A body refused before its end (over the route's limit, or past the bound on bodies waiting
    // for their signature: auth/unverified-bodies.ts): the rest is drained, not held, so the
    // client, still sending, reads the answer.
    if (status === 413 || (status === 503 && !req.raw.complete)) {
      reply.header('connection', 'close');
      lingerAfterAnswer(req.raw, limits);
    }
    if (status === 503 || status === 429) {
      if (!reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    } else if (status >= 500 && status !== 504) {
      process.emitWarning(`unhandled error: ${(err as Error).stack ?? String(err)}`);
    }
    reply.code(status).send(body);
  });
  app.setNotFoundHandler(notFound);
  // A graceful stop (./graceful-drain.ts): a request that still arrives on an open keep-alive
  // connection gets a coded 503 (not fastify's uncoded closing answer), every answer of the
  // drain says Connection: close, idle connections are closed. Begun by the handle's close()
  // (listen, below) before anything else, or by fastify's preClose hook for an app closed
  // directly (set in the same turn as fastify's own closing flag, so no request falls between).
  const drain = installDrain(app);
  drains.set(app, drain);
  app.addHook('preClose', async () => {
    drain.begin();
  });
  // An HTTP/1.1 request without Host (RFC 9112: 400), answered coded rather than by Node's empty 400.
  (app.server as typeof app.server & { requireHostHeader: boolean }).requireHostHeader = false;
  // An Expect other than 100-continue, and CONNECT (no proxy here): coded, not Node's bare answers.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    lingerAfterAnswer(req, limits);
    const expect = String(req.headers.expect).slice(0, 80);
    writeCoded(
      res,
      TradingErrorCode.EXPECTATION_FAILED,
      `Expect: ${expect} is not supported (only 100-continue)`,
    );
  });
  app.server.on('connect', (req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => {});
    socket.end(rawAnswer(TradingErrorCode.NOT_FOUND, `no route CONNECT ${req.url?.slice(0, 100)}`));
  });
  // A request that changes state runs after the requests pipelined before it (./pipeline-order.ts).
  runPipelinedInOrder(app.server);
  answerFirst(app, (req, res) => {
    // Pipelined behind an early answer that closes the connection (a 413, a 503 past the cap, no
    // Host, an unknown Expect: lingerAfterAnswer): never run, as its answer could not be sent.
    if (isClosingAfterAnswer(req.socket)) return true;
    // A connection accepted past the cap, or a request during a graceful stop: answered 503
    // before any routing.
    const closing = drain.closing;
    const message = closing ? 'the service is stopping; retry later' : overflowRefusal(req.socket);
    if (message === undefined) {
      if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return false;
      lingerAfterAnswer(req, limits);
      writeCoded(res, TradingErrorCode.BAD_REQUEST, 'an HTTP/1.1 request needs a Host header');
      return true;
    }
    const code = closing ? TradingErrorCode.SHUTTING_DOWN : TradingErrorCode.TOO_MANY_CONNECTIONS;
    const body = JSON.stringify(errorBody(code, message));
    lingerAfterAnswer(req, limits);
    res.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'retry-after': '1',
      connection: 'close',
    });
    res.end(body);
    return true;
  });
  return app;
}

function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?')[0]!;
  if ((req.method === 'GET' || req.method === 'HEAD') && isWebSocketPath(req.server.server, path)) {
    reply.header('upgrade', 'websocket');
    return sendError(
      reply,
      TradingErrorCode.UPGRADE_REQUIRED,
      `${path.slice(0, 100)} is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)`,
    );
  }
  // The path is served, under other methods: 405 with the methods it takes (RFC 9110 §15.5.6).
  const allow = allowedMethods(req.server, path);
  if (allow.length > 0) {
    reply.header('allow', allow.join(', '));
    return sendError(
      reply,
      TradingErrorCode.METHOD_NOT_ALLOWED,
      `${req.method} is not allowed on ${path.slice(0, 100)}: it takes ${allow.join(', ')}`,
    );
  }
  return sendError(reply, TradingErrorCode.NOT_FOUND, `no route ${req.method} ${path}`);
}

/** A coded answer written on `res` that closes the connection. */
function writeCoded(res: ServerResponse, code: ErrorCode, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  res.writeHead(httpStatusOf(code), {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  });
  res.end(body);
}

/** A whole coded HTTP answer as raw bytes, for a socket no ServerResponse owns. */
function rawAnswer(code: ErrorCode, message: string): string {
  const status = httpStatusOf(code);
  const body = JSON.stringify(errorBody(code, message));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

const CLIENT_ERROR_ANSWERED = Symbol('tickstorm.client-error-answered');
/** Longest wait for the answers in flight before a client error's own answer (ms). */
const CLIENT_ERROR_WAIT_MS = 10_000;

/**
 * Node's `clientError` (a request timeout, headers too large, bytes that are not HTTP, data after
 * a `Connection: close` request), answered with a coded body like every other error, then the
 * socket is closed after a lingering close (./http-limits.ts `lingerAfterClientError`: a client
 * still sending its body, as one whose request timed out is, reads the answer rather than a
 * reset). Requests pipelined before the bad bytes, whole and being answered, are answered
 * first: their answers are never cut off (an order accepted with its 201 lost).
 */
function answerClientError(err: Error & { code?: string }, socket: Socket, limits: HttpLimits): void {
  const s = socket as Socket & { [CLIENT_ERROR_ANSWERED]?: true };
  // The parser reports its error again for every later chunk: answer once.
  if (err.code === 'ECONNRESET' || socket.destroyed || s[CLIENT_ERROR_ANSWERED] === true) return;
  s[CLIENT_ERROR_ANSWERED] = true;
  let code: ErrorCode = TradingErrorCode.BAD_REQUEST;
  let message = 'malformed HTTP request';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    code = TradingErrorCode.REQUEST_TIMEOUT;
    message = 'the request was not received within the request timeout';
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    code = TradingErrorCode.HEADERS_TOO_LARGE;
    message = 'the request line and headers are too large (16 KiB at most)';
  }
  const answer = () => {
    if (socket.writable) lingerAfterClientError(socket, rawAnswer(code, message), limits);
    else socket.destroy();
  };
  const timer = setTimeout(answer, CLIENT_ERROR_WAIT_MS);
  timer.unref();
  afterAnswersInFlight(socket, () => {
    clearTimeout(timer);
    answer();
  });
}

/**
 * Calls `then` once no whole request of `socket` waits for its answer: Node attaches the answers
 * of pipelined requests to the socket one after the other. An answer whose request is itself
 * incomplete (the bad bytes are in its body) is not waited for.
 */
function afterAnswersInFlight(socket: Socket, then: () => void): void {
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (res == null || res.writableFinished || res.req?.complete !== true || socket.destroyed) {
    then();
    return;
  }
  let done = false;
  const next = () => {
    if (done) return;
    done = true;
    afterAnswersInFlight(socket, then);
  };
  res.once('finish', next);
  res.once('close', next);
}

/**
 * Lets `answer` take each request before fastify does (true: answered, fastify never sees
 * it): a refusal cheaper than routing, hooks and body parsing (overload shedding). Fastify's
 * request listener (the server's first, attached when the app was created) runs for the
 * others; the server's other request listeners (./http-limits.ts) run for every request.
 */
export function answerFirst(
  app: FastifyInstance,
  answer: (req: IncomingMessage, res: ServerResponse) => boolean,
): void {
  wrapFirstRequestListener(app.server, (next) => (req, res) => {
    // During a graceful stop an early answer (a shed 503) closes its connection too.
    const closing = drains.get(app)?.closing === true;
    if (closing) res.setHeader('connection', 'close');
    if (answer(req, res)) return;
    if (closing && !res.headersSent) res.removeHeader('connection'); // fastify's answer decides
    next(req, res);
  });
}

export interface ServiceHandle {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/** Called with every service's app just before it listens (e.g. to mount the process's /metrics). */
export const beforeListenHooks: ((name: string, app: FastifyInstance) => void)[] = [];

export async function listen(
  name: string,
  app: FastifyInstance,
  host: string,
  port: number,
  beforeClose?: () => Promise<void>,
): Promise<ServiceHandle> {
  for (const hook of beforeListenHooks) hook(name, app);
  await app.listen({ host, port });
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr !== null ? addr.port : port;
  let closing: Promise<void> | undefined;
  return {
    name,
    host,
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close() {
      closing ??= (async () => {
        // The drain first: no new connection from here on (in a backlog, refused), every
        // answer closes its connection, the idle ones are closed (./graceful-drain.ts).
        drains.get(app)?.begin();
        if (app.server.listening) app.server.close();
        if (beforeClose !== undefined) await beforeClose();
        await app.close();
      })();
      return closing;
    },
  };
}
