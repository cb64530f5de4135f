/**
 * A server certificate the client refuses fails every request the same way, so the commands
 * say so once, with what to do (--ca, --insecure), instead of counting thousands of identical
 * failures: `tlsCertHint` words an error code, `tlsCertProblem` makes one handshake to find it.
 * `tlsCertHint` also words a server's refusal of the client certificate (mutual TLS): over
 * TLS 1.2 the handshake fails (found before the load), over TLS 1.3 the alert comes after it,
 * so each request reports it.
 */
import tls from 'node:tls';
import { type TlsOptions, tlsConnectOptions } from './tls-options.ts';

/** OpenSSL's and node's codes for a certificate that is not trusted (a CA would make it so). */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);
/** Codes no CA file cures: the certificate's dates, its host names, or the certificate itself. */
const INVALID: Record<string, string> = {
  CERT_HAS_EXPIRED: 'has expired',
  CERT_NOT_YET_VALID: 'is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'does not name this host',
  HOSTNAME_MISMATCH: 'does not name this host',
  CERT_SIGNATURE_FAILURE: 'has a bad signature',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'has a bad signature',
  CERT_REVOKED: 'is revoked',
  INVALID_PURPOSE: 'is not for a server',
};

/** The server's alerts about the client certificate (mutual TLS): none given, or one it refuses. */
const CLIENT: Record<string, string> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'requires a client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'refused the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: "does not trust the client certificate's CA",
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'says the client certificate has expired',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'refused the client certificate',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'denied access to the client certificate',
};

/**
 * "the server's certificate ... (CODE): what to do" (or "the server requires a client
 * certificate ..."), or undefined for a code that is not about a certificate.
 */
export function tlsCertHint(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const client = CLIENT[code];
  if (client !== undefined)
    return `the server ${client} (${code}): present one it accepts with --cert FILE --key FILE (a script: options.tlsAuth)`;
  // TLS 1.2: a server that requires a client certificate and gets none ends the handshake so
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')
    return `the server refused the TLS handshake (${code}): if it requires a client certificate, present one with --cert FILE --key FILE (a script: options.tlsAuth)`;
  if (UNTRUSTED.has(code))
    return `the server's certificate is not trusted (${code}): --ca FILE trusts its CA (or the certificate itself), --insecure skips the check`;
  const why = INVALID[code];
  if (why === undefined) return undefined;
  return `the server's certificate ${why} (${code}): fix the certificate${code.includes('ALTNAME') || code === 'HOSTNAME_MISMATCH' ? ' or use a host name it names' : ''}, or --insecure skips the check`;
}

/**
 * One TLS handshake with `url`'s host: the hint when its certificate is refused; undefined when
 * the handshake succeeds or fails for another reason (refused, timeout: the run reports those).
 */
export function tlsCertProblem(
  url: URL,
  opts: TlsOptions | undefined,
  timeoutMs = 5000,
): Promise<string | undefined> {
  if (url.protocol !== 'https:' && url.protocol !== 'wss:') return Promise.resolve(undefined);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port === '' ? 443 : url.port);
  return new Promise((resolve) => {
    const s = tls.connect({ host, port, ...tlsConnectOptions(host, opts) });
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    s.once('secureConnect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(tlsCertHint(e.code)));
  });
}

const warned = new Set<string>();
/**
 * A script's request refused for its certificate stays a failed request (k6's behaviour), and the
 * first one per origin (per generator thread) also prints why and what to do on stderr.
 */
export function warnCertOnce(origin: string, code: string | null): void {
  const hint = code === null ? undefined : tlsCertHint(code);
  if (hint === undefined || warned.has(origin)) return;
  warned.add(origin);
  process.stderr.write(`WARN ${origin}: ${hint}\n`);
}
