/**
 * The `sslmode` of a PostgreSQL metrics store URL, checked before anything connects.
 *
 * node-postgres (pg-connection-string) turns TLS on for any `sslmode` it does not know
 * (`sslmode=bogus`, `sslmode=Require`, `sslmode=`), so a typo used to be accepted silently;
 * libpq refuses such a URL. The values accepted here are libpq's six plus node-postgres's own
 * `no-verify`; anything else is TRD_ERR_INVALID_CONFIG (the CLI exits 2) naming the parameter
 * and the allowed values, the URL shown without its password. How node-postgres honours each
 * value (not always as libpq does: `prefer` does not fall back to plain text, `require`
 * verifies the certificate) is in docs/metrics-store.md, "TLS (sslmode)".
 *
 * `PGSSLMODE` is checked the same way when node-postgres reads it (the URL has no TLS parameter:
 * ssl, sslmode, sslcert, sslkey, sslrootcert, sslnegotiation): an unknown value there silently
 * meant no TLS. Empty counts as unset, as node-postgres reads it.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import { redactUrl } from './metrics-store.ts';

/** URL parameters after which node-postgres ignores PGSSLMODE. */
const TLS_PARAMS = ['ssl', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation'];

/** libpq's modes, then node-postgres's `no-verify` (TLS, certificate not checked). */
export const PG_SSLMODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
] as const;

export type PgSslMode = (typeof PG_SSLMODES)[number];

function isSslMode(v: string): v is PgSslMode {
  return (PG_SSLMODES as readonly string[]).includes(v);
}

/** The URL's query parameters as node-postgres reads them (also when `new URL` refuses the URL). */
function queryOf(url: string): URLSearchParams {
  try {
    return new URL(url).searchParams;
  } catch {
    const q = url.indexOf('?');
    if (q < 0) return new URLSearchParams();
    const h = url.indexOf('#', q);
    return new URLSearchParams(url.slice(q + 1, h < 0 ? undefined : h));
  }
}

function quote(v: string): string {
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}..."` : s;
}

/**
 * Throws TRD_ERR_INVALID_CONFIG (field `sslmode`) when `url` carries an `sslmode` (every
 * occurrence) that is not one of PG_SSLMODES, or when it carries no TLS parameter and
 * `env.PGSSLMODE` is such a value. Case matters, as in libpq: `Require` is refused.
 */
export function checkPgSslMode(url: string, env: NodeJS.ProcessEnv = process.env): void {
  const q = queryOf(url);
  const envMode = env.PGSSLMODE ?? '';
  const fromEnv = envMode !== '' && TLS_PARAMS.every((k) => !q.has(k));
  const values = fromEnv ? [envMode] : q.getAll('sslmode');
  const bad = values.find((v) => !isSslMode(v));
  if (bad === undefined) return;
  const where = fromEnv ? 'PGSSLMODE' : 'sslmode';
  throw new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `cannot open metrics store ${redactUrl(url)}: ${where} ${quote(bad)} is not a TLS mode; ` +
      `sslmode must be one of ${PG_SSLMODES.join(', ')} (docs/metrics-store.md, "TLS (sslmode)")`,
    'sslmode',
  );
}
