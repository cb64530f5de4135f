/**
 * Market-data ingest benchmark against the REAL service. Each run starts the service in a
 * child process (./market-data-service-entry.ts; its own core), opens raw WebSocket
 * connections from this process (./md-raw-ws.ts, ./md-load-gen.ts) and floods it:
 *
 *   single  one tick per text frame (the Scenario 1 shape), 50 connections
 *   array   JSON arrays of 100 ticks per text frame
 *   binary  binary batches of 1,000 ticks per frame
 *
 * After a warm-up the server's latency histogram is reset (POST /stats/reset); after the
 * run every connection sends a sync and waits for its ack, so "processed" covers all the
 * backlog and loss is checked exactly (processed + rejected == sent, rejected == 0).
 * ticks/s = ticks the server processed between two /stats samples (server clock) spanning
 * the measured window; "offered" = ticks the generator wrote in it. Offered well above
 * processed means a growing backlog (server-bound); CPU of both processes tells the rest.
 *
 *   node --import tsx packages/trading/bench/market-data-ingest.bench.ts [--json]
 *     [--scenario single|array|binary|all] [--duration 5] [--warmup 1] [--runs 3]
 *     [--connections 50] [--rate TICKS_PER_S] [--array-size 100] [--binary-size 1000]
 *     [--server-node-args="--max-semi-space-size=32 ..."]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type FlagValues, isMain, median, parseFlags } from './bench-util.ts';
import { FrameSource, type LoadMode, pump } from './md-load-gen.ts';
import { RawWs } from './md-raw-ws.ts';

export interface IngestRun {
  ticksPerSecond: number;
  offeredPerSecond: number;
  sent: number;
  processed: number;
  rejected: number;
  zeroLoss: boolean;
  serverP50Ms: number;
  serverP99Ms: number;
  serverMaxMs: number;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  /** Processed ticks per second of server CPU time: the capacity of one fully used core. */
  ticksPerServerCpuSecond: number;
}

export interface IngestScenario {
  name: LoadMode;
  connections: number;
  ticksPerFrame: number;
  goalTicksPerSecond: number;
  runs: IngestRun[];
  median: {
    ticksPerSecond: number;
    serverP50Ms: number;
    serverP99Ms: number;
    ticksPerServerCpuSecond: number;
  };
  zeroLoss: boolean;
}

const ENTRY = fileURLToPath(new URL('./market-data-service-entry.ts', import.meta.url));

/** The bench's flags (parseFlags). */
export const INGEST_FLAGS = {
  scenario: { type: 'string', default: 'all', choices: ['single', 'array', 'binary', 'all'] },
  duration: { type: 'number', default: 5, help: 'measured seconds per run' },
  warmup: { type: 'number', default: 1, help: 'seconds before the measured window' },
  runs: { type: 'number', default: 3, help: 'runs per scenario, the median reported' },
  connections: { type: 'number', default: 50 },
  rate: { type: 'number', default: 0, value: 'TICKS_PER_S', help: 'offered ticks/s, 0 as fast as possible' },
  'array-size': { type: 'number', default: 100, help: 'ticks per JSON array frame' },
  'binary-size': { type: 'number', default: 1000, help: 'ticks per binary frame' },
  'server-node-args': {
    type: 'string',
    default: '',
    value: '"ARGS"',
    help: 'extra node flags for the server process, e.g. --server-node-args="--max-semi-space-size=32"',
  },
  json: { type: 'boolean', help: 'print the scenarios as JSON' },
} as const;

export type IngestFlags = FlagValues<typeof INGEST_FLAGS>;

async function startServer(nodeArgs: string[]): Promise<{ child: ChildProcess; port: number; pid: number }> {
  const args = [...nodeArgs, '--import', 'tsx', ENTRY, '--watch-stdin'];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  // The first JSON line names the port; every other line (e.g. --trace-gc) goes to stderr,
  // and stdout keeps being drained so the server never blocks on a full pipe.
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (l.startsWith('{"port"')) resolve(l);
      else process.stderr.write(`[market-data] ${l}\n`);
    });
    child.once('exit', (code) => reject(new Error(`market-data exited with ${code}`)));
  });
  const { port, pid } = JSON.parse(line) as { port: number; pid: number };
  return { child, port, pid };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) of a process, from /proc (NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function json(url: string, method = 'GET'): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method });
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

