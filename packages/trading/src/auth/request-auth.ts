/**
 * The HTTP side of keys and protected mode, installed on every service by `installAuth`:
 *
 * - no keys, not --insecure-no-auth (protected mode): non-loopback peers get 403
 *   TRD_ERR_LOOPBACK_ONLY; loopback clients need no headers;
 * - keys: onRequest checks X-TS-Key (401 TRD_ERR_UNAUTHENTICATED / TRD_ERR_UNKNOWN_KEY) and
 *   X-TS-Timestamp (401 TRD_ERR_STALE_TIMESTAMP); a request without a body is verified there;
 *   a JSON body is verified by the content parser over its raw bytes before it is parsed
 *   (401 TRD_ERR_BAD_SIGNATURE); then preHandler checks the role's right (403 TRD_ERR_FORBIDDEN).
 *
 * Handlers read the caller with `principalOf(req)`: the key, or undefined (no keys: unrestricted).
 */

import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import {
  KEY_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_WINDOW_MS,
  signRequest,
  TIMESTAMP_HEADER,
} from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import { ApiKey, type KeyStore } from './keys.ts';
import { isLoopback, isLoopbackOrigin } from './protected-mode.ts';
import { rightOf } from './route-rights.ts';

export interface SecurityOptions {
  /** Loaded keys: every request must be signed. Absent: protected mode (loopback peers only). */
  keys?: KeyStore;
  /** No keys and every peer served (`--insecure-no-auth`). */
  insecureNoAuth?: boolean;
  /** Clock (tests). */
  now?: () => number;
}

const PRINCIPAL = Symbol('tickstorm.principal');
const PENDING = Symbol('tickstorm.pending-signature');

interface AuthState {
  [PRINCIPAL]?: ApiKey;
  [PENDING]?: { key: ApiKey; ts: string; sig: string };
}

