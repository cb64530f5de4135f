/**
 * The HttpUser's `client`: a typed HTTP session that EMITS one RequestEvent per request
 * (Locust's request event) and never throws for HTTP or network failures: they come back
 * as a response with `ok: false` and `error`, and count as failures in the statistics.
 * Connections are keep-alive, pooled per origin by undici (one Pool per thread, shared by
 * that thread's users). Latency runs from the call to the last body byte, as in Locust.
 *
 *   const r = await this.client.post('/api/trade/execute', order, { name: 'trade_execution', type: 'EXEC' });
 *   if (r.ok) id = r.json<{ orderId: string }>().orderId;
 *
 * `check(res)` marks a response a failure by returning false or a message, or accepts a
 * status of 400 or more by returning true (Locust's catch_response); returning nothing
 * leaves the verdict to the status (400 or more is a failure).
 */
import { Pool } from 'undici';
import { CookieJar } from '../clients/cookie-jar.ts';
import { envSigner } from '../clients/request-signer.ts';
import { tlsAlertConnector } from '../clients/tls-alert-connector.ts';
import { type TlsOptions, tlsVerifyOptions } from '../clients/tls-options.ts';
import { newRequestEvent, type RequestEvents } from '../stats/events.ts';
import { nowUs } from '../util/clock.ts';

export interface RequestOptions {
  /** Statistics name (default: the path without its query). */
  name?: string;
  /** Statistics type column (default: the method). */
  type?: string;
  headers?: Record<string, string>;
  /** JSON body (serialised here, with Content-Type). */
  json?: unknown;
  /** Raw body. */
  body?: string | Buffer;
  /** Verdict: true = success, false or a message = failure, undefined = by status. */
  check?: (res: HttpResponse) => boolean | string | undefined;
  /** Follow 301/302/303/307/308 (default true, as Locust's `allow_redirects`; at most 30). */
  allowRedirects?: boolean;
}

export interface HttpResponse {
  /** 0 when no response arrived. */
  status: number;
  ok: boolean;
  /** Failure text ('HTTP 503', 'ECONNREFUSED', a check's message); null when ok. */
  error: string | null;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  latencyMs: number;
  json<T = unknown>(): T;
}

export interface HttpSessionOptions {
  host: string;
  events: RequestEvents;
  /** Per-request timeout (default 60 s, Locust's). */
  timeoutMs?: number;
  /** Aborts requests in flight when a user is stopped. */
  signal?: AbortSignal;
}

