/**
 * Order entry over HTTP against the REAL system: each run starts `tickstorm serve` in a child
 * process (./serve-child.ts) and drives POST /orders with autocannon over HTTP/1.1
 * keep-alive, pipelining 1, with the Scenario 2 mix (./order-mix.ts, tick-rounded).
 *
 *   max   as many orders as N connections can get answered for D s (goal >= 20,000 orders/s
 *         on 2 cores). The one account's risk limits (10,000 orders/s, position) are raised
 *         first with PUT /limits, or the run measures the rate limiter (--keep-limits does).
 *   rate  autocannon overallRate (default 1,000/s) for D s (goal p99 < 10 ms), default risk
 *         limits. autocannon paces per connection per second: each connection sends its share
 *         back to back at the start of its own 1 s window (windows staggered by connection
 *         set-up), so --rate-connections sets the burst concurrency (10; a Python httpx pool
 *         firing 1,000 at once is closer to 100).
 *
 * Latency is taken from autocannon's response events (sub-ms, unlike its own 1 ms histogram)
 * into an HdrHistogram in microseconds, every answer included but each connection's first
 * (see attack()). Server CPU (all threads) from /proc, over the same window.
 * A warm-up with the same settings precedes every measured run; the median of --runs is kept.
 *
 *   node --import tsx packages/trading/bench/orders-http.bench.ts [--json] [--scenario max|rate|all]
 *     [--runs 3] [--duration 10] [--warmup 2] [--connections 64] [--rate 1000]
 *     [--rate-connections 10] [--keep-limits] [--server-node-args="--cpu-prof --cpu-prof-dir=DIR"]
 */
import autocannon, { type AutocannonOptions } from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { type FlagValues, isMain, median, parseFlags } from './bench-util.ts';
import { stressRequests } from './order-mix.ts';
import { cpuMeter, type ServedSystem, serveChild } from './serve-child.ts';

export interface OrdersRun {
  ordersPerSecond: number;
  answers: number;
  non2xx: Record<string, number>;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuPercent: number;
  /** Server CPU time (all threads) per answered request: the figure least moved by a busy box. */
  serverCpuUsPerOrder: number;
  clientCpuPercent: number;
  serverExit: number | null;
}

export interface OrdersScenario {
  name: 'max' | 'rate';
  connections: number;
  rate: number | null;
  durationS: number;
  goal: string;
  pass: boolean;
  runs: OrdersRun[];
  median: Omit<OrdersRun, 'non2xx' | 'serverExit'>;
}

/** The bench's flags (parseFlags). */
export const ORDERS_HTTP_FLAGS = {
  scenario: { type: 'string', default: 'all', choices: ['max', 'rate', 'all'] },
  runs: { type: 'number', default: 3, help: 'runs per scenario, the median kept' },
  duration: { type: 'number', default: 10, help: 'measured seconds per run' },
  warmup: { type: 'number', default: 2, help: 'warm-up seconds before each run' },
  connections: { type: 'number', default: 64, help: 'connections of the max scenario' },
  rate: { type: 'number', default: 1000, help: 'orders/s of the rate scenario' },
  'rate-connections': { type: 'number', default: 10, help: 'connections of the rate scenario' },
  'keep-limits': { type: 'boolean', help: "keep serve's risk limits (loosened otherwise)" },
  'server-node-args': {
    type: 'string',
    default: '',
    value: '"ARGS"',
    help: 'extra node flags for serve, e.g. --server-node-args="--cpu-prof --cpu-prof-dir=DIR"',
  },
  json: { type: 'boolean', help: 'print the results as JSON' },
} as const;

export type OrdersHttpFlags = FlagValues<typeof ORDERS_HTTP_FLAGS>;

/** Distinct bodies; each connection cycles through them (autocannon builds them per connection). */
const REQUESTS = stressRequests(256);
const LOOSE_LIMITS = { maxOrdersPerSecond: 1e9, maxPosition: 1e12, maxGrossExposure: 1e15 };

type Measured = Omit<
  OrdersRun,
  'serverCpuPercent' | 'serverCpuUsPerOrder' | 'clientCpuPercent' | 'serverExit'
>;

/**
 * One autocannon run. autocannon builds every connection's request buffers synchronously
 * at start (connections x requests), so the first request of each connection waits for
 * that set-up: each connection's first answer is left out, and the rate is counted from
 * the moment every connection has had one (`onReady` fires then) to the end.
 */
async function attack(o: AutocannonOptions, onReady?: () => void): Promise<Measured> {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const seen = new Set<unknown>();
  const connections = o.connections ?? 10;
  let tReady = performance.now();
  let ok = 0;
  const r = await new Promise<import('autocannon').AutocannonResult>((resolve, reject) => {
    const inst = autocannon({ pipelining: 1, timeout: 10, requests: REQUESTS, ...o }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
    inst.on('response', (client: unknown, status: number, _bytes: number, ms: number) => {
      if (seen.size < connections && !seen.has(client)) {
        seen.add(client);
        if (seen.size === connections) {
          tReady = performance.now();
          onReady?.();
        }
        return;
      }
      h.recordValue(Math.max(1, Math.round(ms * 1000)));
      if (status >= 200 && status < 300) ok++;
    });
  });
  const seconds = (performance.now() - tReady) / 1000;
  const non2xx: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats))
    if (!code.startsWith('2')) non2xx[code] = s.count;
  const ms = (p: number) => Math.round(h.getValueAtPercentile(p)) / 1000;
  return {
    ordersPerSecond: Math.round(ok / seconds),
    answers: h.totalCount,
    non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    p50Ms: ms(50),
    p95Ms: ms(95),
    p99Ms: ms(99),
    maxMs: h.maxValue / 1000,
  };
}