/** The request's key (keys on), or undefined (keys off: the caller is unrestricted). */
export function principalOf(req: FastifyRequest): ApiKey | undefined {
  return (req as unknown as AuthState)[PRINCIPAL];
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

function refusal(code: ErrorCode, message: string): Refusal {
  return { status: httpStatusOf(code), code, message };
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

/** Key and timestamp checks (no signature yet). */
function identify(
  keys: KeyStore,
  id: string | undefined,
  ts: string | undefined,
  sig: string | undefined,
  now: number,
): Refusal | ApiKey {
  if (id === undefined || ts === undefined || sig === undefined) {
    return refusal(
      TradingErrorCode.UNAUTHENTICATED,
      'signed requests required: X-TS-Key, X-TS-Timestamp and X-TS-Signature (docs/security.md)',
    );
  }
  const key = keys.get(id);
  if (key === undefined) return refusal(TradingErrorCode.UNKNOWN_KEY, 'unknown key');
  if (!TS.test(ts) || Math.abs(now - Number(ts)) > SIGNATURE_WINDOW_MS) {
    return refusal(
      TradingErrorCode.STALE_TIMESTAMP,
      `X-TS-Timestamp must be ms since the epoch within ${SIGNATURE_WINDOW_MS / 1000} s of the server's clock (now ${now})`,
    );
  }
  return key;
}

const BAD_SIGNATURE = (): Refusal =>
  refusal(
    TradingErrorCode.BAD_SIGNATURE,
    'X-TS-Signature does not match HMAC-SHA256(secret, timestamp + METHOD + path + body)',
  );

function forbidden(key: ApiKey, right: string): Refusal {
  return refusal(TradingErrorCode.FORBIDDEN, `a ${key.role} key may not do this (needs the ${right} right)`);
}

function send(reply: FastifyReply, r: Refusal): FastifyReply {
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
  app.addHook('onRequest', (req, reply, done) => {
    const right = rightOf(req.method, req.routeOptions.url);
    if (right === null) return done();
    const raw = req.raw;
    const sig = header(raw, SIGNATURE_HEADER);
    const ts = header(raw, TIMESTAMP_HEADER);
    const who = identify(keys, header(raw, KEY_HEADER), ts, sig, now());
    if (!(who instanceof ApiKey)) return void send(reply, who as Refusal);
    const key = who as ApiKey;
    const state = req as unknown as AuthState;
    if (hasBody(raw)) {
      state[PENDING] = { key, ts: ts!, sig: sig! };
      return done();
    }
    if (!signatureMatches(signRequest(key.secret, ts!, req.method, req.url), sig!)) {
      return void send(reply, BAD_SIGNATURE());
    }
    if (!key.can(right)) return void send(reply, forbidden(key, right));
    state[PRINCIPAL] = key;
    done();
  });
  // JSON bodies: verified over their raw bytes before they are parsed.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const state = req as unknown as AuthState;
    const p = state[PENDING];
    const buf = body as Buffer;
    if (p !== undefined) {
      if (!signatureMatches(signRequest(p.key.secret, p.ts, req.method, req.url, buf), p.sig)) {
        const r = BAD_SIGNATURE();
        return done(new TradingError(r.code as TradingErrorCode, r.message), undefined);
      }
      state[PRINCIPAL] = p.key;
      state[PENDING] = undefined;
    }
    if (buf.length === 0) {
      const e = new Error('Body cannot be empty when content-type is set to application/json');
      (e as { code?: string }).code = 'FST_ERR_CTP_EMPTY_JSON_BODY';
      return done(e, undefined);
    }
    try {
      done(null, parseJson(buf.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('preHandler', (req, reply, done) => {
    const state = req as unknown as AuthState;
    const p = state[PENDING];
    if (p !== undefined) {
      // A body no JSON parser read (e.g. Content-Length with no content type): signed as sent? We
      // cannot see its bytes here, so only an empty body verifies.
      state[PENDING] = undefined;
      if (!signatureMatches(signRequest(p.key.secret, p.ts, req.method, req.url), p.sig)) {
        return void send(reply, BAD_SIGNATURE());
      }
      state[PRINCIPAL] = p.key;
    }
    const key = state[PRINCIPAL];
    if (key === undefined) return done();
    const right = rightOf(req.method, req.routeOptions.url);
    if (right !== null && !key.can(right)) return void send(reply, forbidden(key, right));
    done();
  });
}

/** Protected mode: a non-loopback peer, or a browser page of a non-loopback origin; else undefined. */
function protectedRefusal(req: IncomingMessage): Refusal | undefined {
  if (!isLoopback(req.socket.remoteAddress)) return loopbackOnly();
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
  if (q >= 0 && (id === undefined || sig === undefined)) {
    const signing = splitSigningParams(url.slice(q + 1));
    id ??= signing.key;
    ts ??= signing.ts;
    sig ??= signing.sig;
    path = signing.rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${signing.rest}`;
  }
  const who = identify(s.keys, id, ts, sig, (s.now ?? Date.now)());
  if (!(who instanceof ApiKey)) return who as Refusal;
  const key = who as ApiKey;
  if (!signatureMatches(signRequest(key.secret, ts!, 'GET', path), sig!)) return BAD_SIGNATURE();
  const right = rightOf('WS', route);
  if (right !== null && !key.can(right)) return forbidden(key, right);
  return key;
}

/**
 * The query's key/ts/sig values, and the rest of the query exactly as sent (the signature
 * covers the client's own bytes: re-encoding the rest would turn `a,b` into `a%2Cb`).
 */
function splitSigningParams(query: string): { key?: string; ts?: string; sig?: string; rest: string } {
  const out: { key?: string; ts?: string; sig?: string; rest: string } = { rest: '' };
  const kept: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (name === 'key' || name === 'ts' || name === 'sig') {
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
  const body = JSON.stringify({ error: { code: r.code, message: r.message } });
  const retry = r.status === 429 || r.status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\nContent-Type: application/json\r\n${retry}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** A coded refusal of `code` (its status from errors.ts), for refuseUpgrade. */
export function upgradeRefusal(code: ErrorCode, message: string): Refusal {
  return refusal(code, message);
}

/** JSON.parse refusing `__proto__` keys (what fastify's default parser does, via secure-json-parse). */
function parseJson(text: string): unknown {
  if (!text.includes('__proto__')) return JSON.parse(text);
  return JSON.parse(text, (k, v) => {
    if (k === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
    return v;
  });
}
