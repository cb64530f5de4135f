/**
 * Protected mode (Redis's): a service started without keys serves loopback peers only, and
 * binding a non-loopback address without keys is refused unless `--insecure-no-auth`.
 */
import { isIPv4 } from 'node:net';
import { TradingError, TradingErrorCode } from '../errors.ts';

/**
 * 127.0.0.0/8, ::1 and their IPv4-mapped forms: addresses only, never a name such as
 * `127.0.0.1.example.com` (a domain anyone can point anywhere).
 */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Whether a request's `Origin` header lets protected mode serve it: absent (not a browser, or
 * a same-origin GET), or a page served from a loopback host. A browser page of any other origin
 * on this machine is a loopback peer too, and a simple POST or a WebSocket needs no CORS
 * preflight: those are refused (`null` origins included).
 */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || isLoopback(host);
}

const HOST_HEADER = /^[A-Za-z0-9.:[\]-]+$/;

/**
 * Whether a request's `Host` may be served in protected mode: absent (HTTP/1.0), an address,
 * `localhost` (or `*.localhost`), or a name of one label. A page of another site whose domain
 * its owner re-points at 127.0.0.1 (DNS rebinding) is same-origin with what it reads, so its
 * GETs carry no `Origin`; their `Host` is still that domain (a name with a dot).
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return true;
  // every request of protected mode asks, nearly always with one of a few Hosts: the answer is
  // kept per Host (up to HOST_MEMO_MAX of them), not worked out with a URL parse each time
  const known = hostMemo.get(host);
  if (known !== undefined) return known;
  const ok = hostIsLoopbackName(host);
  if (hostMemo.size < HOST_MEMO_MAX) hostMemo.set(host, ok);
  return ok;
}

const HOST_MEMO_MAX = 64;
const hostMemo = new Map<string, boolean>();

function hostIsLoopbackName(host: string): boolean {
  if (!HOST_HEADER.test(host)) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (name.startsWith('[') || isIPv4(name)) return true;
  return !name.includes('.') || name.endsWith('.localhost');
}

/** Whether `host` (a listen address) only accepts loopback peers. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host) || host === '[::1]';
}

/**
 * Refuses (TRD_ERR_INVALID_CONFIG: the CLI exits 2) a non-loopback bind without keys, unless
 * `insecureNoAuth`. Returns the line `serve` prints about the mode it runs in.
 */
export function checkBindPolicy(host: string, keys: boolean, insecureNoAuth: boolean): string {
  if (keys) {
    // Keys win: say so, or an operator who also passed --insecure-no-auth believes auth is off.
    return insecureNoAuth
      ? 'auth: signed requests required (keys loaded; --insecure-no-auth has no effect with keys)'
      : 'auth: signed requests required (keys loaded)';
  }
  if (insecureNoAuth) return 'auth: OFF (--insecure-no-auth): every peer is served without keys';
  if (!isLoopbackHost(host)) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `refusing to listen on ${host} without keys: pass --keys FILE (or TICKSTORM_KEYS_FILE), ` +
        'bind 127.0.0.1, or accept the risk with --insecure-no-auth',
    );
  }
  return 'protected mode: no --keys, so only loopback peers are served (docs/security.md)';
}
