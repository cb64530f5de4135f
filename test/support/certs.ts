/**
 * Test certificates made with openssl at test time: a self-signed RSA key and certificate,
 * written where the caller says.
 */
import { execFileSync } from 'node:child_process';

export interface SelfSignedOptions {
  /** Where the key and the certificate go (paths, or names relative to `cwd`). */
  key: string;
  cert: string;
  /** Subject common name, e.g. `localhost`. */
  cn: string;
  /** A subjectAltName extension (`IP:127.0.0.1`), or none. */
  san?: string;
  days: number;
  cwd?: string;
}

/** `openssl req -x509`: a self-signed key and certificate (also what a test CA is). */
export function selfSignedCert(o: SelfSignedOptions): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${o.cn}`,
      ...(o.san ? ['-addext', `subjectAltName=${o.san}`] : []),
      '-keyout',
      o.key,
      '-out',
      o.cert,
      '-days',
      String(o.days),
    ],
    { cwd: o.cwd, stdio: 'ignore' },
  );
}
