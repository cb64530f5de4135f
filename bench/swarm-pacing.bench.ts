/**
 * The agent workload's pacing at scale, `tickstorm swarm` (bin/tickstorm.js, a child
 * process, --json) against one running trading system (`tickstorm serve`, fed an hour of
 * ticks plus a light live feed, ABC_PERFORMANCE_MODE on unless --no-perf-mode):
 *
 *   (a) --users (500) TradingSystemUsers of examples/trading-users.ts, between(0.5, 1.5) pacing,
 *       --spawn-rate (100/s): the generator's CPU % of one core over the steady part (all users
 *       running; goal < 50%), achieved req/s against expected (users / (mean wait 1 s + mean
 *       response time)), failure rate, p95 per request kind.
 *   (b) --hf-users (100) HighFrequencyUsers, constantThroughput(10): achieved req/s against
 *       users x 10, the generator's CPU %, and whether the generator was the bottleneck: it was
 *       not when its CPU < 90% of a core, its event-loop delay p99 < 20 ms and it achieved
 *       >= 95% of the expected rate (below that with an idle generator, the target was slow).
 *
 * CPU is the generator process's utime+stime (every thread) from /proc/PID/stat, sampled every
 * 250 ms; "steady" is from 2 s after the last user started to the summary. Achieved req/s is
 * the mean of the run's one-second buckets with every user active (first and last dropped).
 * Medians over --runs (3).
 *
 *   (max) --part max: the largest swarm of (a) this machine holds. Runs (a) once per --steps
 *       (1000,2000,3000,4000,6000) users, spawned in 5 s (or at --spawn-rate if faster), stopping
 *       at the first step that fails; a step holds when the generator stays under 50% of a core
 *       (steady), achieves >= 95% of the expected rate, and fails < 1% of requests. Prints and
 *       writes `max.largest_users` (0 if none held) with every step's figures.
 *
 *   node --import tsx bench/swarm-pacing.bench.ts [--part a|b|both|max] [--users 500] [--hf-users 100]
 *        [--steps 1000,2000,...] [--duration 30] [--spawn-rate 100] [--processes 1] [--runs 3]
 *        [--no-perf-mode] [--json FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseFlags } from './bench-util.ts';
import { cpuRate, runMeasured } from './proc-cpu.ts';
import { startTradingTarget } from './trading-target.ts';

interface Entry {
  name: string;
  requests: number;
  failures: number;
  latency_ms: { mean: number; p95: number };
  statusCounts: Record<string, number>;
}

interface PartRun {
  requests: number;
  failures: number;
  failure_pct: number;
  rps_overall: number;
  achieved_rps: number;
  expected_rps: number;
  achieved_pct: number;
  mean_ms: number;
  /** Generator CPU % of one core over the steady part, and over the whole run per its own JSON. */
  generator_cpu_pct: number;
  generator_cpu_pct_reported: number;
  generator_lag_p99_ms: number;
  target_cpu_pct: number;
  p95_ms: Record<string, number>;
  failures_by_kind: Record<string, { failures: number; status: Record<string, number> }>;
}

const flags = parseFlags(import.meta.url, {
  part: { type: 'string', default: 'both', choices: ['a', 'b', 'both', 'max'] },
  users: { type: 'number', default: 500, help: 'TradingSystemUsers in (a)' },
  'hf-users': { type: 'number', default: 100, help: 'HighFrequencyUsers in (b)' },
  steps: { type: 'numbers', default: [1000, 2000, 3000, 4000, 6000], help: 'users per step of --part max' },
  duration: { type: 'number', default: 30, help: 'seconds per run' },
  'spawn-rate': { type: 'number', default: 100, help: 'users started per second' },
  processes: { type: 'string', default: '1', help: "tickstorm swarm's --processes" },
  runs: { type: 'number', default: 3 },
  'no-perf-mode': { type: 'boolean', help: 'the target without ABC_PERFORMANCE_MODE' },
  json: { type: 'string', value: 'FILE', help: 'write the summary as JSON' },
});
const { part, users, duration, processes, runs, steps } = flags;
const hfUsers = flags['hf-users'];
const spawnRate = flags['spawn-rate'];
const perfMode = !flags['no-perf-mode'];
const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const USERS_TS = fileURLToPath(new URL('../examples/trading-users.ts', import.meta.url));

const target = await startTradingTarget({ performanceMode: perfMode });
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-pacing-bench-'));

