/**
 * Prebuilt HTTP/1.1 requests: the request line, headers and body as ONE Buffer per distinct
 * request, built once and written as is for every iteration (no per-request formatting).
 * Host and Content-Length are added unless given; keep-alive is HTTP/1.1's default.
 */

import { envSigner, type RequestSigner } from './request-signer.ts';

export interface HttpRequestSpec {
  /** Default 'GET'. */
  method?: string;
  /** Path and query (default: the base URL's). */
  path?: string;
  /** Header name -> value, or [name, value] pairs (repeatable names). */
  headers?: Record<string, string> | [string, string][];
  body?: string | Uint8Array;
  /** Stats name (default: the path without the query). */
  name?: string;
}

export interface PreparedRequest {
  /** Locust's Type column: the method. */
  method: string;
  name: string;
  /** The whole request, ready to write. */
  bytes: Buffer;
  /** HEAD: the response has no body. */
  head: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * With a signer (`signer`, default: env TICKSTORM_KEY_ID/SECRET, request-signer.ts), `bytes`
 * is re-signed at most once per second and reused in between.
 */
export function prepareRequest(
  base: string | URL,
  spec: HttpRequestSpec = {},
  signer: RequestSigner | null = envSigner(),
): PreparedRequest {
  const url = typeof base === 'string' ? new URL(base) : base;
  const method = (spec.method ?? 'GET').toUpperCase();
  if (!TOKEN.test(method)) throw new TypeError(`invalid HTTP method '${method}'`);
  const path = spec.path ?? `${url.pathname}${url.search}`;
  if (!path.startsWith('/') || /[\s]/.test(path)) throw new TypeError(`invalid request path '${path}'`);
  const pairs = Array.isArray(spec.headers) ? spec.headers : Object.entries(spec.headers ?? {});
  const body =
    spec.body === undefined
      ? undefined
      : typeof spec.body === 'string'
        ? Buffer.from(spec.body)
        : Buffer.from(spec.body);
  let head = `${method} ${path} HTTP/1.1\r\n`;
  const has = new Set<string>();
  for (const [k, v] of pairs) {
    if (!TOKEN.test(k)) throw new TypeError(`invalid header name '${k}'`);
    if (/[\r\n]/.test(v)) throw new TypeError(`invalid value for header '${k}'`);
    has.add(k.toLowerCase());
    head += `${k}: ${v}\r\n`;
  }
  if (!has.has('host')) head = head.replace('\r\n', `\r\nHost: ${url.host}\r\n`);
  const needsLength = body !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH';
  if (needsLength && !has.has('content-length') && !has.has('transfer-encoding')) {
    head += `Content-Length: ${body?.length ?? 0}\r\n`;
  }
  if (signer !== null)
    return signedRequest(spec.name ?? path.split('?')[0], method, path, head, body, signer);
  head += '\r\n';
  const h = Buffer.from(head, 'latin1');
  return {
    method,
    name: spec.name ?? path.split('?')[0],
    bytes: body === undefined ? h : Buffer.concat([h, body]),
    head: method === 'HEAD',
  };
}

/** A prepared request whose bytes carry a signature refreshed every `signer.refreshMs`. */
function signedRequest(
  name: string,
  method: string,
  path: string,
  head: string,
  body: Buffer | undefined,
  signer: RequestSigner,
): PreparedRequest {
  let bytes: Buffer = Buffer.alloc(0);
  let signedAt = Number.NEGATIVE_INFINITY;
  const refresh = signer.refreshMs;
  return {
    method,
    name,
    head: method === 'HEAD',
    get bytes(): Buffer {
      const now = Date.now();
      if (now - signedAt >= refresh) {
        signedAt = now;
        const h = Buffer.from(`${head}${signer.headerBlock(method, path, body, now)}\r\n`, 'latin1');
        bytes = body === undefined ? h : Buffer.concat([h, body]);
      }
      return bytes;
    },
  };
}

/** Parses "Name: value" (the CLI's -H). */
export function parseHeaderLine(line: string): [string, string] | null {
  const i = line.indexOf(':');
  if (i <= 0) return null;
  const k = line.slice(0, i).trim();
  return TOKEN.test(k) ? [k, line.slice(i + 1).trim()] : null;
}
