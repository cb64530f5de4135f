/**
 * k6's per-VU cookie jar for `tickstorm/http`: the cookies a response sets (Set-Cookie) are kept
 * and sent back with the VU's later requests that match their domain, path and `Secure`, as a
 * browser (and k6) does. Each VU has its own jar, emptied at the start of each iteration (k6's
 * default). `http.cookieJar()` gives a script the VU's jar: `set`, `cookiesForURL`, `clear`,
 * `delete`.
 */

export interface Cookie {
  name: string;
  value: string;
  /** The host it was set by (hostOnly), or the Domain attribute without its leading dot. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  /** Epoch ms; 0 = a session cookie. */
  expires: number;
}

/** k6's `res.cookies` entry. */
export interface ResponseCookie {
  name: string;
  value: string;
  domain: string;
  path: string;
  httpOnly: boolean;
  secure: boolean;
  maxAge: number;
  expires: number;
}

/** The path a cookie without a Path attribute gets (RFC 6265 5.1.4: the request path's directory). */
function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(c: Cookie, host: string): boolean {
  if (c.hostOnly) return host === c.domain;
  return host === c.domain || host.endsWith(`.${c.domain}`);
}

/** One Set-Cookie header, as set by a response from `url` (null: malformed or for another domain). */
export function parseSetCookie(header: string, url: URL, now = Date.now()): Cookie | null {
  const [pair, ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  const host = url.hostname.toLowerCase();
  const c: Cookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: host,
    hostOnly: true,
    path: defaultPath(url),
    secure: false,
    httpOnly: false,
    expires: 0,
  };
  let maxAge: number | undefined;
  for (const a of attrs) {
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    const val = i < 0 ? '' : a.slice(i + 1).trim();
    if (key === 'domain' && val !== '') {
      const d = val.replace(/^\./, '').toLowerCase();
      // a response may set a cookie for its own domain or a parent of it, never another's
      if (host !== d && !host.endsWith(`.${d}`)) return null;
      c.domain = d;
      c.hostOnly = false;
    } else if (key === 'path' && val.startsWith('/')) c.path = val;
    else if (key === 'secure') c.secure = true;
    else if (key === 'httponly') c.httpOnly = true;
    else if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
    else if (key === 'expires') {
      const t = Date.parse(val);
      if (!Number.isNaN(t)) c.expires = t;
    }
  }
  // Max-Age wins over Expires; 0 or less (or a date passed) deletes the cookie
  if (maxAge !== undefined) c.expires = maxAge <= 0 ? -1 : now + maxAge * 1000;
  return c;
}

export class CookieJar {
  private cookies: Cookie[] = [];

  /** True when it holds no cookie (nothing to match: the request needs no URL parsed). */
  get empty(): boolean {
    return this.cookies.length === 0;
  }

  /** Keeps the cookies `headers` (Set-Cookie values) set, from a response of `url`. */
  store(url: URL, headers: readonly string[], now = Date.now()): void {
    for (const h of headers) {
      const c = parseSetCookie(h, url, now);
      if (c !== null) this.put(c, now);
    }
  }

  /** A cookie of the same name, domain and path is replaced where it stands (RFC 6265 5.3: its creation order kept). */
  private put(c: Cookie, now: number): void {
    const i = this.cookies.findIndex((o) => o.name === c.name && o.domain === c.domain && o.path === c.path);
    const live = c.expires === 0 || c.expires > now;
    if (i < 0) {
      if (live) this.cookies.push(c);
    } else if (live) this.cookies[i] = c;
    else this.cookies.splice(i, 1);
  }

  /** The cookies to send to `url`, longest path first (RFC 6265 5.4). */
  matching(url: URL, now = Date.now()): Cookie[] {
    if (this.cookies.length === 0) return [];
    const host = url.hostname.toLowerCase();
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    this.cookies = this.cookies.filter((c) => c.expires === 0 || c.expires > now);
    return this.cookies
      .filter((c) => domainMatches(c, host) && pathMatches(c.path, url.pathname) && (secure || !c.secure))
      .sort((a, b) => b.path.length - a.path.length);
  }

  // k6's CookieJar API

  /** k6's `jar.set(url, name, value, { domain, path, secure, httpOnly, max_age, expires })`. */
  set(
    url: string,
    name: string,
    value: string,
    opts: {
      domain?: string;
      path?: string;
      secure?: boolean;
      httpOnly?: boolean;
      max_age?: number;
      expires?: string;
    } = {},
  ): void {
    const u = new URL(url);
    const parts = [`${name}=${value}`];
    if (opts.domain !== undefined) parts.push(`Domain=${opts.domain}`);
    parts.push(`Path=${opts.path ?? '/'}`);
    if (opts.secure === true) parts.push('Secure');
    if (opts.httpOnly === true) parts.push('HttpOnly');
    if (opts.max_age !== undefined) parts.push(`Max-Age=${opts.max_age}`);
    if (opts.expires !== undefined) parts.push(`Expires=${opts.expires}`);
    const c = parseSetCookie(parts.join('; '), u);
    if (c === null) throw new TypeError(`jar.set(): cannot set cookie '${name}' for ${url}`);
    this.put(c, Date.now());
  }

  /** k6's `jar.cookiesForURL(url)`: `{ name: [value, ...] }`. */
  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.matching(new URL(url))) (out[c.name] ??= []).push(c.value);
    return out;
  }

  /** k6's `jar.clear(url)`: drops every cookie `url` would be sent. */
  clear(url: string): void {
    const sent = new Set(this.matching(new URL(url)));
    this.cookies = this.cookies.filter((c) => !sent.has(c));
  }

  /** k6's `jar.delete(url, name)`. */
  delete(url: string, name: string): void {
    const sent = new Set(this.matching(new URL(url)).filter((c) => c.name === name));
    this.cookies = this.cookies.filter((c) => !sent.has(c));
  }

  /** Empties the jar (k6 does at the start of each iteration). */
  reset(): void {
    this.cookies = [];
  }
}

/** k6's `res.cookies`: what this response set, `{ name: [{ name, value, domain, ... }] }`. */
export function responseCookies(url: URL, headers: readonly string[]): Record<string, ResponseCookie[]> {
  const out: Record<string, ResponseCookie[]> = {};
  const now = Date.now();
  for (const h of headers) {
    const c = parseSetCookie(h, url, now);
    if (c === null) continue;
    const maxAge = /;\s*max-age\s*=\s*(-?\d+)/i.exec(h);
    (out[c.name] ??= []).push({
      name: c.name,
      value: c.value,
      domain: c.domain,
      path: c.path,
      httpOnly: c.httpOnly,
      secure: c.secure,
      maxAge: maxAge === null ? 0 : Number(maxAge[1]),
      expires: Math.max(c.expires, 0),
    });
  }
  return out;
}
