/**
 * TLS settings of the lab's clients (https and wss): `--insecure` skips verifying the server's
 * certificate (a self-signed test system); `--ca FILE` adds PEM certificates to trust besides
 * the system's. Structured-cloneable, so they reach every generator thread in params.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type ConnectionOptions, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Agent, setGlobalDispatcher } from 'undici';

export interface TlsOptions {
  /** Do not verify the server certificate. */
  insecure?: boolean;
  /** PEM text of extra trusted CA certificates. */
  ca?: string;
}

/**
 * One secure context per `--ca` text, made once: a `ca` option given to each `tls.connect`
 * would parse the system's ~140 root certificates again for every connection (about 15 ms of
 * CPU each, which capped a server that closes after each response at ~50 connections/s).
 */
const contexts = new Map<string, SecureContext>();
export function caSecureContext(ca: string): SecureContext {
  let ctx = contexts.get(ca);
  if (ctx === undefined) {
    ctx = createSecureContext({ ca: [...rootCertificates, ca] });
    contexts.set(ca, ctx);
  }
  return ctx;
}

/** The verification options of a TLS connection (node:tls or undici's `connect`): --insecure, --ca. */
export function tlsVerifyOptions(tls: TlsOptions | undefined): ConnectionOptions {
  return {
    rejectUnauthorized: tls?.insecure !== true,
    ...(tls?.ca === undefined ? {} : { secureContext: caSecureContext(tls.ca) }),
  };
}

/** node:tls connect options for `host`: SNI (unless an IP), verification, extra CAs. */
export function tlsConnectOptions(host: string, tls: TlsOptions | undefined): ConnectionOptions {
  return { ...(isIP(host) === 0 ? { servername: host } : {}), ...tlsVerifyOptions(tls) };
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
 * settings: a global undici dispatcher. Called by a run that was given --insecure or --ca.
 */
export function useTlsForFetch(tls: TlsOptions): void {
  setGlobalDispatcher(new Agent({ connect: tlsVerifyOptions(tls) }));
}
