/**
 * `tickstorm/http`: k6's `k6/http` for scripts, promise based.
 *
 *   import http from 'tickstorm/http';
 *   const res = await http.get('http://127.0.0.1:8080/health');
 *   const res2 = await http.post(url, JSON.stringify(order), { headers: { 'Content-Type': 'application/json' } });
 *   // res: { status, body, headers, timings: { duration, waiting, receiving }, error, url, json() }
 *
 * Every request is one sample of k6's http_req_duration / http_req_failed / http_reqs (a
 * RequestEvent of type = method, name = `params.tags.name` or `params.name` or the path).
 * The first request of an iteration is timed from the iteration's intended start (open
 * model: coordinated-omission correct); the rest from their own send. A network error does
 * not throw: the response has status 0 and `error` set (k6's behaviour), and counts as failed.
 * Connections are kept alive per origin; https uses the run's --ca / --insecure and the
 * client certificate options.tlsAuth gives the host. As in k6,
 * redirects are followed (params.redirects, default 10; each hop its own sample) and each VU
 * has a cookie jar (clients/cookie-jar.ts), emptied at each iteration's start.
 */
import { Agent, Pool, request as undiciRequest } from 'undici';
import { CookieJar, type ResponseCookie, responseCookies } from '../clients/cookie-jar.ts';
import { tlsAlertConnector } from '../clients/tls-alert-connector.ts';
import { warnCertOnce } from '../clients/tls-check.ts';
import { tlsVerifyOptions } from '../clients/tls-options.ts';
import { newRequestEvent, type RequestEvent } from '../stats/events.ts';
import { nowUs } from '../util/clock.ts';
import { parseDuration } from '../util/duration.ts';
import { k6ErrorCode, k6StatusText } from './http-error-code.ts';
import {
  checkResponseCallback,
  expectationOf,
  expectedStatuses,
  isExpected,
  type ResponseCallback,
} from './http-expected.ts';
import { warnMediaTypeOnce } from './http-hints.ts';
import {
  bytesSent,
  HTTP_PHASES,
  newHopTimes,
  PHASE_METRICS,
  type PhaseTimes,
  phases,
  type Timings,
  timeConnection,
  unwatch,
  watch,
} from './http-timings.ts';
import { markResponsePromise } from './response-promise.ts';

/** k6's res.timings, ms; duration is the sum of the others (./http-timings.ts). */
export type { Timings };

import { selectJson } from './json-selector.ts';
import {
  counterKey,
  current,
  type IterationStore,
  liveScenario,
  measureFrom,
  never,
  recorderIn,
  runtime,
  tracked,
} from './runtime.ts';
import { recordTagged, submetricsOf } from './submetrics.ts';

export interface RequestParams {
  headers?: Record<string, string>;
  /** Stats name of the request (default: the URL path). */
  name?: string;
  tags?: { name?: string; [k: string]: string | undefined };
  /** Request timeout, to the end of the body (ms or a duration like '10s'; default 60 s, as k6); error 'timeout'. */
  timeout?: number | string;
  /** Statuses that count as success (default 200-399). */
  expectedStatuses?: number[];
  /** k6's: `http.expectedStatuses(...)`, or null (every response expected). */
  responseCallback?: ResponseCallback | null;
  /** Redirects to follow (default 10, k6's); 0 answers the 3xx itself. */
  redirects?: number;
  /** Cookies for this request, over the VU jar's of the same name (k6's `{ name: value | { value } }`). */
  cookies?: Record<string, string | { value: string | number; replace?: boolean }>;
  /**
   * k6's: the body as text (default), as an ArrayBuffer ('binary'), or read and dropped
   * ('none': `body` is null; the default under options.discardResponseBodies).
   */
  responseType?: 'text' | 'binary' | 'none';
}

