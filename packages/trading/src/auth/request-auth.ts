/**
 * The HTTP side of keys and protected mode, installed on every service by `installAuth`:
 *
 * - no keys, not --insecure-no-auth (protected mode): non-loopback peers get 403
 *   TRD_ERR_LOOPBACK_ONLY; loopback clients need no headers;
 * - keys: onRequest checks X-TS-Key (401 TRD_ERR_UNAUTHENTICATED / TRD_ERR_UNKNOWN_KEY) and
 *   X-TS-Timestamp (401 TRD_ERR_STALE_TIMESTAMP); a request without a body is verified there;
 *   a JSON body is verified by the content parser over its raw bytes before it is parsed
 *   (401 TRD_ERR_BAD_SIGNATURE) and its key's right checked (403 TRD_ERR_FORBIDDEN), all
 *   before it is parsed; preHandler checks the right of the others;
 *   `GET /metrics` also takes Basic key id:secret, for Prometheus (./scrape-auth.ts).
 *
 * Handlers read the caller with `principalOf(req)`: the key, or undefined (no keys: unrestricted).
 */

import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import { Transform } from 'node:stream';
import {
  KEY_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_MS,
  signRequest,
  TIMESTAMP_HEADER,
} from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import { installJsonBody, mediaTypeOf, notJsonBody } from '../http/json-body.ts';
import { ApiKey, type KeyStore } from './keys.ts';
import { isLoopback, isLoopbackHostHeader, isLoopbackOrigin } from './protected-mode.ts';
import { mayMake, rightOf } from './route-rights.ts';
import { isScrapeRoute, SCRAPE_CHALLENGE, scrapeKey } from './scrape-auth.ts';
import {
  DEFAULT_MAX_UNVERIFIED_BODY_BYTES,
  declaredBodyBytes,
  UnverifiedBodies,
} from './unverified-bodies.ts';

export interface SecurityOptions {
  /** Loaded keys: every request must be signed. Absent: protected mode (loopback peers only). */
  keys?: KeyStore;
  /** No keys and every peer served (`--insecure-no-auth`). */
  insecureNoAuth?: boolean;
  /** Clock (tests). */
  now?: () => number;
  /** Bytes of request bodies held before their signature is checked, per service (./unverified-bodies.ts). */
  maxUnverifiedBodyBytes?: number;
}

const PRINCIPAL = Symbol('tickstorm.principal');
const PENDING = Symbol('tickstorm.pending-signature');
const RESERVED = Symbol('tickstorm.unverified-body-bytes');
const SENT_TYPE = Symbol('tickstorm.sent-content-type');

interface AuthState {
  [PRINCIPAL]?: ApiKey;
  [PENDING]?: { key: ApiKey; ts: string; sig: string };
  /** Bytes of this request's body received and held (the service's unverified-body bound). */
  [RESERVED]?: number;
  /** A body's Content-Type when it is not JSON (null: none was sent), taken off its headers. */
  [SENT_TYPE]?: string | null;
}

/** The request's key (keys on), or undefined (keys off: the caller is unrestricted). */
export function principalOf(req: FastifyRequest): ApiKey | undefined {
  return (req as unknown as AuthState)[PRINCIPAL];
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
  /** The field or query parameter named (an upgrade's unknown query parameter). */
  field?: string;
}

