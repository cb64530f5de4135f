/**
 * HTTP generation efficiency: requests per generator CPU-second, Tickstorm's `tickstorm http`
 * engine against autocannon (the devDependency), side by side in one run against the same
 * local target (a node:http server in a child process), same connections and duration. Each
 * generator runs in its own process and measures process.cpuUsage over its run only; runs
 * alternate which one goes first. The goal: ours >= 1.5x autocannon's requests per CPU-second
 * over plain HTTP, >= 1.3x over TLS (`--tls`: the target serves https with a self-signed
 * certificate made by openssl for the run; ours runs with --insecure, autocannon with
 * NODE_TLS_REJECT_UNAUTHORIZED=0: neither verifies). In the closed model each round also runs ours
 * with --read-coalescing (off by default), so what it brings is measured in the same run; the
 * goal is judged on the default.
 *
 *   node --import tsx bench/http-efficiency.bench.ts [--runs 3] [--duration 5] [--connections 10]
 *        [--tls] [--rate N (open model for both: -R / overallRate)] [--url URL (external target)] [--json FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCert } from '../test/support/certs.ts';
import { childStats, median, parseFlags, runCommand, startChild } from './bench-util.ts';

interface Run {
  requests: number;
  errors: number;
  rps: number;
  cpu_s: number;
  /** CPU per request, user space and kernel, µs. */
  user_us_per_req: number;
  system_us_per_req: number;
  req_per_cpu_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Ours: naps taken by read coalescing. */
  read_naps?: number;
}

const flags = parseFlags(import.meta.url, {
  runs: { type: 'number', default: 3, help: 'runs, the median reported' },
  duration: { type: 'number', default: 5, help: 'seconds per generator run' },
  connections: { type: 'number', default: 10 },
  tls: { type: 'boolean', help: 'https with a self-signed certificate' },
  rate: { type: 'number', help: 'open model for both (-R / overallRate); closed when absent' },
  url: { type: 'string', value: 'URL', help: 'an external target instead of the local one' },
  json: { type: 'string', value: 'FILE', help: 'write the summary as JSON' },
});
const { runs, duration, connections } = flags;
const rate = flags.rate === undefined ? undefined : String(flags.rate);
const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('./autocannon-child.ts', import.meta.url));

const tls = flags.tls;
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-'));
const certEnv: NodeJS.ProcessEnv = {};
if (tls) {
  certEnv.TLS_CERT = join(dir, 'cert.pem');
  certEnv.TLS_KEY = join(dir, 'key.pem');
  selfSignedCert({ key: certEnv.TLS_KEY, cert: certEnv.TLS_CERT, cn: 'localhost', days: 1 });
}
const target =
  flags.url === undefined
    ? await startChild(new URL('./http-target.ts', import.meta.url), { ...process.env, ...certEnv })
    : undefined;
const url = flags.url ?? `${tls ? 'https' : 'http'}://127.0.0.1:${target!.port}/`;
const goal = tls ? 1.3 : 1.5;

async function ours(i: number, coalesce = false): Promise<Run> {
  const file = join(dir, `ours-${i}-${coalesce}.json`);
  const args = [
    BIN,
    'http',
    url,
    '-c',
    String(connections),
    '-d',
    String(duration),
    '--workers',
    '1',
    '--json',
    file,
  ];
  if (rate !== undefined) args.push('-R', rate);
  if (tls) args.push('--insecure');
  if (coalesce) args.push('--read-coalescing');
  await runCommand(process.execPath, args);
  const j = JSON.parse(readFileSync(file, 'utf8'));
  const cpu = j.generator.cpu_s as number;
  return {
    requests: j.requests,
    errors: j.errors,
    rps: j.rps,
    cpu_s: cpu,
    user_us_per_req: (j.generator.cpu_user_s / j.requests) * 1e6,
    system_us_per_req: (j.generator.cpu_system_s / j.requests) * 1e6,
    req_per_cpu_s: j.requests / cpu,
    p50_ms: j.latency_ms.p50,
    p99_ms: j.latency_ms.p99,
    read_naps: j.generator.read_naps,
  };
}

async function theirs(): Promise<Run> {
  const args = [
    '--import',
    'tsx',
    AUTOCANNON,
    url,
    String(connections),
    String(duration),
    ...(rate ? [rate] : []),
  ];
  const j = JSON.parse(
    await runCommand(
      process.execPath,
      args,
      tls ? { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '0' } : process.env,
    ),
  );
  return {
    requests: j.requests,
    errors: j.errors,
    rps: j.rps,
    cpu_s: j.cpu_s,
    user_us_per_req: (j.cpu_user_s / j.requests) * 1e6,
    system_us_per_req: (j.cpu_system_s / j.requests) * 1e6,
    req_per_cpu_s: j.requests / j.cpu_s,
    p50_ms: j.latency_ms.p50,
    p99_ms: j.latency_ms.p99,
  };
}

