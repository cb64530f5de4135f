/**
 * k6's `res.error_code`, `res.status_text` and `res.proto`: what a k6 script reads to tell
 * failures apart (`check(res, { 'no error': (r) => r.error_code === 0 })`). k6's codes
 * (its lib/netext/httpext/error_codes.go): 0 when the request got an answer below 400, 1000 +
 * the status for a 4xx or 5xx answer, and for a request that got none, the code of its
 * network or TLS error (1050 timeout, 1101 no such host, 1212 connection refused, 1220 reset,
 * 1310 unknown authority, 1311 host name mismatch, ...), 1000 for one k6 would not name.
 */
import { STATUS_CODES } from 'node:http';

const BY_ERROR: Readonly<Record<string, number>> = {
  timeout: 1050,
  ENOTFOUND: 1101,
  EAI_AGAIN: 1100,
  EAI_FAIL: 1100,
  EPIPE: 1201,
  ETIMEDOUT: 1211,
  UND_ERR_CONNECT_TIMEOUT: 1211,
  ECONNREFUSED: 1212,
  EHOSTUNREACH: 1213,
  ENETUNREACH: 1213,
  ECONNRESET: 1220,
  UND_ERR_SOCKET: 1220,
  DEPTH_ZERO_SELF_SIGNED_CERT: 1310,
  SELF_SIGNED_CERT_IN_CHAIN: 1310,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 1310,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 1310,
  UNABLE_TO_GET_ISSUER_CERT: 1310,
  ERR_TLS_CERT_ALTNAME_INVALID: 1311,
};

/** k6's error code of a response: `error` is the network error (null when an answer came). */
export function k6ErrorCode(status: number, error: string | null): number {
  if (error === null) return status >= 400 ? 1000 + status : 0;
  const known = BY_ERROR[error];
  if (known !== undefined) return known;
  // any other TLS failure (an alert, an expired certificate, a handshake error)
  if (/^(ERR_SSL_|ERR_TLS_|CERT_)/.test(error)) return 1300;
  return 1000;
}

/** k6's `res.status_text` (Go's `resp.Status`, "200 OK"); empty when no answer came. */
export function k6StatusText(status: number): string {
  if (status === 0) return '';
  const text = STATUS_CODES[status];
  return text === undefined ? String(status) : `${status} ${text}`;
}
