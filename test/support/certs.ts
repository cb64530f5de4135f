/**
 * Test certificates made with openssl at test time: a self-signed RSA key and certificate (also
 * a test CA), and one signed by such a CA, written where the caller says.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

export interface CaSignedOptions {
  /** The signing CA's key and certificate (e.g. made by selfSignedCert). */
  caKey: string;
  caCert: string;
  key: string;
  cert: string;
  cn: string;
  /** A subjectAltName extension (`IP:127.0.0.1,DNS:localhost`), or none. */
  san?: string;
  days: number;
  cwd: string;
}

/** A new RSA key and a certificate for it signed by a test CA (a server's, or a client's for mutual TLS). */
export function caSignedCert(o: CaSignedOptions): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: o.cwd, stdio: 'ignore' });
  const csr = `${o.cert}.csr`;
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${o.cn}`, '-keyout', o.key, '-out', csr);
  const ext = `${o.cert}.ext`;
  if (o.san !== undefined) writeFileSync(join(o.cwd, ext), `subjectAltName=${o.san}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    o.caCert,
    '-CAkey',
    o.caKey,
    '-CAcreateserial',
    '-days',
    String(o.days),
    ...(o.san === undefined ? [] : ['-extfile', ext]),
    '-out',
    o.cert,
  );
}