export async function runOnce(
  mode: LoadMode,
  o: { connections: number; ticksPerFrame: number; durationS: number; warmupS: number; rate: number },
  serverNodeArgs: string[] = [],
): Promise<IngestRun> {
  const { child, port, pid } = await startServer(serverNodeArgs);
  const base = `http://127.0.0.1:${port}`;
  try {
    const conns = await Promise.all(
      Array.from({ length: o.connections }, () => RawWs.connect(port, '/stream')),
    );
    const sources = conns.map((_, j) => new FrameSource(mode, j, o.ticksPerFrame));
    const p = pump(conns, sources, o.rate);
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));
    await json(`${base}/stats/reset`, 'POST');
    const startStats = await json(`${base}/stats`);
    const tStart = performance.now();
    const sentStart = p.sent();
    const srvCpu0 = cpuSeconds(pid);
    const genCpu0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, o.durationS * 1000));
    const stopStats = await json(`${base}/stats`);
    const sentStop = p.sent();
    const tStop = performance.now();
    const srvCpu = cpuSeconds(pid) - srvCpu0;
    const gen = process.cpuUsage(genCpu0);
    await p.stop();
    const acks = await Promise.all(conns.map((c) => c.sync()));
    const stats = await json(`${base}/stats`);
    for (const c of conns) c.close();
    const sent = p.sent();
    const processed = acks.reduce((a, k) => a + k.processed, 0);
    const rejected = acks.reduce((a, k) => a + k.rejected, 0);
    const received = acks.reduce((a, k) => a + k.received, 0);
    const lat = stats.processingLatencyMs as { p50: number; p99: number; max: number };
    const seconds = (tStop - tStart) / 1000;
    const serverSeconds = ((stopStats.sampledAt as number) - (startStats.sampledAt as number)) / 1000;
    const delta = (stopStats.ticksProcessed as number) - (startStats.ticksProcessed as number);
    return {
      ticksPerSecond: Math.round(delta / serverSeconds),
      offeredPerSecond: Math.round((sentStop - sentStart) / seconds),
      sent,
      processed,
      rejected,
      zeroLoss: received === sent && processed + rejected === sent && rejected === 0,
      serverP50Ms: lat.p50,
      serverP99Ms: lat.p99,
      serverMaxMs: lat.max,
      serverCpuPercent: Math.round((100 * srvCpu) / seconds),
      generatorCpuPercent: Math.round((gen.user + gen.system) / 1e4 / seconds),
      ticksPerServerCpuSecond: Math.round((delta / serverSeconds / srvCpu) * seconds),
    };
  } finally {
    await stopServer(child);
  }
}

export async function runIngestBench(f: IngestFlags): Promise<IngestScenario[]> {
  const which = f.scenario;
  const connections = f.connections;
  const base = {
    connections,
    durationS: f.duration,
    warmupS: f.warmup,
    rate: f.rate,
  };
  const nodeArgs = f['server-node-args'].split(' ').filter((x) => x.length > 0);
  const plan: [LoadMode, number, number][] = [
    ['single', 1, 250_000],
    ['array', f['array-size'], 1_000_000],
    ['binary', f['binary-size'], 1_000_000],
  ];
  const out: IngestScenario[] = [];
  for (const [mode, ticksPerFrame, goal] of plan) {
    if (which !== 'all' && which !== mode) continue;
    const runs: IngestRun[] = [];
    for (let r = 0; r < f.runs; r++) {
      runs.push(await runOnce(mode, { ...base, ticksPerFrame }, nodeArgs));
      if (!f.json) process.stderr.write(`  ${mode} run ${r + 1}: ${JSON.stringify(runs.at(-1))}\n`);
    }
    out.push({
      name: mode,
      connections,
      ticksPerFrame,
      goalTicksPerSecond: goal,
      runs,
      median: {
        ticksPerSecond: median(runs.map((x) => x.ticksPerSecond)),
        serverP50Ms: median(runs.map((x) => x.serverP50Ms)),
        serverP99Ms: median(runs.map((x) => x.serverP99Ms)),
        ticksPerServerCpuSecond: median(runs.map((x) => x.ticksPerServerCpuSecond)),
      },
      zeroLoss: runs.every((x) => x.zeroLoss),
    });
  }
  return out;
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, INGEST_FLAGS);
  const scenarios = await runIngestBench(f);
  if (f.json) console.log(JSON.stringify({ scenarios }, null, 2));
  else {
    console.table(
      scenarios.map((s) => ({
        scenario: s.name,
        conns: s.connections,
        'ticks/frame': s.ticksPerFrame,
        'ticks/s (median)': s.median.ticksPerSecond,
        goal: s.goalTicksPerSecond,
        'server p50 ms': s.median.serverP50Ms,
        'server p99 ms': s.median.serverP99Ms,
        'zero loss': s.zeroLoss,
        'server CPU %': median(s.runs.map((r) => r.serverCpuPercent)),
        'generator CPU %': median(s.runs.map((r) => r.generatorCpuPercent)),
        'ticks/server-CPU-s': s.median.ticksPerServerCpuSecond,
      })),
    );
  }
}