function refusal(code: ErrorCode, message: string, field?: string): Refusal {
  const r: Refusal = { status: httpStatusOf(code), code, message };
  if (field !== undefined) r.field = field;
  return r;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Constant-time comparison of a presented signature with the expected hex. */
export function signatureMatches(expected: string, presented: string): boolean {
  if (presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(presented, 'latin1'));
}

const TS = /^\d{1,16}$/;

/** A value for the message: quoted, at most `max` characters. */
function quoted(v: string, max = 64): string {
  return JSON.stringify(v.length > max ? `${v.slice(0, max)}...` : v);
}

/**
 * An auth header sent twice: Node joins repeated `X-TS-*` headers with ", ", and no key id,
 * timestamp or signature holds a comma. Named, rather than answered as an unknown key, a stale
 * timestamp or a bad signature.
 */
function repeatedHeader(id: string, ts: string, sig: string): Refusal | undefined {
  const twice = [
    ['X-TS-Key', id],
    ['X-TS-Timestamp', ts],
    ['X-TS-Signature', sig],
  ].find(([, v]) => v!.includes(','));
  if (twice === undefined) return undefined;
  return refusal(
    TradingErrorCode.UNAUTHENTICATED,
    `${twice[0]} must be sent once (got ${quoted(twice[1]!, 150)}: the header is repeated)`,
  );
}

/** Key and timestamp checks (no signature yet). */
function identify(
  keys: KeyStore,
  id: string | undefined,
  ts: string | undefined,
  sig: string | undefined,
  now: number,
  /** The timestamp's carrier, for the messages: the header, or an upgrade's `ts` parameter. */
  tsName = 'X-TS-Timestamp',
): Refusal | ApiKey {
  if (id === undefined || ts === undefined || sig === undefined) {
    return refusal(
      TradingErrorCode.UNAUTHENTICATED,
      'signed requests required: X-TS-Key, X-TS-Timestamp and X-TS-Signature (docs/security.md)',
    );
  }
  const repeated = repeatedHeader(id, ts, sig);
  if (repeated !== undefined) return repeated;
  const key = keys.get(id);
  if (key === undefined) return refusal(TradingErrorCode.UNKNOWN_KEY, `unknown key ${quoted(id)}`);
  if (!TS.test(ts)) {
    return refusal(
      TradingErrorCode.STALE_TIMESTAMP,
      `${tsName} ${quoted(ts, 40)} is not whole milliseconds since the epoch (digits only, e.g. ${now})`,
    );
  }
  const skew = Number(ts) - now;
  const unit = otherUnit(Number(ts), now);
  if (unit !== undefined) {
    return refusal(
      TradingErrorCode.STALE_TIMESTAMP,
      `${tsName} ${ts} is ${unit} since the epoch, not milliseconds (now ${now})`,
    );
  }
  if (Math.abs(skew) > SIGNATURE_WINDOW_MS) {
    return refusal(
      TradingErrorCode.STALE_TIMESTAMP,
      `${tsName} ${ts} is ${Math.abs(skew)} ms ${skew < 0 ? 'behind' : 'ahead of'} the server's clock (now ${now}); at most ${SIGNATURE_WINDOW_MS} ms either way`,
    );
  }
  return key;
}

const DAY_MS = 86_400_000;

/**
 * Seconds (`date +%s`, Python's `int(time.time())`) or microseconds where milliseconds are
 * due: named, rather than answered as a timestamp decades off the clock. Within a day of now.
 */
function otherUnit(ts: number, now: number): string | undefined {
  if (Math.abs(ts * 1000 - now) < DAY_MS) return 'seconds';
  if (Math.abs(ts / 1000 - now) < DAY_MS) return 'microseconds';
  return undefined;
}

/**
 * 401 TRD_ERR_BAD_SIGNATURE naming what the server signed (the secret aside), so a client can
 * see which bytes differ: the timestamp, the method, the path as received (query, percent-encoding
 * and all) and the body's length. `where` names the signature's carrier (header or query parameter).
 */
function badSignature(
  presented: string,
  expected: string,
  ts: string,
  method: string,
  path: string,
  /** The body's length; -1: an upgrade (no body to speak of). */
  bodyBytes: number,
  where = 'X-TS-Signature',
): Refusal {
  if (presented.length === expected.length && signatureMatches(expected, presented.toLowerCase())) {
    return refusal(TradingErrorCode.BAD_SIGNATURE, `${where} must be lowercase hex (it is uppercase)`);
  }
  const body = bodyBytes > 0 ? ` + the body's ${bodyBytes} bytes` : bodyBytes === 0 ? ' (no body)' : '';
  return refusal(
    TradingErrorCode.BAD_SIGNATURE,
    `${where} does not match lowercase hex HMAC-SHA256(secret, ${JSON.stringify(ts)} + ${JSON.stringify(method)} + ${quoted(path, 200)}${body})`,
  );
}

function forbidden(key: ApiKey, right: string): Refusal {
  return refusal(TradingErrorCode.FORBIDDEN, `a ${key.role} key may not do this (needs the ${right} right)`);
}

/**
 * A refusal. A 401 of a scrape of /metrics carries `WWW-Authenticate: Basic ...` (RFC 9110 wants
 * a challenge on every 401): a browser or curl then asks for the key id and secret.
 */
function send(reply: FastifyReply, r: Refusal): FastifyReply {
  const req = reply.request;
  if (r.status === 401 && isScrapeRoute(req.method, req.routeOptions.url)) {
    reply.header('www-authenticate', SCRAPE_CHALLENGE);
  }
  return reply.code(r.status).send({ error: { code: r.code, message: r.message } });
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

export function installAuth(app: FastifyInstance, security: SecurityOptions = {}): void {
  const keys = security.keys;
  if (keys === undefined) {
    if (security.insecureNoAuth === true) return;
    app.addHook('onRequest', (req, reply, done) => {
      const r = protectedRefusal(req.raw);
      if (r === undefined) return done();
      send(reply, r);
    });
    return;
  }
  const now = security.now ?? Date.now;
  const bodies = new UnverifiedBodies(security.maxUnverifiedBodyBytes ?? DEFAULT_MAX_UNVERIFIED_BODY_BYTES);
  const overloaded = () =>
    `request bodies waiting for their signature check already hold ${Math.round(bodies.maxBytes / 1048576)} MiB; retry later`;
  const release = (state: AuthState): void => {
    const n = state[RESERVED];
    if (n === undefined) return;
    state[RESERVED] = undefined;
    bodies.release(n);
  };
  app.addHook('onRequest', (req, reply, done) => {
    const right = rightOf(req.method, req.routeOptions.url);
    if (right === null) return done();
    const raw = req.raw;
    const sig = header(raw, SIGNATURE_HEADER);
    const ts = header(raw, TIMESTAMP_HEADER);
    const id = header(raw, KEY_HEADER);
    if (isScrapeRoute(req.method, req.routeOptions.url) && id === undefined) {
      // a Prometheus scrape: Basic key id:secret (auth/scrape-auth.ts)
      const authorization = header(raw, 'authorization');
      if (authorization === undefined) {
        return void send(
          reply,
          refusal(
            TradingErrorCode.UNAUTHENTICATED,
            'signed requests required (X-TS-Key, X-TS-Timestamp, X-TS-Signature), or on /metrics Basic credentials: a key id and its secret (Prometheus basic_auth; docs/security.md)',
          ),
        );
      }
      const v = scrapeKey(keys, authorization);
      if (!(v instanceof ApiKey)) return void send(reply, refusal(v.code, v.message));
      if (!mayMake(v, right)) return void send(reply, forbidden(v, right));
      (req as unknown as AuthState)[PRINCIPAL] = v;
      return done();
    }
    const who = identify(keys, id, ts, sig, now());
    if (!(who instanceof ApiKey)) {
      const r = who as Refusal;
      // Signed like a WebSocket URL (?key=&ts=&sig=): say where those belong.
      if (id === undefined && sig === undefined && /[?&]sig=/.test(req.url)) {
        r.message += '; the key, ts and sig query parameters are taken on WebSocket upgrades only';
      }
      return void send(reply, r);
    }
    const key = who as ApiKey;
    const state = req as unknown as AuthState;
    if (hasBody(raw)) {
      // Refused unread when the length its headers announce does not fit beside the bytes held.
      // Its own bytes are counted as they arrive (preParsing), not from its headers: a
      // connection that announces 16 MiB and sends nothing must not hold the others off.
      if (!bodies.fits(declaredBodyBytes(raw, req.routeOptions.bodyLimit))) {
        reply.header('retry-after', '1').header('connection', 'close');
        return void send(reply, refusal(TradingErrorCode.OVERLOADED, overloaded()));
      }
      state[PENDING] = { key, ts: ts!, sig: sig! };
      state[RESERVED] = 0;
      // A body that is not JSON (text/plain, a form, no Content-Type, a malformed one) goes to
      // the catch-all parser below, which checks its signature and the key's right before it
      // answers 415: fastify refuses a content type it has no parser for (or cannot parse)
      // before any parser runs, and a viewer or a forger was told about its content type.
      const type = header(raw, 'content-type');
      if (mediaTypeOf(type) !== 'application/json') {
        state[SENT_TYPE] = type ?? null;
        delete raw.headers['content-type'];
      }
      reply.raw.once('close', () => release(state));
      return done();
    }
    const expected = signRequest(key.secret, ts!, req.method, req.url);
    if (!signatureMatches(expected, sig!)) {
      return void send(reply, badSignature(sig!, expected, ts!, req.method, req.url, 0));
    }
    if (!mayMake(key, right)) return void send(reply, forbidden(key, right));
    state[PRINCIPAL] = key;
    done();
  });
  // A body waiting for its check holds the bytes received so far; one that stops fitting beside
  // the others' is answered 503 (the rest of it is drained, not held: http-app.ts).
  app.addHook('preParsing', (req, reply, payload, done) => {
    const state = req as unknown as AuthState;
    if (state[PENDING] === undefined || state[RESERVED] === undefined) return done(null, payload);
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        const own = state[RESERVED];
        if (own === undefined) return next(null, chunk);
        if (!bodies.reserve(chunk.length, own)) {
          release(state);
          reply.header('retry-after', '1');
          return next(new TradingError(TradingErrorCode.OVERLOADED, overloaded()));
        }
        state[RESERVED] = own + chunk.length;
        next(null, chunk);
      },
    });
    payload.pipe(counted);
    // Answered before its body was read whole (413 over the route's limit, a refusal): the rest
    // is not for the parser; the lingering close drains it (http-limits.ts), unpiped from here.
    reply.raw.once('finish', () => {
      if (req.raw.complete) return;
      payload.unpipe(counted);
      counted.destroy();
      payload.resume();
    });
    done(null, counted);
  });
  // JSON bodies: verified over their raw bytes before they are parsed.
  const verifyBody = (req: FastifyRequest, buf: Buffer): Error | undefined => {
    const state = req as unknown as AuthState;
    const p = state[PENDING];
    if (p === undefined) return undefined;
    release(state);
    const expected = signRequest(p.key.secret, p.ts, req.method, req.url, buf);
    if (!signatureMatches(expected, p.sig)) {
      const r = badSignature(p.sig, expected, p.ts, req.method, req.url, buf.length);
      return new TradingError(r.code as TradingErrorCode, r.message);
    }
    state[PRINCIPAL] = p.key;
    state[PENDING] = undefined;
    // The role is checked once the signature is, before the body is parsed: a key without the
    // right gets its 403 whatever the body holds (not a 400 about JSON it was never allowed to send).
    const right = rightOf(req.method, req.routeOptions.url);
    if (right !== null && !mayMake(p.key, right)) {
      const r = forbidden(p.key, right);
      return new TradingError(r.code as TradingErrorCode, r.message);
    }
    return undefined;
  };
  installJsonBody(app, verifyBody);
  // Any other body: its bytes are read (within the route's limit) and verified as a JSON body's
  // are, then refused 415; an empty one is no body, and an unknown path's answer stays its 404.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    const refused = verifyBody(req, buf);
    if (refused !== undefined) return done(refused, undefined);
    if (buf.length === 0 || req.is404) return done(null, undefined);
    const sent = (req as unknown as AuthState)[SENT_TYPE];
    done(notJsonBody(sent ?? undefined), undefined);
  });
  app.addHook('preHandler', (req, reply, done) => {
    const state = req as unknown as AuthState;
    const p = state[PENDING];
    if (p !== undefined) {
      // A body no JSON parser read (e.g. Content-Length with no content type): signed as sent? We
      // cannot see its bytes here, so only an empty body verifies.
      state[PENDING] = undefined;
      release(state);
      const expected = signRequest(p.key.secret, p.ts, req.method, req.url);
      if (!signatureMatches(expected, p.sig)) {
        return void send(reply, badSignature(p.sig, expected, p.ts, req.method, req.url, 0));
      }
      state[PRINCIPAL] = p.key;
    }
    const key = state[PRINCIPAL];
    if (key === undefined) return done();
    const right = rightOf(req.method, req.routeOptions.url);
    if (right !== null && !mayMake(key, right)) return void send(reply, forbidden(key, right));
    done();
  });
}