export interface Response {
  url: string;
  status: number;
  /** The body: text, an ArrayBuffer (responseType 'binary'), or null (responseType 'none'). */
  body: string | ArrayBuffer | null;
  headers: Record<string, string>;
  timings: Timings;
  /** Network error text (status 0), or null. */
  error: string | null;
  /** k6's error code: 0, 1000 + a 4xx/5xx status, or the network error's (./http-error-code.ts). */
  error_code: number;
  /** k6's "200 OK" ('' when no answer came). */
  status_text: string;
  /** k6's protocol, 'HTTP/1.1' ('' when no answer came). */
  proto: string;
  /** k6's: the cookies this response set, `{ name: [{ name, value, domain, path, ... }] }`. */
  cookies: Record<string, ResponseCookie[]>;
  /** The body parsed as JSON (parsed once); with k6's selector, a GJSON path into it (`items.0.id`, `items.#`). */
  json(selector?: string): unknown;
}

/** k6's res.json([selector]): the body parsed once, on the first call. */
function jsonOf(body: string | ArrayBuffer | null): (selector?: string) => unknown {
  let parsed: { value: unknown } | undefined;
  return (selector?: string) => {
    if (body === null)
      throw new TypeError(
        "res.json(): the response has no body (responseType 'none', or options.discardResponseBodies)",
      );
    parsed ??= { value: JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) };
    return selector === undefined ? parsed.value : selectJson(parsed.value, selector);
  };
}

export type Body = string | Uint8Array | Record<string, unknown> | null | undefined;

/** Each scenario's connections (keep-alive per origin), so one scenario's end leaves the others'. */
const agents = new Map<string, Agent>();
function dispatcher(scenario: string): Agent {
  let agent = agents.get(scenario);
  if (agent === undefined) {
    const tls = runtime().tls;
    // per origin: the client certificate options.tlsAuth gives its host
    agent = new Agent({
      keepAliveTimeout: 30_000,
      factory: (origin: string | URL, opts: Pool.Options) =>
        new Pool(origin, {
          ...opts,
          connect: tlsAlertConnector(tlsVerifyOptions(tls, new URL(origin).hostname), timeConnection),
        }),
    });
    agents.set(scenario, agent);
  }
  return agent;
}

/**
 * Ends a scenario's connections (the factory calls it at the scenario's end): requests still
 * in flight are cut, not waited for (their iterations were abandoned when gracefulStop ran out).
 */
export async function closeHttp(scenario: string): Promise<void> {
  const a = agents.get(scenario);
  agents.delete(scenario);
  await a?.destroy().catch(() => undefined);
}

const evs = new WeakMap<object, RequestEvent>();

function timeoutMs(t: number | string | undefined): number {
  if (t === undefined) return 60_000;
  if (typeof t === 'number') return t;
  // a duration as k6 writes one ('500ms', '10s', '1m30s'); a bare number in a string is seconds
  const ms = parseDuration(t);
  if (Number.isNaN(ms))
    throw new TypeError(`invalid timeout '${t}' (a duration like '10s', '1m30s', or ms as a number)`);
  return ms;
}

/** k6's http.url`...`: a URL whose requests are named by their template (URL grouping). */
export class TemplateUrl {
  constructor(
    readonly url: string,
    /** The template with `${}` for each value, as k6 names it: `http://shop.test/items/${}`. */
    readonly name: string,
  ) {}
  toString(): string {
    return this.url;
  }
}

/** What stands for each value in a template URL's name (k6's). */
const PLACEHOLDER = ['$', '{}'].join('');

/** k6's http.url tagged template: `http.get(http.url\`${BASE}/items/${id}\`)` is named `.../items/${}`. */
export function url(strings: TemplateStringsArray, ...values: unknown[]): TemplateUrl {
  let full = strings[0];
  for (let i = 0; i < values.length; i++) full += String(values[i]) + strings[i + 1];
  return new TemplateUrl(full, strings.join(PLACEHOLDER));
}

export type Url = string | TemplateUrl;

