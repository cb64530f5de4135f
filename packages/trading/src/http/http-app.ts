/**
 * What every HTTP service shares: a fastify instance whose errors all leave as
 * `{"error":{"code","message","field"?}}` with the status of errors.ts (the one mapping),
 * a coded 404, keep-alive, and a handle to listen and close it gracefully.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import {
  applyServerLimits,
  HTTP_LIMIT_DEFAULTS,
  type HttpLimits,
  lingerAfterAnswer,
  overflowRefusal,
} from './http-limits.ts';
import { installJsonBody } from './json-body.ts';

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

export function createHttpApp(opts: HttpAppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 72_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestTimeout: opts.limits?.requestTimeoutMs ?? HTTP_LIMIT_DEFAULTS.requestTimeoutMs,
    clientErrorHandler: answerClientError,
    // A path that does not decode, a parameter past the router's length: coded too.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toCodedError(err);
      (reply as FastifyReply).code(status).send(body);
    },
  });
  const limits: HttpLimits = { ...HTTP_LIMIT_DEFAULTS, ...opts.limits };
  applyServerLimits(app.server, limits);
  // JSON only: a body sent as text/plain gets 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body is no body (./json-body.ts).
  installJsonBody(app);
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toCodedError(err);
    if (status === 413) {
      reply.header('connection', 'close');
      lingerAfterAnswer(req.raw, limits);
    } else if (status === 503 || status === 429) {
      if (!reply.hasHeader('retry-after')) reply.header('retry-after', '1');
    } else if (status >= 500 && status !== 504) {
      process.emitWarning(`unhandled error: ${(err as Error).stack ?? String(err)}`);
    }
    reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    sendError(reply, TradingErrorCode.NOT_FOUND, `no route ${req.method} ${req.url.split('?')[0]}`);
  });
  // A connection accepted past the cap: its request is answered 503 before any routing.
  answerFirst(app, (req, res) => {
    const message = overflowRefusal(req.socket);
    if (message === undefined) return false;
    const body = JSON.stringify(errorBody(TradingErrorCode.TOO_MANY_CONNECTIONS, message));
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

/**
 * Node's `clientError` (a request timeout, headers too large, bytes that are not HTTP), answered
 * with a coded body like every other error, then the socket is closed (as fastify's default does).
 */
function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let code: ErrorCode = TradingErrorCode.BAD_REQUEST;
  let message = 'malformed HTTP request';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    code = TradingErrorCode.REQUEST_TIMEOUT;
    message = 'the request was not received within the request timeout';
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    code = TradingErrorCode.HEADERS_TOO_LARGE;
    message = 'the request line and headers are too large (16 KiB at most)';
  }
  const status = httpStatusOf(code);
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
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
  const server = app.server;
  const fastifyHandler = server.listeners('request')[0] as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => void;
  server.removeListener('request', fastifyHandler);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!answer(req, res)) fastifyHandler.call(server, req, res);
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
        if (beforeClose !== undefined) await beforeClose();
        await app.close();
      })();
      return closing;
    },
  };
}