/**
 * Protected mode: a non-loopback peer, a browser page of a non-loopback origin, or a `Host` that
 * is not a loopback name (a DNS-rebinding page); else undefined.
 */
function protectedRefusal(req: IncomingMessage): Refusal | undefined {
  if (!isLoopback(req.socket.remoteAddress)) return loopbackOnly();
  const host = header(req, 'host');
  if (!isLoopbackHostHeader(host)) {
    return refusal(
      TradingErrorCode.CROSS_ORIGIN,
      `protected mode: Host ${JSON.stringify(host).slice(0, 100)} is a domain name (a web page of another site pointing its name at this machine?); use localhost or 127.0.0.1, or start with --keys`,
    );
  }
  const origin = header(req, 'origin');
  if (isLoopbackOrigin(origin)) return undefined;
  return refusal(
    TradingErrorCode.CROSS_ORIGIN,
    `protected mode: requests from a web page of another origin (${JSON.stringify(origin).slice(0, 100)}) are refused; serve the page from localhost or start with --keys`,
  );
}

function loopbackOnly(): Refusal {
  return refusal(
    TradingErrorCode.LOOPBACK_ONLY,
    'protected mode: this service was started without --keys and serves loopback clients only',
  );
}

/**
 * A WebSocket upgrade's refusal, or its key (keys on) / undefined (keys off): the three values
 * as headers or as query parameters key/ts/sig (signature over ts + "GET" + path without them).
 */
