/** The console summary of `tickstorm http`, in the spirit of wrk2 and autocannon. */
import { X509Certificate } from 'node:crypto';
import { tlsCertHint } from '../clients/tls-check.ts';
import type { RunOutcome } from '../generator/run-scenario.ts';
import type { HttpModeOptions, HttpSummaryJson } from './http-mode.ts';

const PERCENTILES = [50, 75, 90, 95, 99, 99.9, 99.99, 100];

export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(0)}us`;
}

function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(2)} KB`;
  return `${n} B`;
}

export function formatHttpHeader(o: HttpModeOptions): string {
  const model =
    o.rate === undefined
      ? `closed model (each connection sends its next request when the previous one returns${o.coalesceReads === true ? '; reads coalesced' : ''})`
      : `open model at ${o.rate} req/s (constant-arrival-rate; latency from the intended start)`;
  const client = o.tls?.clientCerts?.[0];
  const cert = client === undefined ? '' : `  client certificate: ${certLabel(client.cert)} (mutual TLS)\n`;
  return `Running ${o.durationSec}s test @ ${o.url}\n  ${o.connections} connections, ${model}\n${cert}`;
}

/** "CN=loadlab-client, valid until Jan  1 00:00:00 2027 GMT" (the leaf of a PEM chain). */
function certLabel(pem: string): string {
  const x = new X509Certificate(pem);
  return `${x.subject.replace(/\n/g, ', ')}, valid until ${x.validTo}`;
}

export function formatHttpSummary(outcome: RunOutcome, j: HttpSummaryJson): string {
  const h = outcome.stats.histogram();
  const lines: string[] = [];
  const l = j.latency_ms;
  lines.push('  Latency     p50       p90       p95       p99       max       mean');
  lines.push(
    `            ${[l.p50, l.p90, l.p95, l.p99, l.max, l.mean].map((v) => fmtMs(v).padEnd(10)).join('')}`.trimEnd(),
  );
  lines.push('  Latency distribution (HdrHistogram)');
  for (const p of PERCENTILES) {
    const v = h.totalCount > 0 ? h.getValueAtPercentile(p) / 1000 : 0;
    lines.push(`    ${p.toFixed(3).padStart(8)}%  ${fmtMs(p === 100 ? l.max : Math.min(v, l.max))}`);
  }
  const lag = outcome.result.extra.startLagMs as { p50: number; p99: number } | undefined;
  if (lag !== undefined) {
    lines.push(`  Start lag (generator, included above): p50 ${fmtMs(lag.p50)}, p99 ${fmtMs(lag.p99)}`);
  }
  lines.push(`  ${j.requests} requests in ${j.duration_s.toFixed(2)}s, ${fmtBytes(j.bytes)} of bodies read`);
  lines.push(`Requests/sec: ${j.rps.toFixed(2)}${j.target_rps === null ? '' : `  (target ${j.target_rps})`}`);
  const status = Object.entries(j.status)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  lines.push(
    `Errors: ${j.errors} (timeouts ${j.timeouts}, non-2xx ${j.non2xx}, socket errors ${j.socket_errors})${status ? `  status: ${status}` : ''}`,
  );
  if (j.interrupted > 0)
    lines.push(
      `Interrupted: ${j.interrupted} request${j.interrupted > 1 ? 's' : ''} still in flight when the run ended (after its graceful stop): neither answered nor failed, not counted above`,
    );
  const g = j.generator;
  lines.push(
    `Generator: ${g.workers} thread${g.workers > 1 ? 's' : ''}, CPU ${g.cpu_s.toFixed(2)}s (${g.cpu_percent}% of one core), ` +
      `${g.requests_per_cpu_s} req per CPU-second, event-loop lag p99 ${g.event_loop_lag_ms.p99} ms, dropped ${j.dropped}`,
  );
  if (g.read_naps > 0)
    lines.push(
      `  Read coalescing: ${g.read_naps} naps, ${g.read_nap_ms.toFixed(1)} ms asleep in all (measured; each asks for min(100us, latency/8) and sleeps longer by the OS timer slack; each latency may include a nap)`,
    );
  for (const w of g.warnings) lines.push(`WARNING (generator): ${w}`);
  for (const f of outcome.result.failureRows.slice(0, 5)) {
    const hint = tlsCertHint(f.error);
    lines.push(
      `  failure: ${f.method} ${f.name}: ${f.error} x${f.occurrences}${hint === undefined ? '' : ` (${hint})`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