export function request(
  method: string,
  url: Url,
  body?: Body,
  params: RequestParams = {},
): Promise<Response> {
  const call = `http.${method === 'DELETE' ? 'del' : method.toLowerCase()}()`;
  const s = current(call);
  if (s.end.stopped) return never();
  if (url instanceof TemplateUrl) {
    // the template names the request unless tags.name does (k6's rule)
    if (params.tags?.name === undefined && params.name === undefined)
      params = { ...params, tags: { ...params.tags, name: url.name } };
    url = url.url;
  }
  // k6's `const res = http.get(url)` (no await) fails naming the await, not res.json
  return markResponsePromise(tracked(s, send(s, method, url, body, params)), call);
}

/** Statuses a request follows to their `Location` (k6 follows up to 10, `params.redirects`). */
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** One request on the wire: its answer (status 0 and `error` when none came). */
interface Hop {
  status: number;
  body: string | ArrayBuffer | null;
  error: string | null;
  headers: Record<string, string>;
  setCookies: string[];
  timings: Timings;
}

function vuJar(s: IterationStore): CookieJar {
  s.cookies ??= new CookieJar();
  return s.cookies;
}

/** The Cookie header: the jar's cookies for `u`, with `params.cookies` over them (k6's). */
function cookieHeader(jar: CookieJar, u: URL, extra: RequestParams['cookies']): string | undefined {
  // the usual request: no cookie anywhere, nothing to build
  if (jar.empty && extra === undefined) return undefined;
  const pairs = new Map<string, string>();
  for (const c of jar.matching(u)) if (!pairs.has(c.name)) pairs.set(c.name, c.value);
  for (const [k, v] of Object.entries(extra ?? {})) pairs.set(k, typeof v === 'string' ? v : String(v.value));
  if (pairs.size === 0) return undefined;
  return [...pairs].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** The URL of a request, or an error naming the call and the URL (Node's says only 'Invalid URL'). */
function parseUrl(method: string, url: string): URL {
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch {
    // below
  }
  throw new TypeError(`http ${method} '${url}': not an absolute http:// or https:// URL`);
}

async function send(
  s: IterationStore,
  method: string,
  url: string,
  body: Body,
  params: RequestParams,
): Promise<Response> {
  let m = method.toUpperCase();
  let u = parseUrl(m, url);
  const headers: Record<string, string> = { ...params.headers };
  let payload: string | Uint8Array | undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
  else if (body !== null && body !== undefined) {
    payload = JSON.stringify(body);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const expected = expectationOf(
    params,
    s.responseCallback !== undefined ? s.responseCallback : loadTimeCallback,
  );
  const jar = vuJar(s);
  // a Cookie header of the script's own is sent as it is, without the jar's
  const ownCookie = Object.keys(headers).some((k) => k.toLowerCase() === 'cookie');
  let redirectsLeft = params.redirects ?? 10;
  // the URL as the script wrote it until a redirect is followed (the `url` tag, `res.url`)
  let shown = url;
  for (;;) {
    const cookie = ownCookie ? undefined : cookieHeader(jar, u, params.cookies);
    const sent = cookie === undefined ? headers : { ...headers, cookie };
    const hop = await once(s, m, u, shown, sent, payload, expected, params);
    // the scenario ended while this request was out: its iteration is abandoned, not counted
    if (hop === null) return never();
    jar.store(u, hop.setCookies);
    const location = hop.headers.location;
    if (hop.error === null && REDIRECT.has(hop.status) && location !== undefined && redirectsLeft > 0) {
      redirectsLeft--;
      u = new URL(location, u);
      shown = u.href;
      // as browsers and k6 (Go) do: 303, and 301/302 of a POST, go on as a GET without the body
      if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && m !== 'GET' && m !== 'HEAD')) {
        m = m === 'HEAD' ? 'HEAD' : 'GET';
        payload = undefined;
        for (const k of Object.keys(headers))
          if (k.toLowerCase() === 'content-type' || k.toLowerCase() === 'content-length') delete headers[k];
      }
      continue;
    }
    const text = hop.body;
    return {
      url: shown,
      status: hop.status,
      body: text,
      headers: hop.headers,
      cookies: responseCookies(u, hop.setCookies),
      error: hop.error,
      error_code: k6ErrorCode(hop.status, hop.error),
      status_text: k6StatusText(hop.status),
      proto: hop.status === 0 ? '' : 'HTTP/1.1',
      timings: hop.timings,
      json: jsonOf(text),
    };
  }
}

/** Sends one request and records it (one sample each, a redirect's hops too); null when the scenario ended meanwhile. */
async function once(
  s: IterationStore,
  m: string,
  u: URL,
  shown: string,
  headers: Record<string, string>,
  payload: string | Uint8Array | undefined,
  expected: ReturnType<typeof expectationOf>,
  params: RequestParams,
): Promise<Hop | null> {
  const fromUs = measureFrom(s);
  const times = newHopTimes();
  let status = 0;
  let body: string | ArrayBuffer | null = null;
  let bytes = 0;
  const type = responseTypeOf(params);
  let error: string | null = null;
  let resHeaders: Record<string, string> = {};
  let setCookies: string[] = [];
  // the whole request, to the end of the body, as k6's timeout (undici's own headers and body
  // timeouts tick at about a second: 100 ms did not time out, 1 s took 1.5 s). A controller and
  // a timer cleared at the end: AbortSignal.timeout costs about 8 µs a request and holds its
  // timer for the whole timeout.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs(params.timeout));
  // the VU's end (its gracefulRampDown ran out) aborts it too: not counted (below)
  const cuts = s.end.requests;
  cuts?.add(timeout);
  try {
    watch(times);
    let pending: ReturnType<typeof undiciRequest>;
    try {
      pending = undiciRequest(u, {
        method: m as 'GET',
        headers,
        body: payload,
        dispatcher: dispatcher(s.scenario),
        signal: timeout.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
    } finally {
      unwatch();
    }
    const r = await pending;
    status = r.statusCode;
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) resHeaders[k] = String(v);
    const sc = r.headers['set-cookie'];
    setCookies = sc === undefined ? [] : Array.isArray(sc) ? sc : [sc];
    if (type === 'text') {
      body = await r.body.text();
      bytes = Buffer.byteLength(body);
    } else if (type === 'binary') {
      body = await r.body.arrayBuffer();
      bytes = body.byteLength;
    } else for await (const chunk of r.body) bytes += (chunk as Buffer).length;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    error = timeout.signal.aborted ? 'timeout' : (err.cause?.code ?? err.code ?? err.message);
    warnCertOnce(u.origin, error);
    // an error after the head (the body timed out or broke off) is a failed request too: status 0
    status = 0;
    body = null;
    bytes = 0;
    resHeaders = {};
    setCookies = [];
  } finally {
    clearTimeout(timer);
    cuts?.delete(timeout);
  }
  warnMediaTypeOnce(u, m, status, headers, payload !== undefined);
  if (s.end.stopped) return null;
  const endUs = nowUs();
  const ok = error === null && isExpected(expected, status);
  let ev = evs.get(s.events);
  if (ev === undefined) {
    ev = newRequestEvent();
    evs.set(s.events, ev);
  }
  ev.type = m;
  ev.name = params.tags?.name ?? params.name ?? u.pathname;
  ev.latencyUs = endUs - fromUs;
  ev.ok = ok;
  ev.status = status;
  ev.error = ok ? null : (error ?? `HTTP ${status}`);
  ev.bytes = bytes;
  ev.timeUs = endUs;
  s.events.emit(ev);
  const t = phases(times, fromUs, endUs);
  const sent = bytesSent(
    times,
    m,
    payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
  );
  recordPhases(s, t, sent);
  recordHttpSubmetrics(s, ev, shown, params, t);
  streamHttp(s, ev, shown, params, t, sent);
  // a request that failed answers an empty body, as before, unless none was asked for
  if (error !== null && type !== 'none') body = type === 'binary' ? new ArrayBuffer(0) : '';
  return { status, body, error, headers: resHeaders, setCookies, timings: t };
}

/** The request's phases into the scenario's trends (and the live view), its bytes into data_sent. */
function recordPhases(s: IterationStore, t: PhaseTimes, sent: number): void {
  const live = liveScenario(s.scenario);
  for (const [metric, field] of PHASE_METRICS) {
    const us = t[field] * 1000;
    recorderIn(s.trends, metric).record(us);
    if (live !== null) recorderIn(live.trends, metric).record(us);
  }
  // counted here, streamed by streamHttp with the request's tags
  if (sent > 0) {
    const key = counterKey.counter('data_sent');
    s.counters.set(key, (s.counters.get(key) ?? 0) + sent);
    if (live !== null) live.counters.set(key, (live.counters.get(key) ?? 0) + sent);
  }
}

/**
 * The request's samples for `--out json` (runtime().sink), tagged as k6 tags them: the request's
 * own `params.tags`, then `group`, `method`, `name`, `proto`, `status`, `url` and
 * `expected_response` (the run adds `scenario` and options.tags); its body bytes are a sample
 * of data_received, tagged `group` (k6 counts data per iteration, not per request).
 */
function streamHttp(
  s: IterationStore,
  ev: RequestEvent,
  url: string,
  params: RequestParams,
  t: PhaseTimes,
  sent: number,
): void {
  const sink = runtime().sink;
  if (sink === null) return;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(params.tags ?? {})) if (v !== undefined) tags[k] = String(v);
  tags.group = s.group;
  tags.method = ev.type;
  tags.name = ev.name;
  // undici speaks HTTP/1.1 here; a request that got no response has no protocol (k6: '')
  tags.proto = ev.status === 0 ? '' : 'HTTP/1.1';
  tags.status = String(ev.status);
  tags.url = url;
  tags.expected_response = String(ev.ok);
  sink('http_req_duration', 'trend', ev.latencyUs / 1000, s.scenario, tags);
  for (const [metric, field] of PHASE_METRICS) sink(metric, 'trend', t[field], s.scenario, tags);
  sink('http_reqs', 'counter', 1, s.scenario, tags);
  sink('http_req_failed', 'rate', ev.ok ? 0 : 1, s.scenario, tags);
  if (sent > 0) sink('data_sent', 'counter', sent, s.scenario, { group: s.group });
  if (ev.bytes > 0) sink('data_received', 'counter', ev.bytes, s.scenario, { group: s.group });
}

/** The request's samples of the submetrics declared on http_req_duration, its phases, http_req_failed, http_reqs. */
function recordHttpSubmetrics(
  s: IterationStore,
  ev: RequestEvent,
  url: string,
  params: RequestParams,
  t: PhaseTimes,
): void {
  const dur = submetricsOf('http_req_duration');
  const failed = submetricsOf('http_req_failed');
  const reqs = submetricsOf('http_reqs');
  const phased = HTTP_PHASES.some((p) => submetricsOf(p) !== undefined);
  if (dur === undefined && failed === undefined && reqs === undefined && !phased) return;
  const tag = (k: string): string | undefined => {
    switch (k) {
      case 'name':
        return ev.name;
      case 'method':
        return ev.type;
      case 'status':
        return String(ev.status);
      case 'expected_response':
        return ev.ok ? 'true' : 'false';
      case 'group':
        return s.group;
      case 'url':
        return url;
      default:
        return params.tags?.[k];
    }
  };
  if (dur !== undefined) recordTagged(s, dur, 'trend', ev.latencyUs / 1000, tag);
  if (failed !== undefined) recordTagged(s, failed, 'rate', ev.ok ? 0 : 1, tag);
  if (reqs !== undefined) recordTagged(s, reqs, 'counter', 1, tag);
  if (phased)
    for (const [metric, field] of PHASE_METRICS) {
      const subs = submetricsOf(metric);
      if (subs !== undefined) recordTagged(s, subs, 'trend', t[field], tag);
    }
}

export const get = (url: Url, params?: RequestParams) => request('GET', url, undefined, params);
export const head = (url: Url, params?: RequestParams) => request('HEAD', url, undefined, params);
export const post = (url: Url, body?: Body, params?: RequestParams) => request('POST', url, body, params);
export const put = (url: Url, body?: Body, params?: RequestParams) => request('PUT', url, body, params);
export const patch = (url: Url, body?: Body, params?: RequestParams) => request('PATCH', url, body, params);
export const del = (url: Url, body?: Body, params?: RequestParams) => request('DELETE', url, body, params);
/** k6's http.options(url, body?, params?): an OPTIONS request. */
export const options = (url: Url, body?: Body, params?: RequestParams) =>
  request('OPTIONS', url, body, params);
/** k6's http.asyncRequest: here every request is a promise already, so it is http.request. */
export const asyncRequest = request;

export type BatchRequest =
  | Url
  | [method: string, url: Url, body?: Body, params?: RequestParams]
  | { method?: string; url: Url; body?: Body; params?: RequestParams };

/**
 * k6's http.batch: the requests sent at once (each its own sample), answered in the same shape,
 * an array for an array, an object for an object of named requests.
 */
export function batch(requests: BatchRequest[]): Promise<Response[]>;
export function batch(requests: Record<string, BatchRequest>): Promise<Record<string, Response>>;
export async function batch(
  requests: BatchRequest[] | Record<string, BatchRequest>,
): Promise<Response[] | Record<string, Response>> {
  const one = (r: BatchRequest, at: string): Promise<Response> => {
    if (typeof r === 'string' || r instanceof TemplateUrl) return request('GET', r);
    if (Array.isArray(r)) return request(r[0], r[1], r[2], r[3]);
    if (typeof r === 'object' && r !== null && (typeof r.url === 'string' || r.url instanceof TemplateUrl))
      return request(r.method ?? 'GET', r.url, r.body, r.params);
    throw new TypeError(
      `http.batch(): request ${at} is not a URL, [method, url, body?, params?] or { method, url, body?, params? }`,
    );
  };
  if (Array.isArray(requests)) return Promise.all(requests.map((r, i) => one(r, String(i))));
  const names = Object.keys(requests);
  const all = await Promise.all(names.map((n) => one(requests[n], JSON.stringify(n))));
  return Object.fromEntries(names.map((n, i) => [n, all[i]]));
}

function responseTypeOf(params: RequestParams): 'text' | 'binary' | 'none' {
  const t = params.responseType;
  if (t === undefined) return runtime().discardBodies ? 'none' : 'text';
  if (t !== 'text' && t !== 'binary' && t !== 'none')
    throw new TypeError(`params.responseType must be 'text', 'binary' or 'none' (got ${JSON.stringify(t)})`);
  return t;
}

/** setResponseCallback() called at load time (k6's init context): every VU's default in this thread. */
let loadTimeCallback: ResponseCallback | null | undefined;

/**
 * k6's http.setResponseCallback(cb): the rule of later requests (null: every status expected).
 * At load time (top level) for every VU, as k6 runs the init code in each VU; in an iteration
 * for its VU's later requests.
 */
export function setResponseCallback(cb: ResponseCallback | null): void {
  const checked = checkResponseCallback(cb);
  const s = runtime().als.getStore();
  if (s === undefined) loadTimeCallback = checked;
  else s.responseCallback = checked;
}

/** k6's http.cookieJar(): the VU's jar (its cookies are sent with the VU's requests). */
export function cookieJar(): CookieJar {
  return vuJar(current('http.cookieJar()'));
}

export { expectedStatuses };

export default {
  request,
  get,
  head,
  post,
  put,
  patch,
  del,
  options,
  asyncRequest,
  url,
  batch,
  expectedStatuses,
  setResponseCallback,
  cookieJar,
};
