/**
 * Child process of ws-fanout.bench.ts: runs the api service on a free port with an
 * InProcessBus and, on request, publishes MarketUpdates on the bus at a given rate over
 * N symbols (as market-data would: one update per tick, stamped with the publish time),
 * from a 1 ms timer that catches up to the schedule each time it fires. Driven over IPC:
 *
 *   -> {cmd:'publish', rate, symbols, startAtMs, warmupMs, durationMs}
 *                                                   <- {type:'published', count, ms, cpuPercent, hub}
 *   -> {cmd:'broadcast', symbols}                   <- {type:'broadcast', count}
 *   -> {cmd:'stats', gc?}                           <- {type:'stats', hub, system}
 *   -> {cmd:'stop'}                                 (closes the service, exits)
 *   <- {type:'ready', port} once listening
 */
import { startApiService } from '../src/api/api-server.ts';
import { DEFAULT_WS_HUB_OPTIONS } from '../src/api/ws-hub/ws-hub-options.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { type MarketUpdate, Topic } from '../src/bus/topics.ts';

type Command =
  | { cmd: 'publish'; rate: number; symbols: number; startAtMs: number; warmupMs: number; durationMs: number }
  | { cmd: 'broadcast'; symbols: number }
  | { cmd: 'stats'; gc?: boolean }
  | { cmd: 'stop' };

const send = (msg: object) => process.send?.(msg);
const nowSeconds = () => (performance.timeOrigin + performance.now()) / 1000;

const flushEnv = process.env.WS_BENCH_FLUSH_MS;
const flushIntervalMs =
  flushEnv === undefined || flushEnv === '' ? DEFAULT_WS_HUB_OPTIONS.flushIntervalMs : Number(flushEnv);
const bus = new InProcessBus();
const api = await startApiService({
  bus,
  isKnownSymbol: (s) => /^SYM\d+$/.test(s),
  port: 0,
  ws: { flushIntervalMs, heartbeatMs: 0, maxClients: 50_000 },
});
process.title = 'tickstorm-api-bench';

const state = { last: new Float64Array(1000), volume: new Float64Array(1000), ticks: new Float64Array(1000) };
const names = Array.from({ length: 1000 }, (_, i) => `SYM${i}`);

function update(book: number): MarketUpdate {
  const last = 100 + ((state.ticks[book] % 100) - 50) * 0.01;
  state.last[book] = last;
  state.volume[book] += 1000;
  state.ticks[book]++;
  return {
    symbol: names[book],
    book,
    last,
    lastTicks: Math.round(last * 100),
    bid: Math.round((last - 0.01) * 100) / 100,
    ask: Math.round((last + 0.01) * 100) / 100,
    volume: state.volume[book],
    vwap: last,
    ticks: state.ticks[book],
    timestamp: nowSeconds(),
  };
}

/**
 * Publishes `rate` updates/s from `startAtMs` (epoch ms) for `warmupMs + durationMs`; reports
 * this process's CPU over the measured part (after the warm-up).
 */
function publish(
  rate: number,
  symbols: number,
  startAtMs: number,
  warmupMs: number,
  durationMs: number,
): void {
  const total = warmupMs + durationMs;
  let count = 0;
  let next = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let t0 = 0;
  const timer = setInterval(() => {
    const elapsed = Math.min(performance.timeOrigin + performance.now() - startAtMs, total);
    if (elapsed < 0) return;
    if (cpu0 === undefined && elapsed >= warmupMs) {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    const due = Math.floor((elapsed * rate) / 1000);
    for (; count < due; count++) {
      bus.publish(Topic.MARKET_UPDATE, update(next));
      next = next + 1 === symbols ? 0 : next + 1;
    }
    if (elapsed >= total) {
      clearInterval(timer);
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / ms) * 1000) / 10;
      send({ type: 'published', count, ms: total, cpuPercent, hub: api.hub.stats() });
    }
  }, 1);
}

process.on('message', async (m: Command) => {
  switch (m.cmd) {
    case 'publish':
      publish(m.rate, m.symbols, m.startAtMs, m.warmupMs, m.durationMs);
      break;
    case 'broadcast':
      for (let s = 0; s < m.symbols; s++) bus.publish(Topic.MARKET_UPDATE, update(s));
      send({ type: 'broadcast', count: m.symbols });
      break;
    case 'stats': {
      if (m.gc === true && typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
      }
      const sys = await (await fetch(`${api.url}/api/metrics/system`)).json();
      send({
        type: 'stats',
        hub: api.hub.stats(),
        system: sys,
        memory: process.memoryUsage(),
        cpu: process.cpuUsage(),
      });
      break;
    }
    case 'stop':
      await api.close();
      await bus.close();
      process.exit(0);
  }
});

send({ type: 'ready', port: api.port });