// The open model never coalesces reads: no third generator there.
const withCoalesced = rate === undefined;
const results: {
  tickstorm: Run;
  autocannon: Run;
  ratio: number;
  tickstorm_coalesced?: Run;
  ratio_coalesced?: number;
}[] = [];
try {
  for (let i = 0; i < runs; i++) {
    // The order rotates from run to run, so none of the generators always goes first.
    const order = withCoalesced ? ['ours', 'coalesced', 'theirs'] : ['ours', 'theirs'];
    const got: Record<string, Run> = {};
    for (let k = 0; k < order.length; k++) {
      const who = order[(i + k) % order.length];
      got[who] = who === 'theirs' ? await theirs() : await ours(i, who === 'coalesced');
    }
    const a = got.ours;
    const b = got.theirs;
    const ratio = a.req_per_cpu_s / b.req_per_cpu_s;
    const f = (r: Run) =>
      `${Math.round(r.rps)} req/s, ${r.cpu_s.toFixed(2)} CPU-s, ${Math.round(r.req_per_cpu_s)} req/CPU-s ` +
      `(user ${r.user_us_per_req.toFixed(1)} + kernel ${r.system_us_per_req.toFixed(1)} µs/req, p50 ${r.p50_ms} p99 ${r.p99_ms} ms)`;
    let line = `run ${i + 1}: tickstorm ${f(a)}`;
    const co = got.coalesced;
    if (co !== undefined) {
      const ratioCo = co.req_per_cpu_s / b.req_per_cpu_s;
      results.push({ tickstorm: a, autocannon: b, ratio, tickstorm_coalesced: co, ratio_coalesced: ratioCo });
      line += ` | --read-coalescing ${f(co)}, ${co.read_naps} naps, ratio ${ratioCo.toFixed(2)}`;
    } else results.push({ tickstorm: a, autocannon: b, ratio });
    console.log(`${line} | autocannon ${f(b)} | ratio ${ratio.toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const med1 = (xs: number[]) => Math.round(median(xs) * 10) / 10;
const summary = {
  bench: 'http-efficiency',
  url,
  connections,
  duration_s: duration,
  model: rate === undefined ? 'closed' : `open at ${rate} req/s`,
  runs,
  tickstorm_req_per_cpu_s: Math.round(median(results.map((r) => r.tickstorm.req_per_cpu_s))),
  autocannon_req_per_cpu_s: Math.round(median(results.map((r) => r.autocannon.req_per_cpu_s))),
  ratio_median: Math.round(median(results.map((r) => r.ratio)) * 100) / 100,
  /** The same ratio for ours with --read-coalescing (closed model only). */
  ratio_coalesced_median: withCoalesced
    ? Math.round(median(results.map((r) => r.ratio_coalesced!)) * 100) / 100
    : null,
  tickstorm_rps_median: Math.round(median(results.map((r) => r.tickstorm.rps))),
  autocannon_rps_median: Math.round(median(results.map((r) => r.autocannon.rps))),
  // Where each generator's CPU per request goes (medians, µs): user space is what a generator's
  // own design decides; the kernel part (write, read, epoll, TCP on loopback) is paid by both.
  tickstorm_user_us_per_req: med1(results.map((r) => r.tickstorm.user_us_per_req)),
  tickstorm_system_us_per_req: med1(results.map((r) => r.tickstorm.system_us_per_req)),
  autocannon_user_us_per_req: med1(results.map((r) => r.autocannon.user_us_per_req)),
  autocannon_system_us_per_req: med1(results.map((r) => r.autocannon.system_us_per_req)),
  tls,
  goal: `tickstorm req/CPU-s >= ${goal} x autocannon's${tls ? ' (TLS)' : ''}`,
  pass: median(results.map((r) => r.ratio)) >= goal,
  target_cpu_s: target ? (await childStats<{ cpuSec: number }>(target.child)).cpuSec : null,
  results,
};
console.log(
  `median CPU per request: tickstorm user ${summary.tickstorm_user_us_per_req} + kernel ${summary.tickstorm_system_us_per_req} µs, ` +
    `autocannon user ${summary.autocannon_user_us_per_req} + kernel ${summary.autocannon_system_us_per_req} µs`,
);
console.log(
  `median: tickstorm ${summary.tickstorm_req_per_cpu_s} req/CPU-s, autocannon ${summary.autocannon_req_per_cpu_s} req/CPU-s, ratio ${summary.ratio_median} (${summary.pass ? 'PASS' : 'FAIL'})` +
    (withCoalesced ? `; with --read-coalescing ratio ${summary.ratio_coalesced_median}` : ''),
);
const json = flags.json;
if (json !== undefined) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
target?.child.kill();
