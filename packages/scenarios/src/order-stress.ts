/**
 * Scenario 2, Order Processing Stress (targets: 1,000 orders/s for 5 minutes, 60% limit / 30%
 * market / 10% stop, P95 < 100 ms). Unlike a simple Python client (a burst of `rate` orders once a
 * second, timed from the send), this is the open model: orders are due at a constant rate,
 * each on a free keep-alive connection to `POST /orders`, latency from its intended time
 * (no coordinated omission). Success is 201; every other answer is a failure counted by
 * status code. Orders are spread over a few accounts so the per-account rate limit of the
 * default risk limits is not what is measured.
 */
import {
  atLeast,
  finishResult,
  fmt,
  latencyTarget,
  ParamReader,
  type ParamSpec,
  partOf,
  runScript,
  segmentFraction,
  type TargetCheck,
  throwIfProblems,
  windowSec,
} from '@tickstorm/loadlab';
import type { OrderStressScriptParams } from './order-stress-script.ts';
import { orderStressLines } from './results-blocks.ts';
import type { TickstormScenario } from './scenario.ts';

const PARAMS: readonly ParamSpec[] = [
  { key: 'rate', flag: 'rate', type: 'number', default: 1000, help: 'orders per second' },
  {
    key: 'duration',
    flag: 'duration',
    type: 'duration',
    default: '10s',
    full: '5m',
    help: 'how long orders are sent',
  },
  {
    key: 'mix',
    flag: 'mix',
    type: 'string',
    default: '60/30/10',
    help: 'weights of limit/market/stop orders',
  },
  {
    key: 'symbols',
    flag: 'order-symbols',
    type: 'list',
    default: ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'],
    help: 'symbols, chosen at random',
  },
  {
    key: 'accounts',
    flag: 'accounts',
    type: 'integer',
    default: 10,
    help: 'accounts the orders are spread over (loadlab-0..)',
  },
  {
    key: 'connections',
    flag: 'connections',
    type: 'integer',
    default: 64,
    help: 'keep-alive connections = most orders in flight (a due order finding none free is dropped and counted)',
  },
  {
    key: 'pool',
    flag: 'pool',
    type: 'integer',
    default: 4096,
    help: 'distinct prebuilt order bodies per generator thread, sent round robin',
  },
  { key: 'seed', flag: 'seed', type: 'integer', default: 1, help: 'random seed of the order pool' },
  { key: 'timeout', flag: 'timeout', type: 'duration', default: '10s', help: 'per-order timeout' },
];

function read(raw: Record<string, unknown>) {
  const r = new ParamReader(PARAMS, raw);
  const before = r.problems.length;
  const mixText = r.string('mix');
  const parts = mixText.split(/[/,:]/).map((x) => (x.trim() === '' ? Number.NaN : Number(x)));
  const mixOk =
    parts.length === 3 && parts.every((x) => Number.isFinite(x) && x >= 0) && parts.some((x) => x > 0);
  if (r.problems.length === before && !mixOk) {
    r.problem(`--mix must be three weights limit/market/stop like 60/30/10 (got ${JSON.stringify(mixText)})`);
  }
  const p = {
    rate: r.number('rate'),
    durationMs: r.duration('duration'),
    mix: (mixOk ? parts : [60, 30, 10]) as [number, number, number],
    symbols: r.list('symbols'),
    accounts: r.number('accounts', { integer: true, min: 1, max: 10_000 }),
    connections: r.number('connections', { integer: true, min: 1, max: 100_000 }),
    pool: r.number('pool', { integer: true, min: 1, max: 1_000_000 }),
    seed: r.number('seed', { integer: true, min: 0 }),
    timeoutMs: r.duration('timeout'),
  };
  return { p, r };
}

export const orderStress: TickstormScenario = {
  id: 'order-stress',
  title: 'Order Stress',
  summaryLines: orderStressLines,
  params: PARAMS,
  validate: (raw) => read(raw).r.problems,
  async run(ctx, raw) {
    const { p, r } = read(raw);
    throwIfProblems('order-stress', r.problems);
    const scriptParams: OrderStressScriptParams = {
      url: ctx.urls.orders,
      symbols: p.symbols,
      mix: p.mix,
      accounts: p.accounts,
      seed: p.seed,
      pool: p.pool,
      timeoutMs: p.timeoutMs,
      tls: ctx.tls,
    };
    const { result, stats } = await runScript({
      ctx,
      name: 'order-stress',
      executor: {
        executor: 'constant-arrival-rate',
        rate: p.rate,
        timeUnit: '1s',
        duration: `${p.durationMs}ms`,
        preAllocatedVUs: p.connections,
        maxVUs: p.connections,
        gracefulStop: `${p.timeoutMs}ms`,
      },
      module: new URL('./order-stress-script.ts', import.meta.url),
      params: scriptParams as unknown as Record<string, unknown>,
    });
    const statusCounts: Record<string, number> = {};
    for (const e of stats.entries) {
      for (const [k, v] of Object.entries(e.statusCounts())) statusCounts[k] = (statusCounts[k] ?? 0) + v;
    }
    const ok = result.requests - result.failures;
    const perSec = ok / windowSec(result, p.durationMs);
    const rate = p.rate * segmentFraction(ctx.segment);
    const errorRate = result.requests > 0 ? result.failures / result.requests : Number.NaN;
    const errorPct = Math.round(errorRate * 100_000) / 1000;
    const targets: TargetCheck[] = [
      latencyTarget('P95 order latency', result.latency_ms.p95, 100, result.requests),
      atLeast(
        'Orders/s',
        perSec,
        rate * 0.99,
        'orders/s',
        `>= ${fmt(rate)} orders/s (within 1%${partOf(p.rate, ctx.segment)})`,
      ),
      {
        name: 'Error rate',
        target: '< 1%',
        actual: Number.isFinite(errorRate)
          ? `${errorPct}% (${fmt(result.failures)} of ${fmt(result.requests)})`
          : 'n/a (no orders)',
        value: errorPct,
        unit: '%',
        pass: Number.isFinite(errorRate) && errorRate < 0.01,
      },
    ];
    return finishResult(result, r.values, targets, {
      orders: result.requests,
      ordersOk: ok,
      ordersFailed: result.failures,
      droppedOrders: result.generator.droppedIterations,
      ordersPerSec: Math.round(perSec * 100) / 100,
      errorRate: Number.isFinite(errorRate) ? errorRate : null,
      statusCounts,
    });
  },
};
