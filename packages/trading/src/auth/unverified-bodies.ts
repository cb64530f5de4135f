/**
 * A bound on the request bodies a service holds before their signature is checked (keys on).
 * A body is read whole before its HMAC can be verified, so without a bound anyone who knows a
 * key's id (not a secret: it travels in every request) could hold a body of up to the route's
 * limit (16 MiB on the api) per connection with a made-up signature: 10 such connections held
 * 153 MB of the api's process, and a few hundred would exhaust its memory. The bytes a body
 * holds are counted as they arrive, until its signature is checked or its request ends: a
 * request whose announced length (the route's limit when chunked) does not fit beside the
 * bytes held is answered 503 TRD_ERR_OVERLOADED with Retry-After before any of it is read (the
 * connection is closed, its body unread), and a body whose bytes stop fitting as they arrive is
 * answered the same. Bytes announced are not held: a connection that announces a body and
 * sends none takes nothing from the others.
 */
import type { IncomingMessage } from 'node:http';

/** The default bound per service: eight bodies at the api's 16 MiB limit. */
export const DEFAULT_MAX_UNVERIFIED_BODY_BYTES = 128 * 1024 * 1024;

export class UnverifiedBodies {
  private held = 0;

  constructor(readonly maxBytes: number) {}

  /** Whether a body of `n` bytes may start: it fits beside the bytes held, or none are. */
  fits(n: number): boolean {
    return this.held === 0 || this.held + n <= this.maxBytes;
  }

  /**
   * Holds `n` more bytes of a body that holds `own` already; false (nothing held) when they do
   * not fit beside the other bodies' bytes (a body alone may go past the bound).
   */
  reserve(n: number, own = 0): boolean {
    if (this.held + n > this.maxBytes && this.held > own) return false;
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
