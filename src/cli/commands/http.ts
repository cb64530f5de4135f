/**
 * `tickstorm http URL`: aim the load lab at any HTTP endpoint, with autocannon/wrk2-style
 * flags. -R selects the open model (requests at their intended times, latency from the
 * intended start); without it each of the -c connections loops (closed model). Bad flags
 * exit with code 104 (k6's "invalid config"), naming the flag. --metrics-port serves the
 * generator's figures for Prometheus while it runs, as `tickstorm run` does (scenario="http").
 */
import { writeFileSync } from 'node:fs';
import {
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  fmtMs,
  formatHttpHeader,
  formatHttpSummary,
  type HttpModeOptions,
  type LoadMetricsServer,
  loadCaFile,
  loadClientCertFiles,
  parseDuration,
  parseHeaderLine,
  runHttpMode,
  tlsCertProblem,
  useKeyFile,
} from '@tickstorm/loadlab';
import { type Command, InvalidArgumentError } from 'commander';
import { closeMetrics, METRICS_PORT_HELP, openMetrics } from './metrics-port.ts';
import { metricsPortOf } from './run-flag-checks.ts';

/** The scenario label of `tickstorm http`'s series on /metrics. */
export const HTTP_SCENARIO = 'http';

interface HttpFlags {
  connections: number;
  duration: number;
  rate?: number;
  maxVus?: number;
  method: string;
  header: [string, string][];
  body?: string;
  timeout: number;
  workers: number | 'auto';
  json?: string;
  insecure?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  readCoalescing?: boolean;
  metricsPort?: string;
}

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`${flag} must be a positive integer (got '${v}')`);
  return n;
};
const positiveNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`${flag} must be a number > 0 (got '${v}')`);
  return n;
};
const seconds = (flag: string) => (v: string) => {
  const ms = parseDuration(v);
  if (!(ms > 0))
    throw new InvalidArgumentError(`${flag} must be seconds or a duration like 500ms, 10s, 1m (got '${v}')`);
  return ms / 1000;
};
const header = (v: string, prev: [string, string][]) => {
  const h = parseHeaderLine(v);
  if (h === null) throw new InvalidArgumentError(`-H/--header must look like "Name: value" (got '${v}')`);
  return [...prev, h];
};
const workers = (v: string): number | 'auto' => (v === 'auto' ? 'auto' : positiveInt('--workers')(v));
const method = (v: string) => {
  if (!/^[A-Za-z]+$/.test(v))
    throw new InvalidArgumentError(`-m/--method must be an HTTP method (got '${v}')`);
  return v.toUpperCase();
};

