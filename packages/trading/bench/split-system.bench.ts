/**
 * The system apart on NATS, measured from outside, each process started as a user starts
 * it (`node bin/tickstorm.js serve <service> --bus nats://…`, serve-child.ts) against a
 * nats-server started here (Debian's package, a free port):
 *
 * - orders:  open-loop POST /orders at --order-rate (default 1,000/s) for --duration s to an
 *            execution engine whose risk runs in another process; latency from the intended
 *            send time (coordinated omission corrected); side by side with the same load on
 *            all four services in one process.
 * - ticks:   --tick-rate (default 10,000/s) ticks into one market-data process; a subscriber
 *            on each of two api processes; latency from the tick's send to its update on the
 *            subscriber (each tick carries a price unique within the run window, so every
 *            update read names the tick it shows).
 * - flood:   --flood-rate (default 100,000/s) ticks through one market-data process to two
 *            api processes; every symbol's last update on both subscribers must carry the
 *            tick count sent for it (0 lost, proven by counts), and market data's own count.
 * - scenarios: `tickstorm run all` (the four standard scenarios and their gates) against the
 *            four services apart, one process each; its exit code and each scenario's verdict.
 * - scaling: closed-loop orders (--connections, default 32) for --duration s against one
 *            execution engine owning every symbol, then against two engines partitioning
 *            them (each half of the connections to each), risk apart in both cases.
 *
 *   node --import tsx packages/trading/bench/split-system.bench.ts [--parts orders,ticks,flood,scenarios,scaling]
 *     [--duration 10] [--runs 1] [--order-rate 1000] [--tick-rate 10000] [--flood-rate 100000]
 *     [--connections 32] [--durability fsync|write] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { LatencyHistogram, type LatencySummary } from '../src/stats/latency-histogram.ts';
import { type NatsServer, startNatsServer } from '../test/support/nats-server.ts';
import { badFlag, isMain, median, parseFlags } from './bench-util.ts';
import { cpuSeconds, type ServedSystem, serveChild, TICKSTORM } from './serve-child.ts';

const PARTS = ['orders', 'ticks', 'flood', 'scenarios', 'scaling'];
const FLAGS = {
  parts: { type: 'string', default: PARTS.join(','), value: 'PART[,PART]' },
  duration: { type: 'number', default: 10, help: 'seconds per measured run' },
  runs: { type: 'number', default: 1 },
  'order-rate': { type: 'number', default: 1000, help: 'orders/s (orders)' },
  'tick-rate': { type: 'number', default: 10000, help: 'ticks/s (ticks)' },
  'flood-rate': { type: 'number', default: 100000, help: 'ticks/s (flood)' },
  connections: { type: 'number', default: 32, help: 'closed-loop connections (scaling)' },
  durability: { type: 'string', default: 'fsync', choices: ['fsync', 'write'], help: "serve's --durability" },
  json: { type: 'boolean', help: 'print the results as JSON' },
} as const;
/** The flags when run as a script; their defaults when imported. */
const F = parseFlags(import.meta.url, FLAGS, isMain(import.meta.url) ? undefined : []);
/** --durability fsync (default: every order answered after a group-committed fdatasync) | write. */
const DURABILITY = F.durability;
const SYMBOLS = ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA', ...Array.from({ length: 45 }, (_, i) => `SYM${i}`)];

interface Cluster {
  procs: (ServedSystem & { role: string })[];
  url(service: string, i?: number): string;
  stop(): Promise<void>;
}

