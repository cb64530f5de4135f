/**
 * Swarm efficiency: requests per generator CPU-second, `tickstorm swarm` against Locust
 * (/usr/bin/locust, Debian's python3-locust), side by side in one run against the same
 * endpoints of one running trading system (`tickstorm serve`, fed an hour of ticks so the
 * bars endpoint returns 50 bars, plus a light live feed; ABC_PERFORMANCE_MODE on). Equivalent
 * user files: bench/swarm-bench-users.ts and bench/locust/locustfile.py, constant(0) (closed
 * loop), GET /api/data/SYM0/bars?interval=1s&limit=50 and GET /api/metrics/system weighted 1:1
 * (BenchUser; --user-class HealthBenchUser puts /health in place of the second, but each
 * /health costs the target milliseconds of DuckDB work, so the target saturates at a few
 * hundred req/s and the generators idle). Fairness: one
 * generator process each (ours --processes 1, Locust without --processes/workers), same users,
 * spawn rate and -t; runs alternate which goes first. CPU is each generator process's
 * utime+stime (all threads) from /proc/PID/stat, read when its output shows the load start
 * ("Swarm:" / "Ramping to") and stop (summary table / "run-time limit reached"); the whole
 * process (start-up included) is printed too. Locust's counts come from its final stdout
 * summary (its --csv file is rewritten only once a second and not at shutdown in 2.12, so the
 * CSV Aggregated row lags; it is kept as csv_requests). The goal: ours >= 5x Locust.
 *
 *   node --import tsx bench/swarm-vs-locust.bench.ts [--runs 3] [--duration 10] [--users 50]
 *        [--user-class BenchUser|HealthBenchUser] [--locust /usr/bin/locust] [--url URL] [--json FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseFlags } from './bench-util.ts';
import { type MeasuredRun, runMeasured } from './proc-cpu.ts';
import { startTradingTarget } from './trading-target.ts';

interface Run {
  requests: number;
  failures: number;
  rps: number;
  /** CPU-seconds between the load's start and stop. */
  cpu_s: number;
  load_sec: number;
  req_per_cpu_s: number;
  /** Whole process, start-up and shut-down included. */
  total_cpu_s: number;
  req_per_total_cpu_s: number;
  p50_ms: number;
  p99_ms: number;
  csv_requests?: number;
}

const flags = parseFlags(import.meta.url, {
  runs: { type: 'number', default: 3, help: 'runs, the median reported' },
  duration: { type: 'number', default: 10, help: 'seconds per generator run (-t)' },
  users: { type: 'number', default: 50 },
  'user-class': { type: 'string', default: 'BenchUser', choices: ['BenchUser', 'HealthBenchUser'] },
  locust: { type: 'string', default: '/usr/bin/locust', value: 'PATH', help: 'the Locust executable' },
  url: { type: 'string', value: 'URL', help: 'a running trading system instead of a local one' },
  json: { type: 'string', value: 'FILE', help: 'write the summary as JSON' },
});
const { runs, duration, users } = flags;
const userClass = flags['user-class'];
const MIX: Record<string, string> = {
  BenchUser: 'GET /api/data/SYM0/bars?interval=1s&limit=50 + GET /api/metrics/system, 1:1',
  HealthBenchUser: 'GET /api/data/SYM0/bars?interval=1s&limit=50 + GET /health, 1:1',
};
const LOCUST = flags.locust;
const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const USERS_TS = fileURLToPath(new URL('./swarm-bench-users.ts', import.meta.url));
const USERS_PY = fileURLToPath(new URL('./locust/locustfile.py', import.meta.url));

const target = flags.url === undefined ? await startTradingTarget() : undefined;
const url = flags.url ?? target!.api;
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-bench-'));

function check(r: MeasuredRun, what: string): { startT: number; endT: number; cpuSec: number } {
  if (r.code !== 0 || r.window === undefined) {
    throw new Error(
      `${what} exited ${r.code} (window ${r.window ? 'seen' : 'not seen'}):\n${r.stdout}\n${r.stderr}`,
    );
  }
  return r.window;
}