export function registerHttpCommand(program: Command): void {
  program
    .command('http')
    .argument('<url>', 'target URL (http://host:port/path or https://...)')
    .description('generic HTTP load (autocannon/wrk2 style): closed model, or open model with -R')
    .option(
      '-c, --connections <n>',
      'connections (one request in flight each)',
      positiveInt('-c/--connections'),
      10,
    )
    .option('-d, --duration <sec>', 'test duration in seconds (or 500ms, 1m)', seconds('-d/--duration'), 10)
    .option(
      '-R, --rate <rps>',
      'requests per second: open model, latency from the intended start',
      positiveNumber('-R/--rate'),
    )
    .option(
      '--max-vus <n>',
      'open model: requests in flight or waiting for a connection before drops (default: max(c, rate))',
      positiveInt('--max-vus'),
    )
    .option('-m, --method <method>', 'HTTP method', method, 'GET')
    .option('-H, --header <header>', 'request header "Name: value" (repeatable)', header, [])
    .option('-b, --body <body>', 'request body')
    .option('--timeout <sec>', 'request timeout in seconds (or a duration)', seconds('--timeout'), 10)
    .option('--workers <n>', "generator threads, or 'auto'", workers, 'auto')
    .option('--json <file>', 'write the results as JSON')
    .option(
      '--key-file <file>',
      'sign every request with this key ({"id","secret"}; or env TICKSTORM_KEY_ID/TICKSTORM_KEY_SECRET)',
    )
    .option('--insecure', 'https: do not verify the server certificate (self-signed test systems)')
    .option('--ca <file>', 'https: also trust the PEM certificate(s) in FILE')
    .option(
      '--cert <file>',
      'https: present this PEM client certificate (mutual TLS) to a server that asks; may also hold the key',
    )
    .option('--key <file>', 'https: the PEM private key of --cert (not --key-file, the API signing key)')
    .option(
      '--read-coalescing',
      'closed model: after a loop turn that read few responses, nap about min(100us, latency/8) so the next turn reads several (less generator CPU; each latency may include a nap)',
    )
    .option('--metrics-port <port>', `${METRICS_PORT_HELP} (scenario="http")`)
    .addHelpText(
      'after',
      '\nExit codes: 0 it ran (no thresholds: failed requests are counted, not gated; Ctrl-C or SIGTERM ends it' +
        ' early with the summary, or before the run began at once, "nothing ran"), 104 a bad flag or value, 1 the server certificate refused (https) or' +
        ' --metrics-port cannot be served.',
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
    .action(async (url: string, flags: HttpFlags) => {
      useKeyFile((flags as { keyFile?: string }).keyFile);
      process.exitCode = await httpCommand(url, flags);
    });
}

export async function httpCommand(url: string, f: HttpFlags): Promise<number> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    console.error(`tickstorm http: <url> must be an absolute http:// or https:// URL (got '${url}')`);
    return EXIT_INVALID_CONFIG;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    console.error(`tickstorm http: <url> must use http:// or https:// (got ${u.protocol})`);
    return EXIT_INVALID_CONFIG;
  }
  const problems: string[] = [];
  if (f.readCoalescing === true && f.rate !== undefined)
    problems.push('--read-coalescing applies to the closed model only (without -R/--rate)');
  const metricsPort = metricsPortOf({ metricsPort: f.metricsPort }, problems);
  const ca = loadCaFile(f.ca, problems);
  const clientCert = loadClientCertFiles(f.cert, f.key, problems);
  if (problems.length > 0) {
    console.error(`tickstorm http: ${problems.join('; ')}`);
    return EXIT_INVALID_CONFIG;
  }
  const opts: HttpModeOptions = {
    url: u.href,
    connections: f.connections,
    durationSec: f.duration,
    rate: f.rate,
    maxVUs: f.maxVus,
    method: f.method,
    headers: f.header,
    body: f.body,
    timeoutMs: f.timeout * 1000,
    workers: f.workers,
    tls: {
      insecure: f.insecure === true,
      ...(ca === undefined ? {} : { ca }),
      ...(clientCert === undefined ? {} : { clientCerts: [clientCert] }),
    },
    coalesceReads: f.readCoalescing === true,
  };
  // A refused certificate would fail every request alike: say so once, before the load (exit 1).
  const certProblem = await tlsCertProblem(u, opts.tls);
  if (certProblem !== undefined) {
    console.error(`tickstorm http: ${u.href}: ${certProblem}`);
    return EXIT_ERROR;
  }
  let metrics: LoadMetricsServer | undefined;
  if (metricsPort !== undefined) {
    const opened = await openMetrics(metricsPort);
    if ('problem' in opened) {
      console.error(`tickstorm http: ${opened.problem}`);
      return EXIT_ERROR;
    }
    metrics = opened.server;
  }
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  // SIGTERM (a CI job's timeout, a container's stop) ends it early with the summary too
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const tty = process.stderr.isTTY;
  if (tty || metrics !== undefined) {
    opts.sliceDetail = metrics !== undefined;
    opts.onSlice = (s, detail) => {
      metrics?.observe(HTTP_SCENARIO, s, detail);
      if (tty)
        process.stderr.write(
          `  ${s.requests} req/s  p50 ${fmtMs(s.p50)}  p99 ${fmtMs(s.p99)}  errors ${s.failures}\n`,
        );
    };
  }
  opts.signal = abort.signal;
  process.stdout.write(formatHttpHeader(opts));
  try {
    const { outcome, json } = await runHttpMode(opts);
    metrics?.finished(HTTP_SCENARIO);
    process.stdout.write(formatHttpSummary(outcome, json));
    if (f.json !== undefined) writeFileSync(f.json, `${JSON.stringify(json, null, 2)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await closeMetrics(metrics);
  }
}
