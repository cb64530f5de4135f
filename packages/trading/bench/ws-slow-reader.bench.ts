/**
 * Slow subscribers on /ws/metrics: 100 clients in ONE process, each subscribed to 10 of 50
 * symbols (client i: SYM(10i+k mod 50)), each message costing the reader `costUs` of CPU
 * before it counts as read (as an interpreted client pays for framing and JSON parsing),
 * so the process reads far fewer messages per second than the hub could send. The api
 * runs in a child process (ws-fanout-server.ts) publishing one MarketUpdate per tick at
 * the feed rate. Measured per message at the moment it is read: its age (read time minus
 * its `timestamp`), p50/p95/p99/max over the window; and how many clients got updates.
 *
 *   node --import tsx packages/trading/bench/ws-slow-reader.bench.ts [--rates 5000,50000]
 *     [--duration 10] [--clients 100] [--cost-us 40] [--old] [--json]
 *
 * --old runs the hub as it was before round-trip credit (probes every 500 ms, 1 s bound);
 * WS_HUB='{"maxPaceMs":0}' (JSON WsHubOptions overrides) runs it without pacing.
 */
import { DEFAULT_WS_HUB_OPTIONS } from '../src/api/ws-hub/ws-hub-options.ts';
import { LatencyHistogram, type LatencySummary } from '../src/stats/latency-histogram.ts';
import { isMain, parseFlags } from './bench-util.ts';
import {
  closeAll,
  connectAll,
  nowMs,
  type Published,
  quiet,
  startServer,
  until,
} from './ws-bench-harness.ts';

export interface SlowReaderResult {
  rate: number;
  clients: number;
  costUs: number;
  hub: 'credit' | 'old';
  readPerSec: number;
  clientsUpdated: number;
  ageMs: LatencySummary;
  server: Published['hub'] & { cpuPercent: number };
}

/** Burns `us` microseconds of CPU (the reader's per-message cost). */
function burn(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {}
}

export async function runSlowReaders(o: {
  rate: number;
  clients: number;
  durationS: number;
  costUs: number;
  old?: boolean;
}): Promise<SlowReaderResult> {
  const SYMBOLS = 50;
  const PER = 10;
  const hub =
    o.old === true ? { probeEveryFlush: false, maxLagMs: 1_000 } : JSON.parse(process.env.WS_HUB ?? '{}');
  const server = await startServer(DEFAULT_WS_HUB_OPTIONS.flushIntervalMs, hub);
  const age = new LatencyHistogram();
  const perClient = new Float64Array(o.clients);
  let acks = 0;
  let from = Number.POSITIVE_INFINITY;
  let to = 0;
  let lastAt = 0;
  let read = 0;
  const sockets = await connectAll(`ws://127.0.0.1:${server.port}/ws/metrics`, o.clients, 50, (i, d) => {
    burn(o.costUs);
    const m = JSON.parse(d.toString());
    const at = nowMs();
    lastAt = at;
    if (m.type === 'subscribed') acks++;
    if (m.type !== 'update') return;
    const ts = m.timestamp * 1000;
    if (ts < from || ts >= to) return;
    age.recordMs(at - ts);
    perClient[i]++;
    read++;
  });
  try {
    sockets.forEach((ws, i) => {
      for (let k = 0; k < PER; k++) {
        ws.send(JSON.stringify({ action: 'subscribe', symbol: `SYM${(i * PER + k) % SYMBOLS}` }));
      }
    });
    await until(() => acks === o.clients * PER, 10_000);
    const warmupMs = 2000;
    const durationMs = o.durationS * 1000;
    const startAtMs = nowMs() + 200;
    from = startAtMs + warmupMs;
    to = from + durationMs;
    const pub = await server.request<Published>(
      { cmd: 'publish', rate: o.rate, symbols: SYMBOLS, startAtMs, warmupMs, durationMs },
      'published',
    );
    await quiet(() => lastAt, 500, 60_000);
    return {
      rate: o.rate,
      clients: o.clients,
      costUs: o.costUs,
      hub: o.old === true ? 'old' : 'credit',
      readPerSec: Math.round(read / o.durationS),
      clientsUpdated: perClient.filter((n) => n > 0).length,
      ageMs: age.summaryMs(),
      server: { ...pub.hub, cpuPercent: pub.cpuPercent },
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await closeAll(sockets);
    await server.stop();
  }
}

async function main(): Promise<void> {
  const f = parseFlags(import.meta.url, {
    rates: { type: 'numbers', default: [5000, 50000], help: 'ticks/s fed, one run each' },
    duration: { type: 'number', default: 10, help: 'seconds per run' },
    clients: { type: 'number', default: 100 },
    'cost-us': { type: 'number', default: 40, help: 'reader CPU per message, µs' },
    old: { type: 'boolean', help: 'the hub without round-trip credit' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const out: SlowReaderResult[] = [];
  for (const rate of f.rates) {
    const r = await runSlowReaders({
      rate,
      clients: f.clients,
      durationS: f.duration,
      costUs: f['cost-us'],
      old: f.old,
    });
    out.push(r);
    if (!f.json) {
      const a = r.ageMs;
      console.log(
        `${r.hub} hub, ${rate} ticks/s, ${r.clients} clients (${r.costUs} us/message): ` +
          `${r.clientsUpdated}/${r.clients} clients updated, ${r.readPerSec} messages/s read, ` +
          `age p50 ${a.p50} p95 ${a.p95} p99 ${a.p99} max ${a.max} ms; ` +
          `server sent ${r.server.messagesSent}, conflated ${r.server.conflated}, slow disconnects ${r.server.slowDisconnects}`,
      );
    }
  }
  if (f.json) console.log(JSON.stringify(out, null, 2));
}

if (isMain(import.meta.url)) await main();