/** Starts `layout` (serve arguments per process) on `nats`, in order. */
async function cluster(nats: NatsServer | null, layout: string[][]): Promise<Cluster> {
  const procs: (ServedSystem & { role: string })[] = [];
  try {
    for (const args of layout) {
      const bus = nats === null ? [] : ['--bus', nats.url];
      const served = await serveChild(
        [],
        { ...process.env, TICKSTORM_LOG_LEVEL: 'warn', TICKSTORM_DURABILITY: DURABILITY },
        [...args, ...bus],
      );
      procs.push(Object.assign(served, { role: args.length === 0 ? 'all' : args[0] }));
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
  return {
    procs,
    url(service, i = 0) {
      const found = procs.map((p) => p.urls[service]).filter((u) => u !== undefined);
      if (found[i] === undefined) throw new Error(`no ${service} #${i} in the cluster`);
      return found[i];
    },
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Open-loop orders at `rate`/s for `durationS`, latency from the intended send time. */
async function openLoopOrders(url: string, rate: number, durationS: number) {
  const agent = new Agent({ connections: 64, pipelining: 1 });
  const h = new LatencyHistogram();
  const fromSend = new LatencyHistogram();
  const status = new Map<number, number>();
  const total = Math.round(rate * durationS);
  const t0 = performance.now() + 50;
  let inflight = 0;
  const done: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    // never early (a timer wakes up to ~1 ms late: counted, from the intended time)
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const sentAt = performance.now();
    const sym = SYMBOLS[i % SYMBOLS.length];
    const buy = (i & 1) === 0;
    const body = JSON.stringify({
      symbol: sym,
      side: buy ? 'buy' : 'sell',
      type: 'limit',
      price: buy ? 90 + (i % 50) * 0.01 : 110 + (i % 50) * 0.01,
      quantity: 1,
      account: `bench-${i % 200}`,
    });
    inflight++;
    done.push(
      request(`${url}/orders`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
      })
        .then(async (r) => {
          await r.body.dump();
          status.set(r.statusCode, (status.get(r.statusCode) ?? 0) + 1);
        })
        .catch(() => {
          status.set(0, (status.get(0) ?? 0) + 1);
        })
        .finally(() => {
          const now = performance.now();
          h.recordMs(now - due);
          fromSend.recordMs(now - sentAt);
          inflight--;
        }),
    );
  }
  await Promise.all(done);
  await agent.close();
  return {
    sent: total,
    status: Object.fromEntries(status),
    /** From the intended send time (coordinated omission corrected; includes the generator's timer slack). */
    latencyMs: h.summaryMs(),
    /** From the moment the request was sent: the system's own part. */
    fromSendMs: fromSend.summaryMs(),
    inflightAtEnd: inflight,
  };
}

/** Closed loop: `connections` workers each POSTing back to back for `durationS`; orders/s answered 201. */
async function closedLoopOrders(
  targets: { url: string; symbols: string[] }[],
  connections: number,
  durationS: number,
) {
  const agent = new Agent({ connections: connections * 2, pipelining: 1 });
  const end = performance.now() + durationS * 1000;
  let ok = 0;
  let other = 0;
  let n = 0;
  const worker = async (w: number) => {
    const t = targets[w % targets.length];
    while (performance.now() < end) {
      const k = n++;
      const buy = (k & 1) === 0;
      const r = await request(`${t.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        dispatcher: agent,
        body: JSON.stringify({
          symbol: t.symbols[k % t.symbols.length],
          side: buy ? 'buy' : 'sell',
          type: 'limit',
          price: buy ? 90 + (k % 50) * 0.01 : 110 + (k % 50) * 0.01,
          quantity: 1,
          account: `scale-${k % 500}`,
        }),
      });
      await r.body.dump();
      if (r.statusCode === 201) ok++;
      else other++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const s = (performance.now() - t0) / 1000;
  await agent.close();
  return { ordersPerSecond: Math.round(ok / s), accepted: ok, other };
}

function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

interface Subscriber {
  ws: WebSocket;
  /** symbol -> the `ticks` count of its last update. */
  lastTicks: Map<string, number>;
  updates: number;
}

async function subscriber(
  apiUrl: string,
  onUpdate?: (m: { symbol: string; last: number }) => void,
): Promise<Subscriber> {
  const ws = await openWs(`${apiUrl.replace(/^http/, 'ws')}/ws/metrics`);
  const sub: Subscriber = { ws, lastTicks: new Map(), updates: 0 };
  let acked = 0;
  const all = new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'subscribed' && ++acked === SYMBOLS.length) resolve();
      if (m.type !== 'update') return;
      sub.updates++;
      sub.lastTicks.set(m.symbol, m.ticks);
      onUpdate?.(m);
    });
  });
  ws.send(JSON.stringify({ action: 'subscribe', symbols: SYMBOLS }));
  await all;
  return sub;
}

/** Sends `rate` ticks/s for `durationS` over one ingest socket, in frames of JSON arrays every ~5 ms. */
async function feed(
  mdUrl: string,
  rate: number,
  durationS: number,
  onTick: (symbol: string, price: number, at: number) => void,
) {
  const ws = await openWs(`${mdUrl.replace(/^http/, 'ws')}/stream`);
  const sent = new Map<string, number>();
  const total = Math.round(rate * durationS);
  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    const batch: unknown[] = [];
    const at = performance.timeOrigin + performance.now();
    for (; i < due; i++) {
      const symbol = SYMBOLS[i % SYMBOLS.length];
      const k = Math.floor(i / SYMBOLS.length);
      // unique within 90,000 ticks per symbol: 100.00 .. 999.99
      const price = Math.round(10_000 + (k % 90_000)) / 100;
      batch.push({ type: 'tick', symbol, price, volume: 1, timestamp: at / 1000 });
      sent.set(symbol, (sent.get(symbol) ?? 0) + 1);
      onTick(symbol, price, at);
    }
    if (batch.length > 0) ws.send(JSON.stringify(batch));
    // TCP flow control: never queue more than 4 MB in the client
    while (ws.bufferedAmount > 4 << 20) await sleep(1);
    await sleep(5);
  }
  await new Promise<void>((resolve) => ws.send(JSON.stringify({ type: 'sync', id: 1 }), () => resolve()));
  await new Promise<void>((resolve) => {
    ws.on('message', (d) => {
      if (JSON.parse(String(d)).type === 'ack') resolve();
    });
  });
  ws.close();
  return { sent, total };
}

async function untilTrue(cond: () => boolean, ms: number): Promise<boolean> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) return false;
    await sleep(20);
  }
  return true;
}

export async function benchOrders(nats: NatsServer, rate: number, durationS: number) {
  const split = await cluster(nats, [['risk-manager'], ['execution-engine'], ['market-data'], ['api']]);
  let apart: Awaited<ReturnType<typeof openLoopOrders>>;
  try {
    await openLoopOrders(split.url('execution-engine'), rate, 1); // warm-up
    apart = await openLoopOrders(split.url('execution-engine'), rate, durationS);
  } finally {
    await split.stop();
  }
  const one = await cluster(null, [[]]);
  let together: Awaited<ReturnType<typeof openLoopOrders>>;
  try {
    await openLoopOrders(one.url('execution-engine'), rate, 1);
    together = await openLoopOrders(one.url('execution-engine'), rate, durationS);
  } finally {
    await one.stop();
  }
  return { rate, durationS, riskApart: apart, oneProcess: together };
}

export async function benchTicks(nats: NatsServer, rate: number, durationS: number) {
  const c = await cluster(nats, [['market-data'], ['api'], ['api']]);
  try {
    const sentAt = new Map<string, number>();
    const hs = [new LatencyHistogram(), new LatencyHistogram()];
    const subs = await Promise.all(
      [0, 1].map((k) =>
        subscriber(c.url('api', k), (m) => {
          const at = sentAt.get(`${m.symbol}@${m.last}`);
          if (at !== undefined) hs[k].recordMs(performance.timeOrigin + performance.now() - at);
        }),
      ),
    );
    await feed(c.url('market-data'), rate, 1, () => {}); // warm-up
    const f = await feed(c.url('market-data'), rate, durationS, (s, p, at) => sentAt.set(`${s}@${p}`, at));
    await untilTrue(
      () => subs.every((s) => SYMBOLS.every((x) => (s.lastTicks.get(x) ?? 0) >= 2 * 0 + 1)),
      5000,
    );
    for (const s of subs) s.ws.close();
    return {
      rate,
      durationS,
      ticks: f.total,
      perApi: hs.map((h, k) => ({ updates: subs[k].updates, tickToSubscriberMs: h.summaryMs() })),
    };
  } finally {
    await c.stop();
  }
}

export async function benchFlood(nats: NatsServer, rate: number, durationS: number) {
  const c = await cluster(nats, [['market-data'], ['api'], ['api']]);
  try {
    const subs = await Promise.all([0, 1].map((k) => subscriber(c.url('api', k))));
    const t0 = performance.now();
    const f = await feed(c.url('market-data'), rate, durationS, () => {});
    const sendS = (performance.now() - t0) / 1000;
    const complete = (s: Subscriber) => SYMBOLS.every((x) => s.lastTicks.get(x) === f.sent.get(x));
    const allIn = await untilTrue(() => subs.every(complete), 10_000);
    const md = (await (await fetch(`${c.url('market-data')}/stats`)).json()) as {
      ticksProcessed: number;
      ticksRejected: number;
    };
    for (const s of subs) s.ws.close();
    return {
      rate,
      durationS,
      achievedTicksPerSecond: Math.round(f.total / sendS),
      sent: f.total,
      marketDataProcessed: md.ticksProcessed,
      marketDataRejected: md.ticksRejected,
      perApi: subs.map((s) => ({
        updates: s.updates,
        symbolsComplete: SYMBOLS.filter((x) => s.lastTicks.get(x) === f.sent.get(x)).length,
        lost: SYMBOLS.reduce((n, x) => n + (f.sent.get(x)! - (s.lastTicks.get(x) ?? 0)), 0),
      })),
      zeroLost: allIn && md.ticksProcessed === f.total,
    };
  } finally {
    await c.stop();
  }
}

export async function benchScenarios(nats: NatsServer) {
  const c = await cluster(nats, [['risk-manager'], ['execution-engine'], ['market-data'], ['api']]);
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-all-'));
    const out = join(dir, 'run-all.json');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          TICKSTORM,
          'run',
          'all',
          '--no-bench',
          '--market-data-url',
          c.url('market-data'),
          '--orders-url',
          c.url('execution-engine'),
          '--risk-url',
          c.url('risk-manager'),
          '--api-url',
          c.url('api'),
          '--json',
          out,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      child.once('exit', (x) => resolve(x));
    });
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      passed: boolean;
      targets: { scenario: string; name: string; pass: boolean }[];
    };
    rmSync(dir, { recursive: true, force: true });
    const failed = report.targets.filter((t) => !t.pass).map((t) => `${t.scenario}: ${t.name}`);
    return { exitCode: code, passed: report.passed, targets: report.targets.length, failed };
  } finally {
    await c.stop();
  }
}

/** CPU microseconds per accepted order of each process (and of nats-server) over one measured run. */
async function measured(
  c: Cluster,
  natsPid: number,
  targets: { url: string; symbols: string[] }[],
  connections: number,
  durationS: number,
) {
  await closedLoopOrders(targets, connections, 1); // warm-up
  const pids = [...c.procs.map((p) => p.pid), natsPid];
  const cpu0 = pids.map(cpuSeconds);
  const gen0 = process.cpuUsage();
  const r = await closedLoopOrders(targets, connections, durationS);
  const gen = process.cpuUsage(gen0);
  const us = (sec: number) => Math.round((sec * 1e6) / Math.max(1, r.accepted));
  const roles = [...c.procs.map((p) => p.role), 'nats-server'];
  const cpuUsPerOrder: Record<string, number> = {};
  pids.forEach((pid, k) => {
    const name = roles.filter((x, m) => x === roles[k] && m < k).length > 0 ? `${roles[k]} #2` : roles[k];
    cpuUsPerOrder[name] = us(cpuSeconds(pid) - cpu0[k]);
  });
  cpuUsPerOrder.generator = us((gen.user + gen.system) / 1e6);
  return { ...r, cpuUsPerOrder };
}

export async function benchScaling(nats: NatsServer, connections: number, durationS: number) {
  const half = Math.ceil(SYMBOLS.length / 2);
  const a = SYMBOLS.slice(0, half);
  const b = SYMBOLS.slice(half);
  const one = await cluster(nats, [['risk-manager'], ['execution-engine']]);
  let single: Awaited<ReturnType<typeof measured>>;
  try {
    single = await measured(
      one,
      nats.pid,
      [{ url: one.url('execution-engine'), symbols: SYMBOLS }],
      connections,
      durationS,
    );
  } finally {
    await one.stop();
  }
  const two = await cluster(nats, [
    ['risk-manager'],
    ['execution-engine', '--symbols', a.join(',')],
    ['execution-engine', '--symbols', b.join(',')],
  ]);
  let double: Awaited<ReturnType<typeof measured>>;
  try {
    const targets = [
      { url: two.url('execution-engine', 0), symbols: a },
      { url: two.url('execution-engine', 1), symbols: b },
    ];
    double = await measured(two, nats.pid, targets, connections, durationS);
  } finally {
    await two.stop();
  }
  // The model: each order costs every role its CPU; a role in one process is capped at one core.
  // Each of two engines takes half of the orders: its CPU per order of its own is twice its
  // share. With a core per process, N engines give N x 1e6 / that, until the one risk manager
  // (1e6 / its CPU per order) caps the system.
  const risk = double.cpuUsPerOrder['risk-manager'];
  const engineOwn = double.cpuUsPerOrder['execution-engine'] * 2;
  const total = Object.values(double.cpuUsPerOrder).reduce((x, y) => x + y, 0);
  return {
    connections,
    durationS,
    oneEngine: single,
    twoEngines: double,
    ratio: double.ordersPerSecond / single.ordersPerSecond,
    model: {
      /** All CPU of one order (every process, the generator included), us. */
      cpuUsPerOrder: total,
      /** On 2 cores: 2e6 / that. */
      twoCoreCeiling: Math.round(2e6 / total),
      /** The risk manager alone on a core: the system's ceiling however many engines. */
      riskCeiling: Math.round(1e6 / Math.max(1, risk)),
      /** One engine process alone on a core: 1e6 / (its CPU per order of its own). */
      engineCeiling: Math.round(1e6 / Math.max(1, engineOwn)),
    },
  };
}

async function main(): Promise<void> {
  const parts = F.parts.split(',');
  const unknown = parts.find((x) => !PARTS.includes(x));
  if (unknown !== undefined)
    badFlag(import.meta.url, FLAGS, `unknown --parts ${unknown} (parts: ${PARTS.join(', ')})`);
  const durationS = F.duration;
  const runs = F.runs;
  const nats = await startNatsServer();
  const results: Record<string, unknown[]> = {};
  try {
    for (let r = 0; r < runs; r++) {
      if (parts.includes('orders'))
        (results.orders ??= []).push(await benchOrders(nats, F['order-rate'], durationS));
      if (parts.includes('ticks'))
        (results.ticks ??= []).push(await benchTicks(nats, F['tick-rate'], durationS));
      if (parts.includes('flood'))
        (results.flood ??= []).push(await benchFlood(nats, F['flood-rate'], durationS));
      if (parts.includes('scenarios')) (results.scenarios ??= []).push(await benchScenarios(nats));
      if (parts.includes('scaling'))
        (results.scaling ??= []).push(await benchScaling(nats, F.connections, durationS));
    }
  } finally {
    await nats.stop();
  }
  if (F.json) {
    console.log(JSON.stringify({ results }, null, 2));
    return;
  }
  const p = (s: LatencySummary) => `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms`;
  for (const o of (results.orders ?? []) as Awaited<ReturnType<typeof benchOrders>>[]) {
    console.log(`orders ${o.rate}/s x ${o.durationS} s`);
    for (const [label, x] of [
      ['risk in another process', o.riskApart],
      ['all in one process     ', o.oneProcess],
    ] as const) {
      console.log(
        `  ${label}: from intended ${p(x.latencyMs)}; from send ${p(x.fromSendMs)}  status ${JSON.stringify(x.status)}`,
      );
    }
  }
  for (const t of (results.ticks ?? []) as Awaited<ReturnType<typeof benchTicks>>[]) {
    console.log(`ticks ${t.rate}/s x ${t.durationS} s -> 2 api processes`);
    for (const [k, a] of t.perApi.entries()) {
      console.log(`  api ${k}: ${a.updates} updates, tick -> subscriber ${p(a.tickToSubscriberMs)}`);
    }
  }
  for (const f of (results.flood ?? []) as Awaited<ReturnType<typeof benchFlood>>[]) {
    console.log(
      `flood ${f.rate}/s x ${f.durationS} s: sent ${f.sent} at ${f.achievedTicksPerSecond}/s, market data processed ${f.marketDataProcessed}; zero lost: ${f.zeroLost}`,
    );
    for (const [k, a] of f.perApi.entries()) {
      console.log(
        `  api ${k}: ${a.updates} updates, ${a.symbolsComplete}/${SYMBOLS.length} symbols complete, ${a.lost} ticks behind`,
      );
    }
  }
  for (const s of (results.scenarios ?? []) as Awaited<ReturnType<typeof benchScenarios>>[]) {
    console.log(
      `tickstorm run all against the services apart: exit ${s.exitCode}, ${s.targets - s.failed.length}/${s.targets} targets met${s.failed.length > 0 ? `; missed: ${s.failed.join('; ')}` : ''}`,
    );
  }
  for (const s of (results.scaling ?? []) as Awaited<ReturnType<typeof benchScaling>>[]) {
    console.log(
      `scaling (${s.connections} connections, ${s.durationS} s): 1 engine ${s.oneEngine.ordersPerSecond}/s, 2 engines ${s.twoEngines.ordersPerSecond}/s (x${s.ratio.toFixed(2)})`,
    );
    console.log(`  CPU us per order, 1 engine:  ${JSON.stringify(s.oneEngine.cpuUsPerOrder)}`);
    console.log(`  CPU us per order, 2 engines: ${JSON.stringify(s.twoEngines.cpuUsPerOrder)}`);
    console.log(
      `  model: ${s.model.cpuUsPerOrder} us of CPU per order in all -> ${s.model.twoCoreCeiling}/s on 2 cores; with a core per process each engine takes ${s.model.engineCeiling}/s and the one risk manager caps the system at ${s.model.riskCeiling}/s`,
    );
  }
  if (runs > 1 && results.orders !== undefined) {
    const os = results.orders as Awaited<ReturnType<typeof benchOrders>>[];
    console.log(
      `median order p99, risk apart: ${median(os.map((o) => o.riskApart.latencyMs.p99))} ms from intended, ${median(os.map((o) => o.riskApart.fromSendMs.p99))} ms from send; one process: ${median(os.map((o) => o.oneProcess.latencyMs.p99))} / ${median(os.map((o) => o.oneProcess.fromSendMs.p99))} ms`,
    );
  }
}

if (isMain(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
