/**
 * Prometheus scrapes with keys on. A scraper cannot sign a request (HMAC over a timestamp), so
 * `GET /metrics` (and HEAD) alone also takes HTTP Basic credentials, which Prometheus sends with
 * `basic_auth: { username: <key id>, password_file: <file holding the secret> }`: the user is a
 * key's id, the password its secret, compared in constant time. The key needs the `view` right
 * (viewer, trader or admin; not feed). The secret then travels with every scrape, as any
 * scrape credential does: give the scraper a viewer key of its own, over a network you trust
 * or behind TLS.
 *
 * Anything else (another path, a Bearer token) is not accepted this way: a signed request still
 * works on /metrics too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TradingErrorCode } from '../errors.ts';
import type { ApiKey, KeyStore } from './keys.ts';

/** The challenge of a 401 on /metrics (RFC 7617). */
export const SCRAPE_CHALLENGE = 'Basic realm="tickstorm /metrics", charset="UTF-8"';

/** The routes Basic credentials are accepted on. */
export function isScrapeRoute(method: string, route: string | undefined): boolean {
  return route === '/metrics' && (method === 'GET' || method === 'HEAD');
}

export type ScrapeVerdict = ApiKey | { code: TradingErrorCode; message: string };

/** The key named by `Authorization: Basic base64(id:secret)`, or why not. */
export function scrapeKey(keys: KeyStore, authorization: string): ScrapeVerdict {
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization);
  if (m === null) {
    return {
      code: TradingErrorCode.UNAUTHENTICATED,
      message:
        'Authorization on /metrics must be Basic base64(key id:secret) (Prometheus basic_auth), or sign the request',
    };
  }
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) {
    return {
      code: TradingErrorCode.UNAUTHENTICATED,
      message: 'Basic credentials must be key id:secret (Prometheus basic_auth: username and password_file)',
    };
  }
  const id = text.slice(0, colon);
  const key = keys.get(id);
  if (key === undefined) {
    return {
      code: TradingErrorCode.UNKNOWN_KEY,
      message: `unknown key ${JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}...` : id)}`,
    };
  }
  // digests of both, so the comparison takes the same time whatever the presented length
  const digest = (b: Buffer) => createHash('sha256').update(b).digest();
  const same = timingSafeEqual(digest(Buffer.from(text.slice(colon + 1), 'utf8')), digest(key.secret));
  if (!same) {
    return {
      code: TradingErrorCode.BAD_SIGNATURE,
      message: `the password of key ${JSON.stringify(id)} is not its secret`,
    };
  }
  return key;
}
