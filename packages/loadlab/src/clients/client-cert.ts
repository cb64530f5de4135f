/**
 * Client certificates (mutual TLS): what the lab's clients present to a server that asks for
 * one. `tickstorm http` and `tickstorm swarm` take one pair for every host (`--cert FILE
 * --key FILE`, PEM); a script lists several in k6's `options.tlsAuth`, each for some domains.
 * Checked up front (every problem names where it came from): PEM certificates that parse, a
 * PEM private key that parses (k6's `password` for an encrypted one), a key that is the
 * certificate's, and a pair OpenSSL takes for a secure context (not, e.g., a key below its
 * security level).
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

export interface ClientCert {
  /**
   * The hosts it is for: a name (`api.example.com`, any case), an IP, or `*.example.com`
   * (one label). Absent or empty: every host.
   */
  domains?: string[];
  /** PEM: the certificate, then any intermediates. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** The encrypted key's passphrase (k6's `password`). */
  passphrase?: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/;

/** Whether `c` is for `host` (a URL's hostname, IPv6 without brackets). */
export function certIsFor(c: ClientCert, host: string): boolean {
  if (c.domains === undefined || c.domains.length === 0) return true;
  const h = host.toLowerCase().replace(/^\[|\]$|\.$/g, '');
  for (const d of c.domains) {
    const name = d.toLowerCase().replace(/^\[|\]$|\.$/g, '');
    if (name === h) return true;
    if (name.startsWith('*.')) {
      const dot = h.indexOf('.');
      if (dot > 0 && h.slice(dot + 1) === name.slice(2)) return true;
    }
  }
  return false;
}

/** The first of `certs` that is for `host` (k6's tlsAuth order), or undefined. */
export function clientCertFor(
  certs: readonly ClientCert[] | undefined,
  host: string,
): ClientCert | undefined {
  if (certs === undefined) return undefined;
  for (const c of certs) if (certIsFor(c, host)) return c;
  return undefined;
}

/**
 * What is wrong with a certificate and key pair (PEM texts), worded after `certWhere` and
 * `keyWhere` (`--cert a.pem`, `options.tlsAuth[0].cert`); undefined when they can be used.
 */
export function clientCertProblem(c: ClientCert, certWhere: string, keyWhere: string): string | undefined {
  const blocks = c.cert.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0)
    return `${certWhere}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`;
  let leaf: X509Certificate | undefined;
  for (let i = 0; i < blocks.length; i++) {
    try {
      const x = new X509Certificate(blocks[i]);
      leaf ??= x;
    } catch {
      return `${certWhere}: certificate ${i + 1} of ${blocks.length} is not a valid PEM certificate`;
    }
  }
  const pem = KEY_BLOCK.exec(c.key)?.[0];
  if (pem === undefined) return `${keyWhere}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`;
  const encrypted = pem.startsWith('-----BEGIN ENCRYPTED') || pem.includes('Proc-Type: 4,ENCRYPTED');
  if (encrypted && c.passphrase === undefined)
    return `${keyWhere}: the key is encrypted (give a key without a passphrase${keyWhere.startsWith('options.') ? ', or its password' : ''})`;
  let key: KeyObject;
  try {
    key = createPrivateKey(c.passphrase === undefined ? pem : { key: pem, passphrase: c.passphrase });
  } catch (e) {
    return `${keyWhere}: not a valid private key (${c.passphrase === undefined ? (e as Error).message : 'wrong password, or not a valid key'})`;
  }
  if (!leaf!.checkPrivateKey(key))
    return `${keyWhere} is not the key of ${certWhere} (the certificate's public key does not match it)`;
  // what every connection will do with them: OpenSSL refuses some pairs that parse (a key below
  // its security level, ERR_SSL_EE_KEY_TOO_SMALL), which would otherwise surface at the first
  // connection (an uncoded crash of http and swarm, every request of a script failed)
  try {
    createSecureContext({
      cert: c.cert,
      key: c.key,
      ...(c.passphrase === undefined ? {} : { passphrase: c.passphrase }),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.message.replace(/^error:[0-9A-F]+:[^:]*::/, '');
    return `${certWhere} with ${keyWhere}: OpenSSL refuses them as a client certificate (${err.code === undefined ? '' : `${err.code}: `}${why})`;
  }
  return undefined;
}

/**
 * Reads `--cert FILE` and `--key FILE` (every problem names its flag): the pair, or undefined
 * when neither was given or one is wrong. A certificate file that also holds the key (curl's
 * way) needs no --key.
 */
export function loadClientCertFiles(
  certFile: string | undefined,
  keyFile: string | undefined,
  problems: string[],
  flags: { cert: string; key: string } = { cert: '--cert', key: '--key' },
): ClientCert | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) {
    problems.push(`${flags.key} needs ${flags.cert} FILE (the client certificate the key belongs to)`);
    return undefined;
  }
  const read = (flag: string, file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      problems.push(`${flag} ${file}: cannot read it (${why})`);
      return undefined;
    }
  };
  const cert = read(flags.cert, certFile);
  const key = keyFile === undefined ? cert : read(flags.key, keyFile);
  if (cert === undefined || key === undefined) return undefined;
  if (keyFile === undefined && !KEY_BLOCK.test(key)) {
    problems.push(`${flags.cert} ${certFile}: holds no private key: give it with ${flags.key} FILE`);
    return undefined;
  }
  if (keyFile !== undefined && !KEY_BLOCK.test(key)) {
    const signing = flags.key === '--key' ? ' (an API signing key goes to --key-file)' : '';
    problems.push(
      `${flags.key} ${keyFile}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)${signing}`,
    );
    return undefined;
  }
  const keyWhere = keyFile === undefined ? `${flags.cert} ${certFile}` : `${flags.key} ${keyFile}`;
  const problem = clientCertProblem({ cert, key }, `${flags.cert} ${certFile}`, keyWhere);
  if (problem !== undefined) {
    problems.push(problem);
    return undefined;
  }
  // only the PEM blocks each option takes (a combined file holds both)
  return { cert: (cert.match(CERT_BLOCK) ?? []).join('\n'), key: KEY_BLOCK.exec(key)![0] };
}
