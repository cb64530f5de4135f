/**
 * Scenario 1, Market Data Flood (targets: 100,000 ticks/s over 50 symbols for 10 minutes, no
 * drops, < 10 ms processing latency). Open model: frames of `ticksPerFrame` ticks are due at
 * rate / ticksPerFrame per second on `connections` WebSockets to ws://HOST:5001/stream (a
 * Python client: one connection per symbol, one tick per frame). Afterwards:
 *
 * - Ticks/s: ticks sent / the sending window (the plan, or longer if the generator ran late);
 * - Dropped ticks: sent - processed, proven per connection by a sync ack (the ack counts
 *   everything sent before it); if a sync goes unanswered, the server's counters
 *   (`/api/metrics/market-data`, else market-data `/stats`) before/after give the delta;
 * - Processing latency P99: the server's own per-frame histogram (`processingLatencyMs`),
 *   reset first with market-data `POST /stats/reset` so it covers this run only.
 */
import {
  atLeast,
  base,
  finishResult,
  fmt,
  getJson,
  LabError,
  LabErrorCode,
  latencyTarget,
  ParamReader,
  type ParamSpec,
  partOf,
  postEmpty,
  runScript,
  segmentFraction,
  segmentLabel,
  segmentShare,
  type TargetCheck,
  throwIfProblems,
  windowSec,
} from '@tickstorm/loadlab';
import type { FloodScriptParams } from './market-data-flood-script.ts';
import { marketDataLines } from './results-blocks.ts';
import type { TargetUrls, TickstormScenario } from './scenario.ts';
import { symbolNames, type TickFormat } from './tick-stream.ts';

const PARAMS: readonly ParamSpec[] = [
  {
    key: 'rate',
    flag: 'rate',
    type: 'number',
    default: 100_000,
    help: 'ticks per second, all connections together',
  },
  { key: 'symbols', flag: 'symbols', type: 'integer', default: 50, help: 'symbols SYM0..SYM{n-1}' },
  {
    key: 'ticksPerFrame',
    flag: 'ticks-per-frame',
    type: 'integer',
    default: 100,
    help: 'ticks per WebSocket frame (1 = one JSON tick per frame, like a Python client)',
  },
  {
    key: 'format',
    flag: 'format',
    type: 'string',
    default: 'json',
    help: 'frame format: json (text) or binary (tick batches)',
  },
  {
    key: 'connections',
    flag: 'connections',
    type: 'integer',
    default: 50,
    help: 'WebSocket connections (a Python client: one per symbol)',
  },
  {
    key: 'duration',
    flag: 'duration',
    type: 'duration',
    default: '10s',
    full: '10m',
    help: 'how long ticks are sent',
  },
  {
    key: 'syncTimeout',
    flag: 'sync-timeout',
    type: 'duration',
    default: '30s',
    help: 'longest wait for the final sync ack per connection',
  },
  {
    key: 'resetServerStats',
    flag: 'reset-server-stats',
    type: 'boolean',
    default: true,
    help: 'POST market-data /stats/reset first, so the processing latency covers this run only',
  },
];

interface FloodParams {
  rate: number;
  symbols: number;
  ticksPerFrame: number;
  format: TickFormat;
  connections: number;
  durationMs: number;
  syncTimeoutMs: number;
  reset: boolean;
}

function read(raw: Record<string, unknown>): { p: FloodParams; r: ParamReader } {
  const r = new ParamReader(PARAMS, raw);
  const p: FloodParams = {
    rate: r.number('rate'),
    symbols: r.number('symbols', { integer: true, min: 1, max: 65_535 }),
    ticksPerFrame: r.number('ticksPerFrame', { integer: true, min: 1, max: 10_000 }),
    format: r.oneOf('format', ['json', 'binary'] as const),
    connections: r.number('connections', { integer: true, min: 1, max: 10_000 }),
    durationMs: r.duration('duration'),
    syncTimeoutMs: r.duration('syncTimeout'),
    reset: r.boolean('resetServerStats'),
  };
  if (r.problems.length === 0 && (p.rate / p.ticksPerFrame) * (p.durationMs / 1000) < 1) {
    r.problem('--rate / --ticks-per-frame x --duration must give at least one frame');
  }
  return { p, r };
}

interface MdStats {
  ticksProcessed: number;
  ticksRejected: number;
  processingLatencyMs?: { count: number; p50: number; p95: number; p99: number; max: number; mean: number };
}

/** The market-data counters: the api's /api/metrics/market-data, else market-data's /stats. */
async function marketDataStats(urls: TargetUrls): Promise<{ s: MdStats; source: string } | undefined> {
  const sources: [string, string][] = [
    [`${base(urls.api)}/api/metrics/market-data`, 'GET /api/metrics/market-data'],
    [`${base(urls.marketDataHttp)}/stats`, 'GET market-data /stats'],
  ];
  for (const [url, source] of sources) {
    const j = await getJson(url);
    if (j !== undefined && typeof j.ticksProcessed === 'number')
      return { s: j as unknown as MdStats, source };
  }
  return undefined;
}