async function preflight(sys: ServedSystem, keepLimits: boolean): Promise<void> {
  const ex = sys.urls['execution-engine'];
  if (!keepLimits) {
    const res = await fetch(`${sys.urls['risk-manager']}/limits`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(LOOSE_LIMITS),
    });
    if (res.status !== 200) throw new Error(`PUT /limits answered ${res.status}: ${await res.text()}`);
  }
  for (const req of REQUESTS.slice(0, 20)) {
    const res = await fetch(`${ex}/orders`, { method: 'POST', headers: req.headers, body: req.body });
    if (res.status !== 201)
      throw new Error(`pre-flight order ${req.body} answered ${res.status}: ${await res.text()}`);
  }
}

async function runOnce(
  name: 'max' | 'rate',
  o: Record<string, number>,
  nodeArgs: string[],
  keep: boolean,
): Promise<OrdersRun> {
  const sys = await serveChild(nodeArgs);
  try {
    await preflight(sys, keep || name === 'rate');
    const url = sys.urls['execution-engine'];
    const base: AutocannonOptions = { url, connections: o.connections };
    if (name === 'rate') base.overallRate = o.rate;
    if (o.warmupS > 0) await attack({ ...base, duration: o.warmupS });
    let meter = cpuMeter(sys.pid);
    const r = await attack({ ...base, duration: o.durationS }, () => {
      meter = cpuMeter(sys.pid);
    });
    const { serverCpuSeconds, serverCpuPercent, clientCpuPercent } = meter();
    const serverCpuUsPerOrder = Math.round((serverCpuSeconds * 1e6) / Math.max(1, r.answers));
    const serverExit = await sys.stop();
    return { ...r, serverCpuPercent, serverCpuUsPerOrder, clientCpuPercent, serverExit };
  } finally {
    await sys.stop();
  }
}

export async function runOrdersHttpBench(f: OrdersHttpFlags): Promise<OrdersScenario[]> {
  const which = f.scenario;
  const nodeArgs = f['server-node-args'].split(' ').filter((x) => x.length > 0);
  const keep = f['keep-limits'];
  const durationS = f.duration;
  const plan = [
    { name: 'max' as const, connections: f.connections, rate: 0, goal: '>= 20000 orders/s' },
    {
      name: 'rate' as const,
      connections: f['rate-connections'],
      rate: f.rate,
      goal: 'p99 < 10 ms',
    },
  ];
  const out: OrdersScenario[] = [];
  for (const p of plan) {
    if (which !== 'all' && which !== p.name) continue;
    const runs: OrdersRun[] = [];
    for (let i = 0; i < f.runs; i++) {
      const o = { connections: p.connections, rate: p.rate, durationS, warmupS: f.warmup };
      runs.push(await runOnce(p.name, o, nodeArgs, keep));
      if (!f.json) process.stderr.write(`  ${p.name} run ${i + 1}: ${JSON.stringify(runs.at(-1))}\n`);
    }
    const m = (k: keyof OrdersRun) => median(runs.map((r) => r[k] as number));
    const med = {
      ordersPerSecond: m('ordersPerSecond'),
      answers: m('answers'),
      errors: m('errors'),
      timeouts: m('timeouts'),
      p50Ms: m('p50Ms'),
      p95Ms: m('p95Ms'),
      p99Ms: m('p99Ms'),
      maxMs: m('maxMs'),
      serverCpuPercent: m('serverCpuPercent'),
      serverCpuUsPerOrder: m('serverCpuUsPerOrder'),
      clientCpuPercent: m('clientCpuPercent'),
    };
    const pass = p.name === 'max' ? med.ordersPerSecond >= 20_000 : med.p99Ms < 10;
    out.push({
      name: p.name,
      connections: p.connections,
      rate: p.rate || null,
      durationS,
      goal: p.goal,
      pass,
      runs,
      median: med,
    });
  }
  return out;
}

function print(res: OrdersScenario[]): void {
  console.log('\nPOST /orders against tickstorm serve (child process), HTTP/1.1 keep-alive, pipelining 1');
  console.log(
    'scenario  conns  rate   orders/s  p50 ms  p95 ms  p99 ms  max ms  srv CPU%  srv us/order  cli CPU%  non-2xx  goal',
  );
  for (const s of res) {
    const m = s.median;
    const non2xx = s.runs.map((r) => Object.values(r.non2xx).reduce((a, b) => a + b, 0) + r.errors).join('/');
    console.log(
      `${s.name.padEnd(8)}  ${String(s.connections).padStart(5)}  ${String(s.rate ?? 'max').padStart(5)}  ` +
        `${String(m.ordersPerSecond).padStart(8)}  ${m.p50Ms.toFixed(2).padStart(6)}  ${m.p95Ms.toFixed(2).padStart(6)}  ` +
        `${m.p99Ms.toFixed(2).padStart(6)}  ${m.maxMs.toFixed(1).padStart(6)}  ${String(m.serverCpuPercent).padStart(8)}  ` +
        `${String(m.serverCpuUsPerOrder).padStart(12)}  ` +
        `${String(m.clientCpuPercent).padStart(8)}  ${non2xx.padStart(7)}  ${s.goal} ${s.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(`(medians of ${res[0]?.runs.length ?? 0} runs; non-2xx + errors listed per run)`);
  const exits = res.flatMap((s) => s.runs.map((r) => r.serverExit)).filter((c) => c !== 0);
  if (exits.length > 0) console.log(`WARNING: tickstorm serve exited with ${exits.join(', ')} (not 0)`);
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, ORDERS_HTTP_FLAGS);
  const res = await runOrdersHttpBench(f);
  if (f.json) console.log(JSON.stringify({ results: res }, null, 2));
  else print(res);
}
