/**
 * WebSocket fan-out benchmark of the api's /ws/metrics. The api service runs in a child
 * process (ws-fanout-server.ts) that publishes MarketUpdates on its bus; this process holds
 * the clients and measures on the client side, from each message's `timestamp` (the
 * publish time), like an asyncio Scenario 4 client.
 *
 * 1. Fan-out: 100 clients x 10 symbols each over 50 symbols (client i gets SYM(10i+k mod 50),
 *    so 20 subscribers per symbol) while updates are published at the rate equivalent to
 *    100,000 ticks/s ingested (one MarketUpdate per tick: the worst case, every tick its own
 *    frame). Latency p50/p95/p99/max, messages/s delivered, every client receiving.
 * 2. Idle: 10,000 subscribers (one symbol each) connected and held: connect time, server
 *    memory per connection, idle server CPU, and one update per symbol broadcast to all.
 *
 *   node --import tsx packages/trading/bench/ws-fanout.bench.ts [--json] [--duration S]
 *        [--rate N] [--clients N] [--idle N] [--flush-ms N] [--skip-idle] [--skip-fanout]
 *
 * WS_HUB='{"maxPaceMs":0}' (JSON WsHubOptions overrides) runs the hub with other settings.
 */
import { WebSocket } from 'ws';
import { DEFAULT_WS_HUB_OPTIONS } from '../src/api/ws-hub/ws-hub-options.ts';
import { LatencyHistogram, type LatencySummary } from '../src/stats/latency-histogram.ts';
import { isMain, parseFlags } from './bench-util.ts';
import {
  closeAll,
  connectAll,
  nowMs,
  type Published,
  quiet,
  type ServerStats,
  startServer,
  until,
} from './ws-bench-harness.ts';

export interface FanoutResult {
  clients: number;
  symbolsPerClient: number;
  symbols: number;
  flushIntervalMs: number;
  targetUpdatesPerSec: number;
  publishedUpdatesPerSec: number;
  deliveredMessagesPerSec: number;
  clientsReceiving: number;
  latencyMs: LatencySummary;
  /** Server process CPU over the measured window; hub counters over the whole run (warm-up included). */
  server: {
    cpuPercent: number;
    messagesSent: number;
    updatesCoalesced: number;
    conflated: number;
    slowDisconnects: number;
  };
  clientProcessCpuPercent: number;
  p95Under10ms: boolean;
}

export interface IdleResult {
  clients: number;
  connected: number;
  connectMs: number;
  serverRssPerClientBytes: number;
  serverHeapPerClientBytes: number;
  serverRssBytes: number;
  serverIdleCpuPercent: number;
  /** One update per symbol to all: client-side latency, and server side publish -> written to every socket. */
  broadcast: {
    received: number;
    expected: number;
    latencyMs: LatencySummary;
    serverFanoutMs: LatencySummary;
  };
}

export async function runFanout(opts: { clients: number; rate: number; durationS: number; flushMs: number }) {
  const SYMBOLS = 50;
  const PER = 10;
  const server = await startServer(opts.flushMs);
  const lat = new LatencyHistogram();
  const perClient = new Float64Array(opts.clients);
  let acks = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = 0;
  let lastAt = 0;
  let firstAt = 0;
  let lastMeasuredAt = 0;
  let c0 = process.cpuUsage();
  const sockets = await connectAll(`ws://127.0.0.1:${server.port}/ws/metrics`, opts.clients, 50, (i, d) => {
    const m = JSON.parse(d.toString());
    const at = nowMs();
    lastAt = at;
    if (m.type === 'subscribed') acks++;
    if (m.type !== 'update') return;
    const ts = m.timestamp * 1000;
    if (ts < from || ts >= to) return;
    if (lat.count === 0) {
      c0 = process.cpuUsage();
      firstAt = at;
    }
    lastMeasuredAt = at;
    lat.recordMs(at - ts);
    perClient[i]++;
  });
  sockets.forEach((ws, i) => {
    const symbols = Array.from({ length: PER }, (_, k) => `SYM${(i * PER + k) % SYMBOLS}`);
    for (const s of symbols) ws.send(JSON.stringify({ action: 'subscribe', symbol: s }));
  });
  await until(() => acks === opts.clients * PER, 10_000);
  const warmupMs = 2000;
  const durationMs = opts.durationS * 1000;
  const startAtMs = nowMs() + 200;
  // The measured window is defined by the messages' own publish timestamps.
  from = startAtMs + warmupMs;
  to = startAtMs + warmupMs + durationMs;
  const pub = await server.request<Published>(
    { cmd: 'publish', rate: opts.rate, symbols: SYMBOLS, startAtMs, warmupMs, durationMs },
    'published',
  );
  await quiet(() => lastAt, 500, 30_000); // the clients have taken everything sent
  const cpuClient = process.cpuUsage(c0);
  const delivered = perClient.reduce((a, b) => a + b, 0);
  const latencyMs = lat.summaryMs();
  for (const ws of sockets) ws.terminate();
  await closeAll(sockets);
  await server.stop();
  const result: FanoutResult = {
    clients: opts.clients,
    symbolsPerClient: PER,
    symbols: SYMBOLS,
    flushIntervalMs: opts.flushMs,
    targetUpdatesPerSec: opts.rate,
    publishedUpdatesPerSec: Math.round(pub.count / (pub.ms / 1000)),
    deliveredMessagesPerSec: Math.round(delivered / opts.durationS),
    clientsReceiving: perClient.filter((n) => n > 0).length,
    latencyMs,
    server: {
      cpuPercent: pub.cpuPercent,
      messagesSent: pub.hub.messagesSent,
      updatesCoalesced: pub.hub.updatesCoalesced,
      conflated: pub.hub.conflated,
      slowDisconnects: pub.hub.slowDisconnects,
    },
    clientProcessCpuPercent:
      Math.round(
        ((cpuClient.user + cpuClient.system) / 1000 / Math.max(1, lastMeasuredAt - firstAt)) * 1000,
      ) / 10,
    p95Under10ms: latencyMs.p95 < 10,
  };
  return result;
}