async function swarm(
  cls: string,
  n: number,
  i: number,
  expected: (meanMs: number) => number,
  rate = spawnRate,
): Promise<PartRun> {
  const file = join(dir, `${cls}-${i}.json`);
  const args = [BIN, 'swarm', '-f', USERS_TS, '--headless', '-u', String(n), '-r', String(rate)];
  args.push(
    '-t',
    `${duration}s`,
    '-H',
    target.api,
    '--processes',
    processes,
    '--only-summary',
    '--json',
    file,
    cls,
  );
  const r = await runMeasured(process.execPath, args, {
    start: /^Swarm: /m,
    end: /^Type\s+Name/m,
    cwd: dir,
    sampleMs: 250,
    watchPids: [target.pid],
  });
  if (r.window === undefined) throw new Error(`tickstorm swarm exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(readFileSync(file, 'utf8')).scenarios[0];
  const from = r.window.startT + n / rate + 2;
  const to = r.window.endT;
  if (to - from < 3) throw new Error(`no steady part: ${n} users at ${rate}/s need more than ${duration}s`);
  const steady = (s.timeseries as { requests: number; active: number }[])
    .filter((b) => b.active === n)
    .slice(1, -1);
  const achieved = steady.reduce((a, b) => a + b.requests, 0) / Math.max(1, steady.length);
  const exp = expected(s.latency_ms.mean);
  const p95: Record<string, number> = {};
  const failuresByKind: PartRun['failures_by_kind'] = {};
  for (const e of s.entries as Entry[]) {
    p95[e.name] = e.latency_ms.p95;
    if (e.failures > 0) failuresByKind[e.name] = { failures: e.failures, status: e.statusCounts };
  }
  return {
    requests: s.requests,
    failures: s.failures,
    failure_pct: (100 * s.failures) / Math.max(1, s.requests),
    rps_overall: s.rps,
    achieved_rps: achieved,
    expected_rps: exp,
    achieved_pct: (100 * achieved) / exp,
    mean_ms: s.latency_ms.mean,
    generator_cpu_pct: 100 * (cpuRate(r.samples, from, to) ?? Number.NaN),
    generator_cpu_pct_reported: s.generator.cpuPercent,
    generator_lag_p99_ms: s.generator.eventLoopLagMs?.p99 ?? Number.NaN,
    target_cpu_pct: 100 * (cpuRate(r.samples, from, to, 0) ?? Number.NaN),
    p95_ms: p95,
    failures_by_kind: failuresByKind,
  };
}

const f1 = (x: number) => x.toFixed(1);
function line(label: string, r: PartRun): string {
  const p95 = Object.entries(r.p95_ms)
    .map(([k, v]) => `${k} ${f1(v)}`)
    .join(', ');
  const fails = Object.entries(r.failures_by_kind)
    .map(([k, v]) => `${k} ${v.failures} (${JSON.stringify(v.status)})`)
    .join(', ');
  return (
    `${label}: achieved ${f1(r.achieved_rps)} req/s vs expected ${f1(r.expected_rps)} ` +
    `(${f1(r.achieved_pct)}%), generator ${f1(r.generator_cpu_pct)}% of a core steady ` +
    `(${f1(r.generator_cpu_pct_reported)}% whole run), event-loop p99 ${f1(r.generator_lag_p99_ms)} ms, ` +
    `target ${f1(r.target_cpu_pct)}%, mean ${f1(r.mean_ms)} ms, failures ${r.failure_pct.toFixed(2)}%` +
    `\n    p95 ms: ${p95}${fails ? `\n    failures: ${fails}` : ''}`
  );
}

const medianRun = (rs: PartRun[]) => {
  const m = (g: (r: PartRun) => number) => Math.round(median(rs.map(g)) * 100) / 100;
  const p95: Record<string, number> = {};
  for (const k of Object.keys(rs[0].p95_ms)) p95[k] = m((r) => r.p95_ms[k] ?? Number.NaN);
  return {
    achieved_rps: m((r) => r.achieved_rps),
    expected_rps: m((r) => r.expected_rps),
    achieved_pct: m((r) => r.achieved_pct),
    generator_cpu_pct: m((r) => r.generator_cpu_pct),
    generator_lag_p99_ms: m((r) => r.generator_lag_p99_ms),
    target_cpu_pct: m((r) => r.target_cpu_pct),
    failure_pct: m((r) => r.failure_pct),
    mean_ms: m((r) => r.mean_ms),
    p95_ms: p95,
  };
};

const loadBefore = loadavg()[0];
console.log(
  `swarm pacing: ${duration}s runs, spawn rate ${spawnRate}/s, --processes ${processes}, target ${target.api} ` +
    `(ABC_PERFORMANCE_MODE ${perfMode}), ${availableParallelism()} cores, load average ${loadBefore.toFixed(2)}`,
);
const a: PartRun[] = [];
const b: PartRun[] = [];
if (part === 'max' && steps.some((n) => !Number.isInteger(n) || n <= 0)) {
  console.error('--steps must be a comma-separated list of positive integers');
  process.exit(2);
}
const holds = (r: PartRun) => r.generator_cpu_pct < 50 && r.achieved_pct >= 95 && r.failure_pct < 1;
const maxSteps: (PartRun & { users: number; holds: boolean })[] = [];
try {
  if (part === 'max') {
    for (const n of steps) {
      const r = await swarm(
        'TradingSystemUser',
        n,
        n,
        (ms) => n / (1 + ms / 1000),
        Math.max(spawnRate, n / 5),
      );
      maxSteps.push({ ...r, users: n, holds: holds(r) });
      console.log(line(`(max) ${n} TradingSystemUser: ${holds(r) ? 'holds' : 'does not hold'}`, r));
      if (!holds(r)) break;
    }
  }
  for (let i = 0; i < (part === 'max' ? 0 : runs); i++) {
    if (part !== 'b') {
      // between(0.5, 1.5): mean wait 1 s, one request per task.
      a.push(await swarm('TradingSystemUser', users, i, (ms) => users / (1 + ms / 1000)));
      console.log(line(`run ${i + 1} (a) ${users} TradingSystemUser`, a[a.length - 1]));
    }
    if (part !== 'a') {
      b.push(await swarm('HighFrequencyUser', hfUsers, i, () => hfUsers * 10));
      console.log(line(`run ${i + 1} (b) ${hfUsers} HighFrequencyUser`, b[b.length - 1]));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await target.stop();
}

const summary: Record<string, unknown> = {
  bench: 'swarm-pacing',
  duration_s: duration,
  spawn_rate: spawnRate,
  processes,
  runs,
  performance_mode: perfMode,
  cores: availableParallelism(),
  load_average_before: loadBefore,
  load_average_after: loadavg()[0],
};
if (a.length > 0) {
  const m = medianRun(a);
  const pass = m.generator_cpu_pct < 50;
  summary.a = {
    users,
    class: 'TradingSystemUser',
    goal: 'generator CPU < 50% of one core (steady)',
    pass,
    ...m,
    runs: a,
  };
  console.log(
    `\n(a) median: ${users} TradingSystemUser: generator ${m.generator_cpu_pct}% of a core (goal < 50%: ` +
      `${pass ? 'PASS' : 'FAIL'}), ${m.achieved_rps} req/s achieved vs ${m.expected_rps} expected, ` +
      `failures ${m.failure_pct}%, p95 ms ${JSON.stringify(m.p95_ms)}`,
  );
}
if (b.length > 0) {
  const m = medianRun(b);
  const bottleneck = !(m.generator_cpu_pct < 90 && m.generator_lag_p99_ms < 20 && m.achieved_pct >= 95);
  const why = !bottleneck
    ? 'no: CPU < 90% of a core, event-loop p99 < 20 ms, achieved >= 95% of expected'
    : m.generator_cpu_pct >= 90 || m.generator_lag_p99_ms >= 20
      ? 'yes: the generator was busy or late'
      : 'no, but the expected rate was not reached: the target was slow (mean response time vs the 100 ms budget)';
  summary.b = {
    users: hfUsers,
    class: 'HighFrequencyUser',
    generator_bottleneck: bottleneck,
    verdict: why,
    ...m,
    runs: b,
  };
  console.log(
    `(b) median: ${hfUsers} HighFrequencyUser: ${m.achieved_rps} req/s achieved vs ${m.expected_rps} expected ` +
      `(${m.achieved_pct}%), generator ${m.generator_cpu_pct}% of a core, ` +
      `event-loop p99 ${m.generator_lag_p99_ms} ms; generator the bottleneck? ${why}`,
  );
}
if (maxSteps.length > 0) {
  const largest = maxSteps.filter((r) => r.holds).at(-1)?.users ?? 0;
  summary.max = {
    class: 'TradingSystemUser',
    rule: 'generator CPU < 50% of one core (steady), achieved >= 95% of expected, failures < 1%',
    largest_users: largest,
    steps: maxSteps,
  };
  console.log(
    `\n(max) largest swarm held: ${largest} TradingSystemUsers` +
      (maxSteps.at(-1)?.holds
        ? ' (every step held: try larger --steps)'
        : ` (${maxSteps.at(-1)?.users} did not)`),
  );
}
const json = flags.json;
if (json !== undefined) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
