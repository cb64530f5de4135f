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
 * goal is judged on the default. `--signed` adds ours signing every request with a key
 * (`--key-file`; the target ignores the headers) to each round: the signing goal is signed
 * requests per CPU-second >= 0.9x unsigned.
 *
 *   node --import tsx bench/http-efficiency.bench.ts [--runs 3] [--duration 5] [--connections 10]
 *        [--tls] [--rate N (open model for both: -R / overallRate)] [--url URL (external target)] [--signed]
 *        [--json FILE]
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
  signed: { type: 'boolean', help: 'each round also runs ours signing every request (--key-file)' },
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
const SIGNED_GOAL = 0.9;
const keyFile = join(dir, 'key.json');
if (flags.signed)
  writeFileSync(keyFile, JSON.stringify({ id: 'bench', secret: 'bench-secret-0123456789abcdef' }));

type Ours = 'ours' | 'coalesced' | 'signed';

async function ours(i: number, mode: Ours = 'ours'): Promise<Run> {
  const file = join(dir, `ours-${i}-${mode}.json`);
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
  if (mode === 'coalesced') args.push('--read-coalescing');
  if (mode === 'signed') args.push('--key-file', keyFile);
  // Only the signed run signs: a key in the shell's env (TICKSTORM_KEY_ID/SECRET) is not passed on.
  const { TICKSTORM_KEY_ID: _id, TICKSTORM_KEY_SECRET: _secret, ...env } = process.env;
  await runCommand(process.execPath, args, env);
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
  tickstorm_signed?: Run;
  /** Signed requests per CPU-second over unsigned (ours both). */
  signed_ratio?: number;
}[] = [];
try {
  for (let i = 0; i < runs; i++) {
    // The order rotates from run to run, so none of the generators always goes first.
    const order = withCoalesced ? ['ours', 'coalesced', 'theirs'] : ['ours', 'theirs'];
    if (flags.signed) order.push('signed');
    const got: Record<string, Run> = {};
    for (let k = 0; k < order.length; k++) {
      const who = order[(i + k) % order.length];
      got[who] = who === 'theirs' ? await theirs() : await ours(i, who as Ours);
    }
    const a = got.ours;
    const b = got.theirs;
    const ratio = a.req_per_cpu_s / b.req_per_cpu_s;
    const f = (r: Run) =>
      `${Math.round(r.rps)} req/s, ${r.cpu_s.toFixed(2)} CPU-s, ${Math.round(r.req_per_cpu_s)} req/CPU-s ` +
      `(user ${r.user_us_per_req.toFixed(1)} + kernel ${r.system_us_per_req.toFixed(1)} µs/req, p50 ${r.p50_ms} p99 ${r.p99_ms} ms)`;
    let line = `run ${i + 1}: tickstorm ${f(a)}`;
    const row: (typeof results)[number] = { tickstorm: a, autocannon: b, ratio };
    const co = got.coalesced;
    if (co !== undefined) {
      row.tickstorm_coalesced = co;
      row.ratio_coalesced = co.req_per_cpu_s / b.req_per_cpu_s;
      line += ` | --read-coalescing ${f(co)}, ${co.read_naps} naps, ratio ${row.ratio_coalesced.toFixed(2)}`;
    }
    const si = got.signed;
    if (si !== undefined) {
      row.tickstorm_signed = si;
      row.signed_ratio = si.req_per_cpu_s / a.req_per_cpu_s;
      line += ` | signed ${f(si)}, ${row.signed_ratio.toFixed(2)}x unsigned`;
    }
    results.push(row);
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
  /** --signed: the median of signed over unsigned requests per CPU-second (goal >= 0.9). */
  signed_ratio_median: flags.signed
    ? Math.round(median(results.map((r) => r.signed_ratio!)) * 100) / 100
    : null,
  signed_pass: flags.signed ? median(results.map((r) => r.signed_ratio!)) >= SIGNED_GOAL : null,
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
    (withCoalesced ? `; with --read-coalescing ratio ${summary.ratio_coalesced_median}` : '') +
    (flags.signed
      ? `; signed ${summary.signed_ratio_median}x unsigned (goal >= ${SIGNED_GOAL}: ${summary.signed_pass ? 'PASS' : 'FAIL'})`
      : ''),
);
const json = flags.json;
if (json !== undefined) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
target?.child.kill();