export async function runIdle(n: number): Promise<IdleResult> {
  const server = await startServer(DEFAULT_WS_HUB_OPTIONS.flushIntervalMs);
  const before = await server.request<ServerStats>({ cmd: 'stats', gc: true }, 'stats');
  let acks = 0;
  let received = 0;
  let expecting = false;
  const lat = new LatencyHistogram();
  const t0 = performance.now();
  const sockets = await connectAll(`ws://127.0.0.1:${server.port}/ws/metrics`, n, 200, (_i, d) => {
    const text = d.toString();
    if (!expecting) {
      if (text.startsWith('{"type":"subscribed"')) acks++;
      return;
    }
    const m = JSON.parse(text);
    if (m.type === 'update') {
      received++;
      lat.recordMs(nowMs() - m.timestamp * 1000);
    }
  });
  sockets.forEach((ws, i) => {
    ws.send(`{"action":"subscribe","symbol":"SYM${i % 50}"}`);
  });
  await until(() => acks === n, 60_000);
  const connectMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 1500)); // idle: let the server's 1 s CPU sample cover it
  const held = await server.request<ServerStats>({ cmd: 'stats', gc: true }, 'stats');
  expecting = true;
  await server.request({ cmd: 'broadcast', symbols: 50 }, 'broadcast');
  await until(() => received >= n, 30_000);
  const after = await server.request<ServerStats>({ cmd: 'stats' }, 'stats');
  const connected = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  for (const ws of sockets) ws.terminate();
  await closeAll(sockets);
  await server.stop();
  return {
    clients: n,
    connected,
    connectMs: Math.round(connectMs),
    serverRssPerClientBytes: Math.round((held.memory.rss - before.memory.rss) / n),
    serverHeapPerClientBytes: Math.round((held.memory.heapUsed - before.memory.heapUsed) / n),
    serverRssBytes: held.memory.rss,
    serverIdleCpuPercent: held.system.cpuPercent,
    broadcast: {
      received,
      expected: n,
      latencyMs: lat.summaryMs(),
      serverFanoutMs: after.hub.fanoutLatencyMs,
    },
  };
}

async function main(): Promise<void> {
  const f = parseFlags(import.meta.url, {
    duration: { type: 'number', default: 10, help: 'seconds of fan-out' },
    rate: { type: 'number', default: 100_000, help: 'updates/s published' },
    clients: { type: 'number', default: 100, help: 'fan-out clients' },
    idle: { type: 'number', default: 10_000, help: 'idle subscribers' },
    'flush-ms': {
      type: 'number',
      default: DEFAULT_WS_HUB_OPTIONS.flushIntervalMs,
      help: "the hub's flush interval",
    },
    'skip-idle': { type: 'boolean' },
    'skip-fanout': { type: 'boolean' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const json = f.json;
  const out: { fanout?: FanoutResult; idle?: IdleResult } = {};
  if (!f['skip-fanout']) {
    out.fanout = await runFanout({
      clients: f.clients,
      rate: f.rate,
      durationS: f.duration,
      flushMs: f['flush-ms'],
    });
    if (!json) console.log('fan-out', out.fanout);
  }
  if (!f['skip-idle']) {
    out.idle = await runIdle(f.idle);
    if (!json) console.log('idle', out.idle);
  }
  if (json) console.log(JSON.stringify(out, null, 2));
}

if (isMain(import.meta.url)) await main();
