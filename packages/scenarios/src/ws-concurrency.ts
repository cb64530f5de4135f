/**
 * Scenario 4, WebSocket Concurrency (targets: 100 clients x 10 symbols for 10 minutes,
 * all clients receive updates, < 100 ms average message latency; the Performance Targets
 * tables: WebSocket latency P95 < 50 ms).
 * `clients` subscribers on ws://HOST:8000/ws/metrics (client i: symbols i*k .. i*k+k-1 mod
 * the universe, like an asyncio client), while the scenario feeds market data itself at `tickRate`
 * ticks/s over the universe so updates flow (ws-concurrency-script.ts). Every update is a
 * request event whose latency is now - its timestamp; the histogram gives the P95.
 *
 * Average latency: a simple client averages the per-client averages over ALL clients, so a client
 * that received nothing counts as 0 ms; here the average is over the clients that received
 * updates (the others fail "Clients receiving updates" instead of flattering the average).
 */

import { availableParallelism } from 'node:os';
import {
  atLeast,
  base,
  finishResult,
  getJson,
  latencyTarget,
  ParamReader,
  type ParamSpec,
  partOf,
  runScript,
  segmentShare,
  type TargetCheck,
  throwIfProblems,
  windowSec,
} from '@tickstorm/loadlab';
import { wsLines } from './results-blocks.ts';
import type { TickstormScenario } from './scenario.ts';
import { symbolNames, type TickFormat } from './tick-stream.ts';
import type { WsConcurrencyScriptParams } from './ws-concurrency-script.ts';

const PARAMS: readonly ParamSpec[] = [
  {
    key: 'clients',
    flag: 'clients',
    type: 'integer',
    default: 100,
    help: 'concurrent WebSocket subscribers',
  },
  {
    key: 'symbolsPerClient',
    flag: 'symbols-per-client',
    type: 'integer',
    default: 10,
    help: 'symbols each client subscribes to',
  },
  { key: 'symbols', flag: 'symbols', type: 'integer', default: 50, help: 'symbol universe SYM0..SYM{n-1}' },
  {
    key: 'duration',
    flag: 'duration',
    type: 'duration',
    default: '10s',
    full: '10m',
    help: 'how long clients listen',
  },
  {
    key: 'tickRate',
    flag: 'tick-rate',
    type: 'number',
    default: 5000,
    help: 'background market-data feed, ticks/s over the universe',
  },
  {
    key: 'feedTicksPerFrame',
    flag: 'feed-ticks-per-frame',
    type: 'integer',
    default: 50,
    help: 'ticks per feed frame',
  },
  {
    key: 'feedFormat',
    flag: 'feed-format',
    type: 'string',
    default: 'binary',
    help: 'feed frame format: json or binary',
  },
  {
    key: 'idlePing',
    flag: 'idle-ping',
    type: 'duration',
    default: '1s',
    help: 'a client idle this long sends "ping" (an asyncio client: 1 s)',
  },
  {
    key: 'connectTimeout',
    flag: 'connect-timeout',
    type: 'duration',
    default: '10s',
    help: 'longest wait for a client to connect and be subscribed',
  },
];

function read(raw: Record<string, unknown>) {
  const r = new ParamReader(PARAMS, raw);
  const p = {
    clients: r.number('clients', { integer: true, min: 1, max: 100_000 }),
    symbolsPerClient: r.number('symbolsPerClient', { integer: true, min: 1, max: 1000 }),
    symbols: r.number('symbols', { integer: true, min: 1, max: 65_535 }),
    durationMs: r.duration('duration'),
    tickRate: r.number('tickRate'),
    feedTicksPerFrame: r.number('feedTicksPerFrame', { integer: true, min: 1, max: 10_000 }),
    feedFormat: r.oneOf('feedFormat', ['json', 'binary'] as const) as TickFormat,
    idlePingMs: r.duration('idlePing'),
    connectTimeoutMs: r.duration('connectTimeout'),
  };
  if (r.problems.length === 0) {
    if (p.symbolsPerClient > p.symbols) r.problem('--symbols-per-client must be <= --symbols');
    if ((p.tickRate / p.feedTicksPerFrame) * (p.durationMs / 1000) < 1) {
      r.problem('--tick-rate / --feed-ticks-per-frame x --duration must give at least one feed frame');
    }
  }
  return { p, r };
}

