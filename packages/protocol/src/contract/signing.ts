/**
 * Request signing (docs/security.md), shared by the trading system (which verifies) and the
 * load lab (which signs): X-TS-Signature = lowercase hex of
 * HMAC-SHA256(secret, timestamp + METHOD + path-with-query + raw body), X-TS-Timestamp in ms
 * since the epoch, X-TS-Key the key's id. WebSocket upgrades may carry the three as query
 * parameters `key`, `ts`, `sig`, the signature then covering `ts + "GET" + path` with those
 * three parameters removed from the query.
 */
import { createHmac } from 'node:crypto';

export const KEY_HEADER = 'x-ts-key';
export const TIMESTAMP_HEADER = 'x-ts-timestamp';
export const SIGNATURE_HEADER = 'x-ts-signature';
/** How far X-TS-Timestamp may be from the server's clock (ms, either way). */
export const SIGNATURE_WINDOW_MS = 5_000;

/** Lowercase hex HMAC-SHA256 over timestamp + METHOD + path-with-query + body. */
export function signRequest(
  secret: string | Buffer,
  timestamp: string | number,
  method: string,
  pathWithQuery: string,
  body?: string | Uint8Array,
): string {
  const h = createHmac('sha256', secret);
  h.update(String(timestamp));
  h.update(method.toUpperCase());
  h.update(pathWithQuery);
  if (body !== undefined && body.length > 0) h.update(body);
  return h.digest('hex');
}

/** `path?query` with the signing parameters key/ts/sig appended (a WebSocket URL a browser can open). */
export function signWebSocketPath(
  keyId: string,
  secret: string | Buffer,
  path: string,
  now = Date.now(),
): string {
  const ts = String(now);
  const sig = signRequest(secret, ts, 'GET', path);
  const sep = path.includes('?') ? '&' : '?';
  return `${path}${sep}key=${encodeURIComponent(keyId)}&ts=${ts}&sig=${sig}`;
}