async function ours(file: string, seconds: number): Promise<Run> {
  const args = [BIN, 'swarm', '-f', USERS_TS, '--headless', '-u', String(users), '-r', String(users)];
  args.push('-t', `${seconds}s`, '-H', url, '--processes', '1', '--only-summary', '--json', file, userClass);
  const r = await runMeasured(process.execPath, args, { start: /^Swarm: /m, end: /^Type\s+Name/m, cwd: dir });
  const s = JSON.parse(readFileSync(file, 'utf8')).scenarios[0];
  return toRun(r, 'tickstorm swarm', {
    requests: s.requests,
    failures: s.failures,
    rps: s.rps,
    p50: s.latency_ms.p50,
    p99: s.latency_ms.p99,
  });
}

/** A run's row: the tool's own counts and percentiles, CPU from /proc over the load window. */
function toRun(r: MeasuredRun, what: string, s: ReturnType<typeof locustSummary>): Run {
  const w = check(r, what);
  return {
    requests: s.requests,
    failures: s.failures,
    rps: s.rps,
    cpu_s: w.cpuSec,
    load_sec: w.endT - w.startT,
    req_per_cpu_s: s.requests / w.cpuSec,
    total_cpu_s: r.totalCpuSec,
    req_per_total_cpu_s: s.requests / r.totalCpuSec,
    p50_ms: s.p50,
    p99_ms: s.p99,
  };
}

