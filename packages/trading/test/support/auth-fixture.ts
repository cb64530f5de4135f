/**
 * Keys for the auth tests and a signing client: every identity of the route matrix
 * (no key, bad signature, stale timestamp, another account's trader, the owner, viewer, feed,
 * admin) as the headers it sends.
 */
import { signRequest } from '@tickstorm/protocol';
import { parseKeys } from '../../src/auth/keys.ts';
import type { Http, Reply } from './trading-fixture.ts';

export const KEYS_JSON = [
  { id: 'admin-1', secret: 'admin-secret-0123456789', role: 'admin' },
  { id: 'viewer-1', secret: 'viewer-secret-0123456789', role: 'viewer' },
  { id: 'feed-1', secret: 'feed-secret-0123456789', role: 'feed' },
  { id: 'trader-a', secret: 'trader-a-secret-0123456789', role: 'trader', accounts: ['acct-a', 'acct-a2'] },
  { id: 'trader-b', secret: 'trader-b-secret-0123456789', role: 'trader', accounts: ['acct-b'] },
] as const;

export const keyStore = () => parseKeys(KEYS_JSON);

export type Identity = 'none' | 'badSig' | 'stale' | 'other' | 'owner' | 'viewer' | 'feed' | 'admin';
export const IDENTITIES: readonly Identity[] = [
  'none',
  'badSig',
  'stale',
  'other',
  'owner',
  'viewer',
  'feed',
  'admin',
];

const KEY_OF: Record<Exclude<Identity, 'none'>, (typeof KEYS_JSON)[number]> = {
  badSig: KEYS_JSON[0],
  stale: KEYS_JSON[0],
  other: KEYS_JSON[4],
  owner: KEYS_JSON[3],
  viewer: KEYS_JSON[1],
  feed: KEYS_JSON[2],
  admin: KEYS_JSON[0],
};

/** The auth headers `who` sends for METHOD path(+query) with `body`. */
export function authHeaders(who: Identity, method: string, path: string, body = ''): Record<string, string> {
  if (who === 'none') return {};
  const k = KEY_OF[who];
  const ts = String(who === 'stale' ? Date.now() - 60_000 : Date.now());
  let sig = signRequest(k.secret, ts, method, path, body);
  if (who === 'badSig') sig = signRequest('not-the-secret-at-all', ts, method, path, body);
  return { 'x-ts-key': k.id, 'x-ts-timestamp': ts, 'x-ts-signature': sig };
}

/** Sends a signed request (body: JSON text, sent with content-type application/json). */
export function signedSend(
  http: Http,
  who: Identity,
  method: string,
  base: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = authHeaders(who, method, path, text ?? '');
  if (text !== undefined) headers['content-type'] = 'application/json';
  return http.send(method, `${base}${path}`, text, headers);
}
