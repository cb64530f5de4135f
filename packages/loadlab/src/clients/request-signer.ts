/**
 * Signing for the load lab (docs/security.md): a key `{id, secret}` from `--key-file FILE`
 * or env TICKSTORM_KEY_ID / TICKSTORM_KEY_SECRET (the CLI sets the env from the file, so
 * generator threads inherit it). Prebuilt requests (http-request.ts) stay prebuilt: a signed
 * one rebuilds its bytes (one HMAC, one copy) at most once per `refreshMs` (default 1 s)
 * and reuses them in between, well inside the server's +-5 s window; the cost per request is
 * a clock read and a compare. Requests whose bytes are edited in place after preparing
 * (db-http-script's batch numbers) must be signed per request with `headersFor`.
 */
import { readFileSync } from 'node:fs';
import { signRequest } from '@tickstorm/protocol';

export interface KeySpec {
  id: string;
  secret: string;
}

export class RequestSigner {
  constructor(
    readonly keyId: string,
    private readonly secret: string,
    readonly refreshMs = 1_000,
  ) {}

  /** The three auth headers for one request, signed now. */
  headersFor(method: string, pathWithQuery: string, body?: string | Uint8Array, now = Date.now()) {
    const ts = String(now);
    return {
      'X-TS-Key': this.keyId,
      'X-TS-Timestamp': ts,
      'X-TS-Signature': signRequest(this.secret, ts, method, pathWithQuery, body),
    };
  }

  /** The header lines (CRLF-terminated) for a prebuilt request. */
  headerBlock(method: string, pathWithQuery: string, body: Uint8Array | undefined, now: number): string {
    const h = this.headersFor(method, pathWithQuery, body, now);
    return `X-TS-Key: ${h['X-TS-Key']}\r\nX-TS-Timestamp: ${h['X-TS-Timestamp']}\r\nX-TS-Signature: ${h['X-TS-Signature']}\r\n`;
  }

  toJSON(): unknown {
    return { keyId: this.keyId };
  }
}

/** Reads `{"id","secret"}` (a key file); throws a message naming the file and the problem. */
export function readKeyFile(path: string): KeySpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`--key-file ${path}: ${(err as Error).message}`);
  }
  const k = raw as Partial<KeySpec>;
  if (typeof k?.id !== 'string' || typeof k.secret !== 'string' || k.id === '' || k.secret === '') {
    throw new Error(`--key-file ${path}: expected {"id": "...", "secret": "..."}`);
  }
  return { id: k.id, secret: k.secret };
}

/** `--key-file`: exported to env so that every generator thread signs with it. */
export function useKeyFile(path: string | undefined): void {
  if (path === undefined) return;
  const k = readKeyFile(path);
  process.env.TICKSTORM_KEY_ID = k.id;
  process.env.TICKSTORM_KEY_SECRET = k.secret;
}

let fromEnv: RequestSigner | null | undefined;

/** The signer from env TICKSTORM_KEY_ID / TICKSTORM_KEY_SECRET, or null (unsigned). */
export function envSigner(): RequestSigner | null {
  const id = process.env.TICKSTORM_KEY_ID;
  const secret = process.env.TICKSTORM_KEY_SECRET;
  if (fromEnv !== undefined && (fromEnv === null ? id === undefined : fromEnv.keyId === id)) return fromEnv;
  fromEnv =
    id !== undefined && id !== '' && secret !== undefined && secret !== ''
      ? new RequestSigner(id, secret)
      : null;
  return fromEnv;
}
