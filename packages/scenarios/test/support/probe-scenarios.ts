/**
 * Two small but real ScenarioDefinitions for the `tickstorm run` wiring tests: each sends
 * real HTTP requests through the generator core (open model, constant-arrival-rate, the
 * generic HTTP script) to the URL of its service, and checks one latency target from what was
 * measured. 'order-stress' POSTs /orders to urls.orders; 'db-throughput' POSTs /api/metrics
 * batches to urls.api. They share --duration and --rate; each has one flag of its own.
 */

import type { ParamSpec, RequestEvent, ScenarioResult } from '@tickstorm/loadlab';
import {
  HTTP_SCRIPT,
  loadScript,
  nowUs,
  parseDuration,
  runScenario,
  type ScriptFactory,
  usToEpochMs,
} from '@tickstorm/loadlab';
import type {
  TickstormScenario as ScenarioDefinition,
  ScenarioId,
  TickstormRunContext as ScenarioRunContext,
} from '../../src/index.ts';

const COMMON: ParamSpec[] = [
  { key: 'duration', flag: 'duration', type: 'duration', default: '1s', full: '5m', help: 'how long' },
  { key: 'rate', flag: 'rate', type: 'number', default: 50, full: 1000, help: 'requests per second' },
];

function check(params: Record<string, unknown>, extra: (p: Record<string, unknown>) => string[]): string[] {
  const problems: string[] = [];
  if (!(parseDuration(params.duration as string) > 0))
    problems.push(`--duration must be longer than 0 (got ${JSON.stringify(params.duration)})`);
  if (!(Number(params.rate) > 0))
    problems.push(`--rate must be a positive number (got ${JSON.stringify(params.rate)})`);
  return [...problems, ...extra(params)];
}

async function fire(
  id: ScenarioId,
  ctx: ScenarioRunContext,
  url: string,
  path: string,
  body: string,
  params: Record<string, unknown>,
): Promise<ScenarioResult> {
  const rows = ctx.rows;
  let script: ScriptFactory | { module: string } = { module: HTTP_SCRIPT.href };
  if (rows !== undefined) {
    const inner = await loadScript<Record<string, unknown>>({ module: HTTP_SCRIPT.href });
    script = (sctx) => {
      sctx.events.on((ev: RequestEvent) => {
        const latencyMs = ev.latencyUs / 1000;
        const endMs = usToEpochMs(ev.timeUs === 0 ? nowUs() : ev.timeUs);
        rows.write((endMs - latencyMs) / 1000, latencyMs, ev.ok, `${ev.type} ${ev.name}`);
      });
      return inner(sctx);
    };
  }
  const { result } = await runScenario({
    name: id,
    executor: {
      executor: 'constant-arrival-rate',
      rate: Number(params.rate),
      timeUnit: '1s',
      duration: String(params.duration),
      preAllocatedVUs: 4,
      maxVUs: 16,
      gracefulStop: '1s',
    },
    script,
    params: {
      url,
      requests: [{ method: 'POST', path, body, headers: [['content-type', 'application/json']] }],
    },
    workers: rows === undefined ? ctx.workers : 1,
    onSlice: ctx.onSlice,
    signal: ctx.signal,
  });
  result.params = { ...params };
  return result;
}

export const probeOrders: ScenarioDefinition = {
  id: 'order-stress',
  title: 'Order Stress',
  params: [
    ...COMMON,
    { key: 'p95TargetMs', flag: 'p95-target-ms', type: 'number', default: 100, help: 'P95 limit' },
  ],
  validate: (p) =>
    check(p, (q) =>
      Number(q.p95TargetMs) > 0 ? [] : [`--p95-target-ms must be > 0 (got ${q.p95TargetMs})`],
    ),
  async run(ctx, params) {
    const order = '{"symbol":"AAPL","side":"buy","type":"limit","quantity":1,"price":100}';
    const r = await fire('order-stress', ctx, ctx.urls.orders, '/orders', order, params);
    const limit = Number(params.p95TargetMs);
    const p95 = r.latency_ms.p95;
    r.targets = [
      {
        name: 'P95 order latency',
        target: `< ${limit} ms`,
        actual: `${p95.toFixed(3)} ms`,
        value: p95,
        unit: 'ms',
        pass: r.requests > 0 && p95 < limit,
      },
    ];
    return r;
  },
};

export const probeDb: ScenarioDefinition = {
  id: 'db-throughput',
  title: 'Database Throughput',
  params: [
    ...COMMON,
    { key: 'batchSize', flag: 'batch-size', type: 'integer', default: 10, help: 'records per batch' },
    { key: 'batchP95TargetMs', flag: 'batch-p95-target-ms', type: 'number', default: 50, help: 'P95 limit' },
  ],
  validate: (p) =>
    check(p, (q) =>
      Number.isInteger(q.batchSize) && Number(q.batchSize) > 0
        ? []
        : [`--batch-size must be a positive integer (got ${q.batchSize})`],
    ),
  async run(ctx, params) {
    const n = Number(params.batchSize);
    const batch = JSON.stringify(
      Array.from({ length: n }, (_, i) => ({ name: `metric_${i}`, value: i, labels: {} })),
    );
    const r = await fire('db-throughput', ctx, ctx.urls.api, '/api/metrics', batch, params);
    r.extra.batchSize = n;
    r.targets = [
      {
        name: 'P95 batch insert latency',
        target: `< ${Number(params.batchP95TargetMs)} ms`,
        actual: `${r.latency_ms.p95.toFixed(3)} ms`,
        value: r.latency_ms.p95,
        unit: 'ms',
        pass: r.requests > 0 && r.latency_ms.p95 < Number(params.batchP95TargetMs),
      },
    ];
    return r;
  },
};

export const PROBES: readonly ScenarioDefinition[] = [probeOrders, probeDb];
