/**
 * TLS settings of the lab's clients (https and wss): `--insecure` skips verifying the server's
 * certificate (a self-signed test system); `--ca FILE` adds PEM certificates to trust besides
 * the system's; client certificates (`--cert/--key`, a script's tlsAuth) are presented to a
 * server that asks for one (client-cert.ts). Structured-cloneable, so they reach every
 * generator thread in params.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';
import { type ClientCert, clientCertFor } from './client-cert.ts';

export interface TlsOptions {
  /** Do not verify the server certificate. */
  insecure?: boolean;
  /** PEM text of extra trusted CA certificates. */
  ca?: string;
  /** Client certificates: the first one for the host is presented when the server asks. */
  clientCerts?: ClientCert[];
}

/**
 * One secure context per `--ca` text and client certificate, made once: a `ca` option given to
 * each `tls.connect` would parse the system's ~140 root certificates again for every connection
 * (about 15 ms of CPU each, which capped a server that closes after each response at ~50
 * connections/s); a `cert`/`key` option would parse the key again each time.
 */
const contexts = new Map<string, SecureContext>();
const certContexts = new WeakMap<ClientCert, Map<string, SecureContext>>();
export function caSecureContext(ca: string): SecureContext {
  let ctx = contexts.get(ca);
  if (ctx === undefined) {
    ctx = createSecureContext({ ca: [...rootCertificates, ca] });
    contexts.set(ca, ctx);
  }
  return ctx;
}

/** The secure context of `ca` (or the system's roots) with client certificate `c`, made once. */
export function clientSecureContext(ca: string | undefined, c: ClientCert): SecureContext {
  let byCa = certContexts.get(c);
  if (byCa === undefined) certContexts.set(c, (byCa = new Map()));
  let ctx = byCa.get(ca ?? '');
  if (ctx === undefined) {
    ctx = createSecureContext({
      ...(ca === undefined ? {} : { ca: [...rootCertificates, ca] }),
      cert: c.cert,
      key: c.key,
      ...(c.passphrase === undefined ? {} : { passphrase: c.passphrase }),
    });
    byCa.set(ca ?? '', ctx);
  }
  return ctx;
}

/**
 * The verification options of a TLS connection to `host` (node:tls or undici's `connect`):
 * --insecure, --ca, and the client certificate for the host (without a host: one for every host).
 */
export function tlsVerifyOptions(tls: TlsOptions | undefined, host = ''): ConnectionOptions {
  const client = tls?.clientCerts === undefined ? undefined : clientCertFor(tls.clientCerts, host);
  const secureContext =
    client !== undefined
      ? clientSecureContext(tls?.ca, client)
      : tls?.ca === undefined
        ? undefined
        : caSecureContext(tls.ca);
  return {
    rejectUnauthorized: tls?.insecure !== true,
    ...(secureContext === undefined ? {} : { secureContext }),
  };
}

/** node:tls connect options for `host`: SNI (unless an IP), verification, extra CAs, client certificate. */
export function tlsConnectOptions(host: string, tls: TlsOptions | undefined): ConnectionOptions {
  return { ...(isIP(host) === 0 ? { servername: host } : {}), ...tlsVerifyOptions(tls, host) };
}

/** Whether `tls` changes anything from the defaults (an own TLS setting of a worker, the fetch dispatcher). */
export function hasTlsSettings(tls: TlsOptions | undefined): boolean {
  return (
    tls !== undefined && (tls.insecure === true || tls.ca !== undefined || (tls.clientCerts?.length ?? 0) > 0)
  );
}

/** Reads `--ca FILE` (every problem names the flag); undefined when no file was given. */
export function loadCaFile(file: string | undefined, problems: string[], flag = '--ca'): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    problems.push(
      `${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
    return undefined;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`${flag} ${file}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  // node:tls skips a block it cannot parse without a word: every block must be a certificate.
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const bad = blocks.findIndex((b) => !parses(b));
  if (bad >= 0 || blocks.length === 0) {
    problems.push(
      `${flag} ${file}: certificate ${Math.max(bad, 0) + 1} of ${blocks.length} is not a valid PEM certificate`,
    );
    return undefined;
  }
  return pem;
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process's `fetch` (reachability probes, the target's stats endpoints) with the run's TLS
 * settings: a global undici dispatcher. Called by a run that was given --insecure, --ca or --cert.
 */
export function useTlsForFetch(tls: TlsOptions): void {
  setGlobalDispatcher(new Agent({ connect: tlsVerifyOptions(tls) }));
}