export function authorizeUpgrade(
  security: SecurityOptions | undefined,
  req: IncomingMessage,
  route: string,
): Refusal | ApiKey | undefined {
  const s = security ?? {};
  if (s.keys === undefined) return s.insecureNoAuth === true ? undefined : protectedRefusal(req);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let id = header(req, KEY_HEADER);
  let ts = header(req, TIMESTAMP_HEADER);
  let sig = header(req, SIGNATURE_HEADER);
  let path = url;
  let where = 'X-TS-Signature';
  let tsName = 'X-TS-Timestamp';
  if (q >= 0 && (id === undefined || sig === undefined)) {
    if (sig === undefined) where = 'the sig parameter';
    if (ts === undefined) tsName = 'the ts parameter';
    const signing = splitSigningParams(url.slice(q + 1));
    if (signing.repeated !== undefined) {
      return refusal(
        TradingErrorCode.UNAUTHENTICATED,
        `the ${signing.repeated} parameter must be given once (it is repeated)`,
      );
    }
    id ??= signing.key;
    ts ??= signing.ts;
    sig ??= signing.sig;
    path = signing.rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${signing.rest}`;
  }
  if (id === undefined && ts === undefined && sig === undefined) {
    return refusal(
      TradingErrorCode.UNAUTHENTICATED,
      'signed upgrades required: X-TS-Key, X-TS-Timestamp and X-TS-Signature, or the query parameters key, ts and sig (docs/security.md)',
    );
  }
  const who = identify(s.keys, id, ts, sig, (s.now ?? Date.now)(), tsName);
  if (!(who instanceof ApiKey)) return who as Refusal;
  const key = who as ApiKey;
  const expected = signRequest(key.secret, ts!, 'GET', path);
  if (!signatureMatches(expected, sig!)) return badSignature(sig!, expected, ts!, 'GET', path, -1, where);
  const right = rightOf('WS', route);
  if (right !== null && !mayMake(key, right)) return forbidden(key, right);
  return key;
}

interface SigningParams {
  key?: string;
  ts?: string;
  sig?: string;
  /** The first of key/ts/sig given more than once. */
  repeated?: string;
  rest: string;
}

/**
 * The query's key/ts/sig values, and the rest of the query exactly as sent (the signature
 * covers the client's own bytes: re-encoding the rest would turn `a,b` into `a%2Cb`).
 */
function splitSigningParams(query: string): SigningParams {
  const out: SigningParams = { rest: '' };
  const kept: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name === 'key' || name === 'ts' || name === 'sig') {
      if (out[name] !== undefined) out.repeated ??= name;
      out[name] ??= new URLSearchParams(part).get(name) ?? '';
    } else {
      kept.push(part);
    }
  }
  out.rest = kept.join('&');
  return out;
}

/** Writes a coded refusal on a raw upgrade socket (429/503: with Retry-After) and closes it. */
export function refuseUpgrade(socket: import('node:stream').Duplex, r: Refusal): void {
  const error =
    r.field === undefined
      ? { code: r.code, message: r.message }
      : { code: r.code, message: r.message, field: r.field };
  const body = JSON.stringify({ error });
  const retry = r.status === 429 || r.status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\nContent-Type: application/json\r\n${retry}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * A WebSocket handshake the `ws` library would refuse with a plain-text body (a GET without a
 * valid Sec-WebSocket-Key or Version, another method, another Upgrade): the same status, coded.
 */
export function handshakeRefusal(req: IncomingMessage): Refusal | undefined {
  if (req.method !== 'GET') {
    return refusal(TradingErrorCode.METHOD_NOT_ALLOWED, `a WebSocket upgrade is a GET, not ${req.method}`);
  }
  if (header(req, 'upgrade')?.toLowerCase() !== 'websocket') {
    return refusal(TradingErrorCode.BAD_REQUEST, 'Upgrade must be "websocket"');
  }
  if (!WS_KEY.test(header(req, 'sec-websocket-key') ?? '')) {
    return refusal(TradingErrorCode.BAD_REQUEST, 'missing or invalid Sec-WebSocket-Key header');
  }
  const version = header(req, 'sec-websocket-version');
  if (version !== '13' && version !== '8') {
    return refusal(TradingErrorCode.BAD_REQUEST, 'missing or invalid Sec-WebSocket-Version header (13)');
  }
  return undefined;
}

/**
 * Any other handshake `ws` itself refuses (a malformed Sec-WebSocket-Protocol, ...): the same
 * 400, coded, instead of its plain-text answer (the method was checked by handshakeRefusal).
 */
export function codeHandshakeErrors(wss: import('ws').WebSocketServer): void {
  wss.on('wsClientError', (err: Error, socket: import('node:stream').Duplex) => {
    refuseUpgrade(socket, refusal(TradingErrorCode.BAD_REQUEST, err.message));
  });
}

/** A coded refusal of `code` (its status from errors.ts), for refuseUpgrade. */
export function upgradeRefusal(code: ErrorCode, message: string, field?: string): Refusal {
  return refusal(code, message, field);
}