export const marketDataFlood: TickstormScenario = {
  id: 'market-data-flood',
  title: 'Market Data Flood',
  summaryLines: marketDataLines,
  params: PARAMS,
  validate: (raw) => read(raw).r.problems,
  async run(ctx, raw) {
    const { p, r } = read(raw);
    throwIfProblems('market-data-flood', r.problems);
    const conns = segmentShare(p.connections, ctx.segment);
    if (conns === 0)
      throw new LabError(
        LabErrorCode.INVALID_SCENARIO_PARAMS,
        `market-data-flood: --connections ${p.connections} leaves none for this part of the run (execution segment ${segmentLabel(ctx.segment ?? { index: 0, count: 1 })}): give at least one connection per worker`,
      );
    const reset = p.reset && (await postEmpty(`${base(ctx.urls.marketDataHttp)}/stats/reset`));
    const before = await marketDataStats(ctx.urls);
    const scriptParams: FloodScriptParams = {
      url: ctx.urls.marketDataWs,
      connections: p.connections,
      symbols: symbolNames(p.symbols),
      ticksPerFrame: p.ticksPerFrame,
      format: p.format,
      syncTimeoutMs: p.syncTimeoutMs,
      tls: ctx.tls,
    };
    const out = await runScript({
      ctx,
      name: 'market-data-flood',
      executor: {
        executor: 'constant-arrival-rate',
        rate: p.rate / p.ticksPerFrame,
        timeUnit: '1s',
        duration: `${p.durationMs}ms`,
        preAllocatedVUs: p.connections,
        maxVUs: p.connections * 4,
        gracefulStop: '10s',
      },
      module: new URL('./market-data-flood-script.ts', import.meta.url),
      params: scriptParams as unknown as Record<string, unknown>,
      maxWorkers: conns,
    });
    const after = await marketDataStats(ctx.urls);
    const { result, counters: c } = out;
    const warnings = result.generator.warnings;
    const sent = c.ticksSent ?? 0;
    let processed = Number.NaN;
    let rejected = Number.NaN;
    let proof = 'none';
    if ((c.syncAnswered ?? 0) === conns) {
      processed = c.ackedProcessed;
      rejected = c.ackedRejected;
      proof = 'sync acks on every connection';
    } else if (before !== undefined && after !== undefined) {
      processed = after.s.ticksProcessed - before.s.ticksProcessed;
      rejected = after.s.ticksRejected - before.s.ticksRejected;
      proof = `server counters before/after (${after.source})`;
      warnings.push(
        `${conns - (c.syncAnswered ?? 0)} of ${conns} connections got no sync ack: drops counted from the server's counters (other traffic would count too)`,
      );
    } else {
      warnings.push('no sync ack and no server counters: drops could not be proven');
    }
    const dropped = sent - processed;
    const lost = sent - processed - rejected;
    const win = windowSec(result, p.durationMs);
    const achieved = sent / win;
    const lat = after?.s.processingLatencyMs;
    if (lat !== undefined && !reset)
      warnings.push('server processing latency is cumulative since its start (no /stats/reset)');
    const rate = p.rate * segmentFraction(ctx.segment);
    const targets: TargetCheck[] = [
      atLeast(
        'Ticks/s',
        achieved,
        rate * 0.99,
        'ticks/s',
        `>= ${fmt(rate)} ticks/s (within 1%${partOf(p.rate, ctx.segment)})`,
      ),
      {
        name: 'Dropped ticks',
        target: '== 0',
        actual: Number.isFinite(dropped)
          ? `${fmt(dropped)} (${fmt(rejected)} rejected, ${fmt(lost)} lost)`
          : 'n/a (not proven)',
        value: dropped,
        unit: 'ticks',
        pass: dropped === 0,
      },
      latencyTarget('Processing latency P99', lat?.p99 ?? Number.NaN, 10, lat?.count ?? 0),
    ];
    return finishResult(result, r.values, targets, {
      ticksSent: sent,
      ticksProcessed: processed,
      ticksRejected: rejected,
      ticksLost: lost,
      droppedTicks: dropped,
      ticksPerSec: Math.round(achieved),
      ticksProcessedPerSec: Math.round(processed / win),
      targetTicksPerSec: rate,
      framesSent: c.tickFramesSent ?? 0,
      proof,
      serverLatencyMs: lat ?? null,
      server: {
        source: after?.source ?? null,
        latencyReset: reset,
        ticksProcessedDelta: before && after ? after.s.ticksProcessed - before.s.ticksProcessed : null,
        ticksRejectedDelta: before && after ? after.s.ticksRejected - before.s.ticksRejected : null,
      },
    });
  },
};