/** The Aggregated rows of Locust's final stdout tables: counts, then percentiles. */
function locustSummary(out: string): {
  requests: number;
  failures: number;
  rps: number;
  p50: number;
  p99: number;
} {
  const rows = [...out.matchAll(/^\s+Aggregated\s+(.*)$/gm)].map((m) => m[1]);
  if (rows.length < 2) throw new Error(`no Aggregated rows in Locust's output:\n${out}`);
  const counts = rows[0].match(/^(\d+)\s+(\d+)\(.*\|\s*([\d.]+)\s+[\d.]+\s*$/);
  const pct = rows[1].trim().split(/\s+/).map(Number); // 50% 66% 75% 80% 90% 95% 98% 99% 99.9% 99.99% 100% #reqs
  if (counts === null || pct.length < 12) throw new Error(`unexpected Locust summary:\n${rows.join('\n')}`);
  return { requests: +counts[1], failures: +counts[2], rps: +counts[3], p50: pct[0], p99: pct[7] };
}

async function locust(i: number): Promise<Run> {
  const prefix = join(dir, `locust-${i}`);
  const args = ['--headless', '-u', String(users), '-r', String(users), '-t', `${duration}s`, '-H', url];
  args.push('--csv', prefix, '--only-summary', '-f', USERS_PY, userClass);
  const r = await runMeasured(LOCUST, args, { start: /Ramping to/, end: /run-time limit reached/, cwd: dir });
  check(r, 'locust');
  const s = locustSummary(`${r.stdout}\n${r.stderr}`);
  const csv = readFileSync(`${prefix}_stats.csv`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(',Aggregated,'));
  return {
    ...toRun(r, 'locust', s),
    csv_requests: csv === undefined ? undefined : Number(csv.split(',')[2]),
  };
}

const row = (tool: string, r: Run) =>
  `${tool.padEnd(15)} ${String(r.requests).padStart(8)} ${String(r.failures).padStart(6)} ${r.rps.toFixed(0).padStart(7)} ` +
  `${r.cpu_s.toFixed(2).padStart(6)} ${r.req_per_cpu_s.toFixed(0).padStart(9)} ${r.total_cpu_s.toFixed(2).padStart(8)} ` +
  `${r.req_per_total_cpu_s.toFixed(0).padStart(9)} ${r.p50_ms.toFixed(1).padStart(7)} ${r.p99_ms.toFixed(1).padStart(7)}`;
const HEAD = 'tool            requests  fails   req/s  CPU-s  req/CPU-s  total-s  req/tot-s  p50 ms  p99 ms';

const loadBefore = loadavg()[0];
console.log(
  `swarm vs Locust: ${users} ${userClass} (constant(0), ${MIX[userClass]}), ${duration}s, one generator ` +
    `process each (ours --processes 1, Locust single process), target ${url}; load average ${loadBefore.toFixed(2)}`,
);
const results: { tickstorm: Run; locust: Run; ratio: number; ratio_total: number }[] = [];
try {
  await ours(join(dir, 'warmup.json'), 3); // warms the target's JIT; discarded
  for (let i = 0; i < runs; i++) {
    let a: Run;
    let b: Run;
    if (i % 2 === 0) {
      a = await ours(join(dir, `ours-${i}.json`), duration);
      b = await locust(i);
    } else {
      b = await locust(i);
      a = await ours(join(dir, `ours-${i}.json`), duration);
    }
    const ratio = a.req_per_cpu_s / b.req_per_cpu_s;
    const ratio_total = a.req_per_total_cpu_s / b.req_per_total_cpu_s;
    results.push({ tickstorm: a, locust: b, ratio, ratio_total });
    console.log(`\nrun ${i + 1} (${i % 2 === 0 ? 'tickstorm' : 'locust'} first)\n${HEAD}`);
    console.log(row('tickstorm swarm', a));
    console.log(row('locust', b));
    console.log(
      `ratio (req/CPU-s): ${ratio.toFixed(2)} over the load, ${ratio_total.toFixed(2)} whole process`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (results.length < runs) await target?.stop();
}
const med = (f: (r: (typeof results)[number]) => number) => median(results.map(f));
const summary = {
  bench: 'swarm-vs-locust',
  url,
  users,
  duration_s: duration,
  user_class: userClass,
  model: `closed loop (constant(0)), ${MIX[userClass]}`,
  generators: 'one process each: tickstorm swarm --processes 1, locust single process (no workers)',
  locust: LOCUST,
  runs,
  tickstorm_req_per_cpu_s: Math.round(med((r) => r.tickstorm.req_per_cpu_s)),
  locust_req_per_cpu_s: Math.round(med((r) => r.locust.req_per_cpu_s)),
  ratio_median: Math.round(med((r) => r.ratio) * 100) / 100,
  ratio_total_median: Math.round(med((r) => r.ratio_total) * 100) / 100,
  tickstorm_rps_median: Math.round(med((r) => r.tickstorm.rps)),
  locust_rps_median: Math.round(med((r) => r.locust.rps)),
  tickstorm_cpu_percent_median: Math.round(med((r) => (100 * r.tickstorm.cpu_s) / r.tickstorm.load_sec)),
  locust_cpu_percent_median: Math.round(med((r) => (100 * r.locust.cpu_s) / r.locust.load_sec)),
  goal: 'tickstorm req/CPU-s >= 5x Locust req/CPU-s (over the load)',
  pass: med((r) => r.ratio) >= 5,
  target_cpu_s: target?.cpuSec() ?? null,
  cores: availableParallelism(),
  load_average_before: loadBefore,
  load_average_after: loadavg()[0],
  results,
};
console.log(
  `\nmedian of ${runs}: tickstorm ${summary.tickstorm_req_per_cpu_s} req/CPU-s (${summary.tickstorm_rps_median} req/s, ` +
    `${summary.tickstorm_cpu_percent_median}% of a core), Locust ${summary.locust_req_per_cpu_s} req/CPU-s ` +
    `(${summary.locust_rps_median} req/s, ${summary.locust_cpu_percent_median}% of a core); ratio ${summary.ratio_median}x ` +
    `(whole process ${summary.ratio_total_median}x) (${summary.pass ? 'PASS' : 'FAIL'}: goal >= 5x)`,
);
const json = flags.json;
if (json !== undefined) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
await target?.stop();
