/**
 * A bound on the request bodies a service holds before their signature is checked (keys on).
 * A body is read whole before its HMAC can be verified, so without a bound anyone who knows a
 * key's id (not a secret: it travels in every request) could hold a body of up to the route's
 * limit (16 MiB on the api) per connection with a made-up signature: 10 such connections held
 * 153 MB of the api's process, and a few hundred would exhaust its memory. Each body reserves
 * its declared length (the route's limit when chunked) until its signature is checked or its
 * request ends; one that does not fit is answered 503 TRD_ERR_OVERLOADED with Retry-After
 * before any of it is read (the connection is closed, its body unread).
 */
import type { IncomingMessage } from 'node:http';

/** The default bound per service: eight bodies at the api's 16 MiB limit. */
export const DEFAULT_MAX_UNVERIFIED_BODY_BYTES = 128 * 1024 * 1024;

export class UnverifiedBodies {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  /** Reserves `n` bytes; false (nothing reserved) when they do not fit. */
  reserve(n: number): boolean {
    if (this.held + n > this.maxBytes && this.held > 0) return false;
    this.held += n;
    return true;
  }

  release(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}

/** What a body will take at most: its Content-Length, capped by the route's limit (which also stands for a chunked one). */
export function declaredBodyBytes(req: IncomingMessage, bodyLimit: number): number {
  const len = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || len === undefined) return bodyLimit;
  const n = Number(len);
  return Number.isSafeInteger(n) && n >= 0 ? Math.min(n, bodyLimit) : bodyLimit;
}
