/**
 * What a script costs: generator CPU per request of `tickstorm run SCRIPT.js` (the k6-style
 * script runtime, `tickstorm/http` on undici, one async iteration per request) against
 * `tickstorm http -R` (the raw prebuilt-request client the built-in scenarios use), side by
 * side in one run, open model at the same rate against the same local target (a node:http
 * server in a child process, bench/http-target.ts).
 *
 * Start-up (Node, tsx, loading the script) and shut-down are not the cost asked about, so the
 * figure is taken over the steady middle of each run: the child's utime+stime (every thread)
 * is sampled from /proc every 100 ms (bench/proc-cpu.ts), and its CPU-seconds per second over
 * [end - duration + --margin, end - --margin] divide the requests per second it achieved over
 * the whole run (an open model holds its rate: both must reach >= 95% of it, or the round says
 * so). The script is written to a temporary directory outside the checkout, as a user's would
 * be. Medians over --runs (3); the order of the two tools alternates.
 *
 *   node --import tsx bench/script-overhead.bench.ts [--rate 2000] [--duration 10] [--margin 1.5]
 *        [--runs 3] [--json FILE]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childStats, median, parseFlags, startChild } from './bench-util.ts';
import { cpuRate, runMeasured } from './proc-cpu.ts';

const flags = parseFlags(import.meta.url, {
  rate: { type: 'number', default: 2000, help: 'requests/s, both tools' },
  duration: { type: 'number', default: 10, help: 'seconds per run' },
  margin: { type: 'number', default: 1.5, help: 'seconds left out at each end of a run' },
  runs: { type: 'number', default: 3, help: 'rounds, the median reported' },
  json: { type: 'string', value: 'FILE', help: 'write the summary as JSON' },
});
const { rate, duration, margin, runs } = flags;
for (const [name, v] of [
  ['rate', rate],
  ['duration', duration],
  ['margin', margin],
  ['runs', runs],
] as const) {
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`--${name} must be a positive number`);
    process.exit(2);
  }
}
if (2 * margin >= duration - 1) {
  console.error('--duration must exceed twice --margin by at least 1 second');
  process.exit(2);
}

const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-script-overhead-'));
const target = await startChild(new URL('./http-target.ts', import.meta.url));
const url = `http://127.0.0.1:${target.port}/`;

function script(seconds: number): string {
  const file = join(dir, `get-${seconds}s.js`);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: {
    get: { executor: 'constant-arrival-rate', rate: ${rate}, timeUnit: '1s', duration: '${seconds}s', preAllocatedVUs: 50, maxVUs: 500 },
  },
};
export default async function () {
  await http.get(${JSON.stringify(url)});
}
`,
  );
  return file;
}

interface Measured {
  requests: number;
  failures: number;
  achieved_rps: number;
  cpu_per_s: number;
  req_per_cpu_s: number;
}

async function measured(args: string[], jsonFile: string): Promise<Measured> {
  const r = await runMeasured(process.execPath, [BIN, ...args], { start: /$^/, end: /$^/ });
  if (r.code !== 0) throw new Error(`tickstorm ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-500)}`);
  const j = JSON.parse(readFileSync(jsonFile, 'utf8'));
  const requests = j.requests as number;
  const cpu = cpuRate(r.samples, r.wallSec - duration + margin, r.wallSec - margin);
  if (cpu === undefined || cpu <= 0) throw new Error(`no CPU samples for tickstorm ${args.join(' ')}`);
  const achieved = requests / duration;
  return {
    requests,
    failures: (j.errors ?? j.failures ?? 0) as number,
    achieved_rps: Math.round(achieved),
    cpu_per_s: Math.round(cpu * 1000) / 1000,
    req_per_cpu_s: Math.round(achieved / cpu),
  };
}

function raw(): Promise<Measured> {
  const out = join(dir, 'raw.json');
  return measured(
    ['http', url, '-R', String(rate), '-d', String(duration), '-c', '50', '--workers', '1', '--json', out],
    out,
  );
}

function scripted(): Promise<Measured> {
  const out = join(dir, 'script.json');
  return measured(['run', script(duration), '--json', out], out);
}

const rounds: { raw: Measured; script: Measured; cpu_per_request_ratio: number }[] = [];
try {
  for (let i = 0; i < runs; i++) {
    let r: Measured;
    let s: Measured;
    if (i % 2 === 0) {
      r = await raw();
      s = await scripted();
    } else {
      s = await scripted();
      r = await raw();
    }
    const held = (m: Measured) => (m.achieved_rps >= 0.95 * rate ? '' : ` (held only ${m.achieved_rps}/s)`);
    const ratio = Math.round((r.req_per_cpu_s / s.req_per_cpu_s) * 100) / 100;
    rounds.push({ raw: r, script: s, cpu_per_request_ratio: ratio });
    console.log(
      `run ${i + 1}: tickstorm http ${r.req_per_cpu_s} req/CPU-s${held(r)} | script ${s.req_per_cpu_s} req/CPU-s${held(s)} | script CPU per request ${ratio}x`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const summary = {
  bench: 'script-overhead',
  rate,
  duration_s: duration,
  margin_s: margin,
  runs,
  loadavg_1m: Math.round(loadavg()[0] * 100) / 100,
  raw_req_per_cpu_s: Math.round(median(rounds.map((r) => r.raw.req_per_cpu_s))),
  script_req_per_cpu_s: Math.round(median(rounds.map((r) => r.script.req_per_cpu_s))),
  script_cpu_per_request_x: median(rounds.map((r) => r.cpu_per_request_ratio)),
  target_cpu_s: (await childStats<{ cpuSec: number }>(target.child)).cpuSec,
  rounds,
};
console.log(
  `median: tickstorm http ${summary.raw_req_per_cpu_s} req/CPU-s, script ${summary.script_req_per_cpu_s} req/CPU-s: a script costs ${summary.script_cpu_per_request_x}x the generator CPU per request (steady part, start-up excluded)`,
);
const json = flags.json;
if (json !== undefined) writeFileSync(json, `${JSON.stringify(summary, null, 2)}\n`);
target.child.kill();
