/**
 * The JSON body parser every service uses (keys on, auth/request-auth.ts wraps it with the
 * signature check over the same bytes). An empty body is no body: a client that sets
 * `Content-Type: application/json` on every request (a session-wide header) and sends nothing
 * on a DELETE or on the kill switch's POST is served as if it sent no content type; a route
 * that needs a body answers its own 400 for a missing one. A compressed body (a
 * `Content-Encoding` other than identity, a `Transfer-Encoding` coding other than chunked) is
 * refused 415: it is never read as JSON text.
 */
import { cutText, ProtocolError, ProtocolErrorCode, quoteValue } from '@tickstorm/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { noteInexactMembers } from './exact-numbers.ts';
import { repeatedKey, repeatedKeyIn } from './repeated-key.ts';

/** JSON.parse refusing `__proto__` keys (what fastify's default parser does, via secure-json-parse). */
export function parseJson(text: string): unknown {
  if (!text.includes('__proto__')) return JSON.parse(text);
  return JSON.parse(text, (k, v) => {
    if (k === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
    return v;
  });
}

/**
 * parseJson, also refusing a body that names a field twice in one object (./repeated-key.ts),
 * and noting the members of an object body whose number JSON.parse read as another one
 * (./exact-numbers.ts: the routes that need them exact refuse them).
 */
export function parseJsonRequest(text: string): unknown {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null) return value;
  let key: string | undefined;
  if (Array.isArray(value)) {
    // a metrics batch: every record's names
    key = repeatedKeyIn(text, value);
  } else {
    // counted without Object.keys' array: this runs on every order
    let names = 0;
    for (const _ in value) names++;
    key = repeatedKey(text, names);
    // the same pass said whether a number literal may have been read as another number
    if (key === undefined) noteInexactMembers(text, value);
  }
  if (key !== undefined) {
    throw new ProtocolError(
      ProtocolErrorCode.INVALID_FIELD,
      `field ${quoteValue(key)} is given twice: which one was meant is ambiguous`,
      cutText(key),
    );
  }
  return value;
}

/** The parsed body of `buf` (undefined when empty), or the parse error. */
export function parseJsonBody(buf: Buffer): { value: unknown } | { error: Error } {
  if (buf.length === 0) return { value: undefined };
  // JSON.parse's own message shows the invisible U+FEFF as the "unexpected token"
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    return {
      error: new SyntaxError(
        'the body starts with a UTF-8 byte order mark (EF BB BF): send the JSON without one',
      ),
    };
  }
  try {
    return { value: parseJsonRequest(buf.toString('utf8')) };
  } catch (err) {
    return { error: err as Error };
  }
}

/** Whether a Transfer-Encoding header names no coding but chunked. */
function onlyChunked(transfer: string): boolean {
  // the header every chunked client sends: no split per request
  if (transfer === 'chunked') return true;
  for (const coding of transfer.split(',')) if (coding.trim().toLowerCase() !== 'chunked') return false;
  return true;
}

/** The media type of a Content-Type header (parameters dropped, lowercase), '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** 415 for a body that is not JSON: `contentType` as sent (undefined: none was). */
export function notJsonBody(contentType: string | undefined): TradingError {
  const got =
    contentType === undefined ? 'none was given' : `got ${JSON.stringify(contentType.slice(0, 80))}`;
  return new TradingError(
    TradingErrorCode.UNSUPPORTED_MEDIA_TYPE,
    `a request body must be JSON sent with Content-Type: application/json (${got})`,
  );
}

/**
 * Installs the JSON parser; `verify` (keys on) sees the raw bytes first and may refuse them
 * (returning the error to answer) before anything else is looked at (the Content-Encoding
 * included: a key without the right gets its 403 whatever it sent).
 */
export function installJsonBody(
  app: FastifyInstance,
  verify?: (req: FastifyRequest, raw: Buffer) => Error | undefined,
): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    const refused = verify?.(req, buf);
    if (refused !== undefined) return done(refused, undefined);
    // No route here: its answer is the 404, whatever the body holds (not a 400 about its JSON).
    if (req.is404) return done(null, undefined);
    const encoding = req.headers['content-encoding'];
    if (buf.length > 0 && encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      const shown = JSON.stringify(encoding.slice(0, 40));
      return done(
        new TradingError(
          TradingErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `Content-Encoding ${shown} is not supported: send the JSON body uncompressed`,
        ),
        undefined,
      );
    }
    // Node de-chunks a body sent `Transfer-Encoding: gzip, chunked` and hands over the bytes
    // still gzip-coded: refused as a Content-Encoding is, not read as JSON text.
    const transfer = req.headers['transfer-encoding'];
    if (buf.length > 0 && transfer !== undefined && !onlyChunked(transfer)) {
      return done(
        new TradingError(
          TradingErrorCode.UNSUPPORTED_MEDIA_TYPE,
          `Transfer-Encoding ${JSON.stringify(transfer.slice(0, 40))} is not supported: send the JSON body uncoded (chunked alone is taken)`,
        ),
        undefined,
      );
    }
    const r = parseJsonBody(buf);
    if ('error' in r) return done(r.error, undefined);
    done(null, r.value);
  });
}
