/**
 * Master plus 2 workers: are the master's merged percentiles the exact merge of the workers'
 * histograms? A local target (./http-target.ts), a script at --rate requests/s for --duration
 * seconds (constant-arrival-rate), `tickstorm run SCRIPT --master --expect-workers 2 --json`
 * and two `tickstorm run --worker --json` processes, each writing its own part's report.
 *
 * The bench merges the workers' encoded HdrHistograms itself, with hdr-histogram-js directly
 * (decode, add; not the lab's merge code), and compares count, min, max and the percentiles
 * p50 .. p99.99 with the master's merged histogram: the figure is the largest difference in
 * µs (0 = exact). It also prints the two parts' request counts against the master's.
 *
 *   node --import tsx bench/distributed-merge.bench.ts [--rate 2000] [--duration 5] [--json FILE]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { parseFlags, startChild } from './bench-util.ts';

const {
  rate,
  duration,
  json: jsonOut,
} = parseFlags(import.meta.url, {
  rate: { type: 'number', default: 2000, help: 'requests/s (constant-arrival-rate)' },
  duration: { type: 'number', default: 5, help: 'seconds' },
  json: { type: 'string', value: 'FILE', help: 'write the summary as JSON' },
});
const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const PERCENTILES = [50, 90, 95, 99, 99.9, 99.99];

interface Encoded {
  hdr: string;
  count: number;
  minUs: number | null;
  maxUs: number;
}
interface Report {
  requests: number;
  scenarios: { entries: { name: string; histogram?: Encoded }[] }[];
}

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-merge-'));
const target = await startChild(new URL('./http-target.ts', import.meta.url));
const children: ChildProcess[] = [];

function start(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, out: () => out, exited };
}

async function waitFor(p: { out: () => string; child: ChildProcess }, re: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const m = re.exec(p.out());
    if (m !== null) return m;
    if (p.child.exitCode !== null) throw new Error(`exited before ${re}:\n${p.out()}`);
    await once(p.child.stdout!, 'data');
  }
}

/** The report's one entry histogram (the script's only request name). */
function histogramOf(file: string): { report: Report; h: Encoded } {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const entry = report.scenarios.flatMap((s) => s.entries).find((e) => e.histogram !== undefined);
  if (entry?.histogram === undefined) throw new Error(`${file}: no encoded histogram`);
  return { report, h: entry.histogram };
}

function figures(h: hdr.Histogram, e: Encoded): Record<string, number> {
  const f: Record<string, number> = { count: e.count, min: e.minUs ?? 0, max: e.maxUs };
  for (const p of PERCENTILES) f[`p${p}`] = h.getValueAtPercentile(p);
  return f;
}

try {
  const script = join(dir, 'load.js');
  writeFileSync(
    script,
    `import http from 'tickstorm/http';
export const options = { scenarios: { load: { executor: 'constant-arrival-rate', rate: ${rate}, timeUnit: '1s',
  duration: '${duration}s', preAllocatedVUs: 64, maxVUs: 256 } } };
export default async function () { await http.get('http://127.0.0.1:${target.port}/'); }
`,
  );
  const masterJson = join(dir, 'master.json');
  const workerJson = [join(dir, 'w1.json'), join(dir, 'w2.json')];
  const master = start([
    'run',
    script,
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    masterJson,
  ]);
  const [, port] = await waitFor(master, /Master listening on 127\.0\.0\.1:(\d+)/);
  const workers = workerJson.map((f) => start(['run', '--worker', '--master-port', port, '--json', f]));
  const codes = await Promise.all([master.exited, ...workers.map((w) => w.exited)]);
  if (codes.some((c) => c !== 0 && c !== 99))
    throw new Error(
      `exit codes ${codes.join(', ')}:\n${master.out()}\n${workers.map((w) => w.out()).join('\n')}`,
    );

  // the exact merge, done here: decode each part's counters and add them
  const parts = workerJson.map(histogramOf);
  const merged = hdr.build({ bitBucketSize: 64, useWebAssembly: false });
  for (const p of parts) {
    const d = hdr.decodeFromCompressedBase64(p.h.hdr, 64, false);
    merged.add(d);
    d.destroy();
  }
  const exact: Encoded = {
    hdr: '',
    count: parts.reduce((n, p) => n + p.h.count, 0),
    minUs: Math.min(...parts.map((p) => p.h.minUs ?? Number.POSITIVE_INFINITY)),
    maxUs: Math.max(...parts.map((p) => p.h.maxUs)),
  };
  const m = histogramOf(masterJson);
  const mh = hdr.decodeFromCompressedBase64(m.h.hdr, 64, false);
  const ours = figures(mh, m.h);
  const theirs = figures(merged, exact);
  mh.destroy();
  merged.destroy();
  const diffs = Object.keys(ours).map((k) => Math.abs(ours[k] - theirs[k]));
  const summary = {
    rate,
    duration_s: duration,
    worker_requests: parts.map((p) => p.report.requests),
    master_requests: m.report.requests,
    master_us: ours,
    exact_merge_us: theirs,
    max_difference_us: Math.max(...diffs),
    exact: diffs.every((d) => d === 0),
  };
  console.log(`workers: ${summary.worker_requests.join(' + ')} requests; master: ${summary.master_requests}`);
  for (const k of Object.keys(ours))
    console.log(`  ${k.padEnd(7)} master ${ours[k]}  exact merge ${theirs[k]}`);
  console.log(
    `largest difference ${summary.max_difference_us} µs: ${summary.exact ? 'EXACT' : 'NOT EXACT'} (master's merged percentiles vs the workers' histograms added here)`,
  );
  if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.exact ? 0 : 1;
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  target.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