export const wsConcurrency: TickstormScenario = {
  id: 'ws-concurrency',
  title: 'WebSocket Concurrency',
  summaryLines: wsLines,
  params: PARAMS,
  validate: (raw) => read(raw).r.problems,
  async run(ctx, raw) {
    const { p, r } = read(raw);
    throwIfProblems('ws-concurrency', r.problems);
    const frameRate = p.tickRate / p.feedTicksPerFrame;
    // Expected updates/s: each symbol touched by a frame with p = min(1, ticks/symbols), at most
    // one update per 5 ms hub flush; one thread parses ~50,000 updates/s comfortably.
    const perSymbol = Math.min(200, frameRate * Math.min(1, p.feedTicksPerFrame / p.symbols));
    // This part's subscribers (client c on part c mod N); the feed's frames split the same way.
    const clients = segmentShare(p.clients, ctx.segment);
    const expected = clients * p.symbolsPerClient * perSymbol;
    const scriptParams: WsConcurrencyScriptParams = {
      apiWs: ctx.urls.apiWs,
      feedUrl: ctx.urls.marketDataWs,
      clients: p.clients,
      symbols: symbolNames(p.symbols),
      symbolsPerClient: p.symbolsPerClient,
      feedTicksPerFrame: p.feedTicksPerFrame,
      feedFormat: p.feedFormat,
      idlePingMs: p.idlePingMs,
      connectTimeoutMs: p.connectTimeoutMs,
      tls: ctx.tls,
    };
    const { result, counters: c } = await runScript({
      ctx,
      name: 'ws-concurrency',
      executor: {
        executor: 'constant-arrival-rate',
        rate: frameRate,
        timeUnit: '1s',
        duration: `${p.durationMs}ms`,
        preAllocatedVUs: 1,
        maxVUs: 8,
        gracefulStop: '1s',
      },
      module: new URL('./ws-concurrency-script.ts', import.meta.url),
      params: scriptParams as unknown as Record<string, unknown>,
      maxWorkers: Math.max(1, clients),
      autoWorkers: Math.min(availableParallelism(), Math.max(1, Math.ceil(expected / 50_000))),
    });
    const hub = await getJson(`${base(ctx.urls.api)}/api/metrics/websocket`);
    const receiving = c.clientsReceiving ?? 0;
    const connected = c.clientsConnected ?? 0;
    const concurrent = connected - (c.clientsDisconnected ?? 0);
    const avgLatencyMs = receiving > 0 ? (c.sumClientAvgLatencyMs ?? 0) / receiving : Number.NaN;
    const totalMessages = c.totalMessages ?? 0;
    if (connected < clients) {
      result.generator.warnings.push(
        `${clients - connected} of ${clients} clients were not connected and subscribed within --connect-timeout`,
      );
    }
    const part = partOf(p.clients, ctx.segment);
    const targets: TargetCheck[] = [
      {
        name: 'Clients receiving updates',
        target: `== ${clients}${part === '' ? '' : ` (${part.slice(2)})`}`,
        actual: `${receiving} of ${clients}`,
        value: receiving,
        unit: 'clients',
        pass: receiving === clients,
      },
      latencyTarget('Message latency P95', result.latency_ms.p95, 50, result.requests),
      latencyTarget('Average message latency', avgLatencyMs, 100, receiving),
      atLeast('Concurrent clients', concurrent, clients, 'clients', `>= ${clients}`),
    ];
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return finishResult(result, r.values, targets, {
      clients,
      clientsConnected: connected,
      clientsReceiving: receiving,
      concurrentClients: concurrent,
      totalMessages,
      updates: c.updates ?? 0,
      updatesPerSec: Math.round((c.updates ?? 0) / windowSec(result, p.durationMs)),
      messagesPerClient: clients > 0 ? Math.round(totalMessages / clients) : 0,
      avgLatencyMs: Number.isFinite(avgLatencyMs) ? round(avgLatencyMs) : null,
      feedTickRate: p.tickRate,
      server: hub ?? null,
    });
  },
};