/** One Pool per origin for all sessions of a thread. */
export class PoolSet {
  private readonly pools = new Map<string, Pool>();
  /** https hosts: --insecure / --ca / --cert / --key. */
  constructor(private readonly tls?: TlsOptions) {}
  get(origin: string): Pool {
    let p = this.pools.get(origin);
    if (p === undefined) {
      p = new Pool(origin, {
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: tlsAlertConnector(tlsVerifyOptions(this.tls, new URL(origin).hostname)),
      });
      this.pools.set(origin, p);
    }
    return p;
  }
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
    this.pools.clear();
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const REDIRECT = new Set([301, 302, 303, 307, 308]);
/** requests' (Locust's HttpSession's) limit. */
const MAX_REDIRECTS = 30;

function setCookies(h: Record<string, string | string[] | undefined>): string[] {
  const v = h['set-cookie'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export class HttpSession {
  private readonly base: URL;
  private readonly pool: Pool;
  private readonly ev = newRequestEvent();
  private readonly timeoutMs: number;
  /** The user's cookies, as Locust's session (requests.Session) keeps them for the user's life. */
  readonly cookies = new CookieJar();

  constructor(
    private readonly pools: PoolSet,
    private readonly o: HttpSessionOptions,
  ) {
    const problem = hostProblem(o.host);
    if (problem !== null) throw new TypeError(problem);
    this.base = new URL(o.host);
    this.pool = pools.get(this.base.origin);
    this.timeoutMs = o.timeoutMs ?? 60_000;
  }

  get(path: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('GET', path, opts);
  }
  post(path: string, json?: unknown, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('POST', path, json === undefined ? opts : { ...opts, json });
  }
  put(path: string, json?: unknown, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('PUT', path, json === undefined ? opts : { ...opts, json });
  }
  delete(path: string, opts?: RequestOptions): Promise<HttpResponse> {
    return this.request('DELETE', path, opts);
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const fullPath = path.startsWith('/') ? joinPath(this.base.pathname, path) : path;
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.body;
    let headers: Record<string, string> | undefined =
      opts.json !== undefined
        ? opts.headers
          ? { ...JSON_HEADERS, ...opts.headers }
          : JSON_HEADERS
        : opts.headers;
    const signer = envSigner();
    if (signer !== null) {
      headers = {
        ...headers,
        ...signer.headersFor(method, fullPath, typeof body === 'string' ? body : undefined),
      };
    }
    const t0 = nowUs();
    let bodyBytes = 0;
    let res: HttpResponse;
    // a cookie header of the user's own is sent as written, without the session's cookies
    const ownCookie = headers !== undefined && Object.keys(headers).some((k) => k.toLowerCase() === 'cookie');
    try {
      // parsed only when cookies or a redirect need it (most requests of most users: never)
      let url: URL | undefined;
      const at = (): URL => {
        url ??= new URL(fullPath, this.base);
        return url;
      };
      let pool = this.pool;
      let m = method;
      let reqBody = body;
      let reqPath = fullPath;
      let hops = opts.allowRedirects === false ? 0 : MAX_REDIRECTS;
      for (;;) {
        const jar = ownCookie || this.cookies.empty ? [] : this.cookies.matching(at());
        const cookie = jar.map((c) => `${c.name}=${c.value}`).join('; ');
        const r = await pool.request({
          method: m,
          path: reqPath,
          headers: cookie === '' ? headers : { ...headers, cookie },
          body: reqBody,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal: this.o.signal,
        });
        // read the bytes once: their length is the content size, their decoding the text
        const bytes = Buffer.from(await r.body.arrayBuffer());
        bodyBytes += bytes.length;
        const status = r.statusCode;
        const set = setCookies(r.headers);
        if (set.length > 0) this.cookies.store(at(), set);
        const location = r.headers.location;
        // one request in the statistics, its time the whole chain's (as Locust records a redirect)
        if (REDIRECT.has(status) && typeof location === 'string' && hops-- > 0) {
          url = new URL(location, at());
          pool = this.pools.get(url.origin);
          reqPath = url.pathname + url.search;
          // as requests does: 303, and a POST's 301/302, go on as a GET without the body
          if (status === 303 || ((status === 301 || status === 302) && m === 'POST')) {
            if (m !== 'HEAD') m = 'GET';
            reqBody = undefined;
            if (headers !== undefined) {
              headers = { ...headers };
              for (const k of Object.keys(headers))
                if (k.toLowerCase() === 'content-type' || k.toLowerCase() === 'content-length')
                  delete headers[k];
            }
          }
          continue;
        }
        const text = bytes.toString('utf8');
        res = new Response(status, status < 400, status < 400 ? null : `HTTP ${status}`, text, r.headers);
        break;
      }
    } catch (e) {
      if (this.o.signal?.aborted) throw e; // a stopped user: not a request outcome
      res = new Response(0, false, errorKind(e), '', {});
    }
    const t1 = nowUs();
    res.latencyMs = (t1 - t0) / 1000;
    if (opts.check !== undefined && res.status !== 0) {
      let verdict: boolean | string | undefined;
      try {
        verdict = opts.check(res);
      } catch (e) {
        verdict = e instanceof Error ? e.message : String(e);
      }
      if (verdict === false || typeof verdict === 'string') {
        res.ok = false;
        res.error = typeof verdict === 'string' ? verdict : `check failed (HTTP ${res.status})`;
      } else if (verdict === true) {
        res.ok = true;
        res.error = null;
      } // undefined: the status decides, as without a check
    }
    const ev = this.ev;
    ev.type = opts.type ?? method;
    ev.name = opts.name ?? stripQuery(path);
    ev.latencyUs = t1 - t0;
    ev.ok = res.ok;
    ev.status = res.status;
    ev.error = res.error;
    ev.bytes = bodyBytes;
    ev.timeUs = t1;
    this.o.events.emit(ev);
    return res;
  }
}

/** Why `host` is not a usable base URL (http or https, parseable), or null. */
export function hostProblem(host: unknown, name = 'host'): string | null {
  if (typeof host !== 'string') return `${name} must be an http:// or https:// URL, got ${String(host)}`;
  try {
    const u = new URL(host);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '') return null;
  } catch {
    // not a URL
  }
  return `${name} must be an http:// or https:// URL, got '${host}'`;
}

/** A response: `json()` lives on the prototype (no closure per request). */
class Response implements HttpResponse {
  latencyMs = 0;
  constructor(
    public status: number,
    public ok: boolean,
    public error: string | null,
    public text: string,
    public headers: Record<string, string | string[] | undefined>,
  ) {}
  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }
}

function joinPath(basePath: string, path: string): string {
  return basePath === '/' || basePath === '' ? path : basePath.replace(/\/$/, '') + path;
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

function errorKind(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  if (err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  // the server's TLS alert (a client certificate required or refused: tls-alert-connector.ts)
  if (err?.cause?.code?.startsWith('ERR_SSL_') === true) return err.cause.code;
  return err?.code ?? err?.message ?? String(e);
}
