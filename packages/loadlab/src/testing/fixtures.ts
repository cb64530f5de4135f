/**
 * Realistic, deterministic ScenarioResult / RunReport values for the report and gate tests.
 * Latencies are drawn from a seeded log-normal with rare spikes, and every figure (entries,
 * per-second slices, failures, targets) is computed from those samples, so the numbers agree
 * with each other the way a real run's do.
 */
import { seededRandom } from '@tickstorm/protocol';
import type {
  EntryStats,
  LatencyMs,
  RunReport,
  ScenarioResult,
  TargetCheck,
  TimeSlice,
} from '../model/result.ts';

export const FIXTURE_T0 = 1_732_280_000;

export interface RequestKind {
  type: string;
  name: string;
  weight: number;
  /** Median latency in ms. */
  medianMs: number;
  failRate: number;
  contentLength?: number;
}

export interface FixtureOptions {
  scenario: string;
  seconds?: number;
  /** Requests per second. */
  rate?: number;
  kinds?: RequestKind[];
  seed?: number;
  params?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** name, target text, metric in latency_ms, limit in ms */
  latencyTargets?: { name: string; stat: keyof LatencyMs; limitMs: number }[];
  withResources?: boolean;
}

export { seededRandom as rng };

/** Nearest-rank percentiles (what HdrHistogram reports), from unsorted samples. */
export function latencySummary(samples: readonly number[]): LatencyMs {
  if (samples.length === 0) return { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { min: s[0], mean, p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99), max: s[s.length - 1] };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function buildScenario(o: FixtureOptions): ScenarioResult {
  const seconds = o.seconds ?? 10;
  const rate = o.rate ?? 200;
  const kinds = o.kinds ?? [{ type: 'POST', name: '/orders', weight: 1, medianMs: 3, failRate: 0.01 }];
  const rand = seededRandom(o.seed ?? 42);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const totalWeight = kinds.reduce((a, k) => a + k.weight, 0);
  const perKind = kinds.map(() => ({ lat: [] as number[], failures: 0 }));
  const all: number[] = [];
  const timeseries: TimeSlice[] = [];
  let failures = 0;
  const errors = new Map<string, { method: string; name: string; error: string; occurrences: number }>();
  for (let sec = 0; sec < seconds; sec++) {
    const lat: number[] = [];
    let slotFailures = 0;
    for (let i = 0; i < rate; i++) {
      let pick = rand() * totalWeight;
      let k = 0;
      while (pick > kinds[k].weight && k < kinds.length - 1) pick -= kinds[k++].weight;
      const kind = kinds[k];
      const spike = rand() < 0.002 ? 15 : 1;
      const ms = round3(kind.medianMs * Math.exp(0.35 * gauss()) * spike);
      lat.push(ms);
      perKind[k].lat.push(ms);
      if (rand() < kind.failRate) {
        perKind[k].failures++;
        slotFailures++;
        const error = rand() < 0.7 ? 'HTTP 503: overloaded' : 'HTTP 422: risk rejected: max notional';
        const key = `${kind.type} ${kind.name} ${error}`;
        const row = errors.get(key) ?? { method: kind.type, name: kind.name, error, occurrences: 0 };
        row.occurrences++;
        errors.set(key, row);
      }
    }
    all.push(...lat);
    failures += slotFailures;
    const l = latencySummary(lat);
    timeseries.push({
      t: FIXTURE_T0 + sec,
      requests: lat.length,
      failures: slotFailures,
      p50: l.p50,
      p95: l.p95,
      p99: l.p99,
      max: l.max,
      active: Math.min(50, 5 * (sec + 1)),
    });
  }
  const entries: EntryStats[] = kinds.map((k, i) => ({
    type: k.type,
    name: k.name,
    requests: perKind[i].lat.length,
    failures: perKind[i].failures,
    rps: perKind[i].lat.length / seconds,
    failuresPerSec: perKind[i].failures / seconds,
    latency_ms: latencySummary(perKind[i].lat),
    avgContentLength: k.contentLength ?? 180,
    statusCounts: { '201': perKind[i].lat.length - perKind[i].failures, '503': perKind[i].failures },
  }));
  const latency = latencySummary(all);
  const targets: TargetCheck[] = (o.latencyTargets ?? []).map((t) => ({
    name: t.name,
    target: `< ${t.limitMs} ms`,
    actual: `${latency[t.stat].toFixed(2)} ms`,
    value: latency[t.stat],
    unit: 'ms',
    pass: latency[t.stat] < t.limitMs,
  }));
  const result: ScenarioResult = {
    scenario: o.scenario,
    params: { rate, durationSec: seconds, ...(o.params ?? {}) },
    // Epoch ms, as the generator stamps it (TimeSlice.t is in seconds).
    startedAt: FIXTURE_T0 * 1000,
    durationSec: seconds,
    requests: all.length,
    failures,
    rps: all.length / seconds,
    latency_ms: latency,
    entries,
    timeseries,
    failureRows: [...errors.values()].sort((a, b) => b.occurrences - a.occurrences),
    targets,
    generator: {
      cpuPercent: 38.5,
      eventLoopLagMs: { p50: 0.4, p99: 2.1, max: 6.8 },
      droppedIterations: 0,
      workers: 2,
      saturated: false,
      warnings: [],
    },
    extra: { ...(o.extra ?? {}) },
  };
  if (o.withResources !== false) result.resources = resourceWatch(seconds);
  return result;
}

function resourceWatch(seconds: number): NonNullable<ScenarioResult['resources']> {
  const targets = [
    { target: 'execution-engine', cpu: 45, rss: 310 * 2 ** 20 },
    { target: 'market-data', cpu: 62, rss: 520 * 2 ** 20 },
  ];
  const samples = targets.flatMap((t) =>
    Array.from({ length: seconds }, (_, i) => ({
      t: FIXTURE_T0 + i,
      target: t.target,
      cpuPercent: t.cpu + (i % 3) * 4,
      rssBytes: t.rss + i * 2 ** 20,
    })),
  );
  const limits = { rssBytes: 2 * 2 ** 30, cpuPercent: 80 };
  const peaks = targets.map((t) => {
    const mine = samples.filter((s) => s.target === t.target);
    const cpuPercent = Math.max(...mine.map((s) => s.cpuPercent));
    const rssBytes = Math.max(...mine.map((s) => s.rssBytes));
    return { target: t.target, cpuPercent, rssBytes, pass: cpuPercent < 80 && rssBytes < limits.rssBytes };
  });
  return { source: 'proc', samples, peaks, limits };
}

export function orderStress(overrides: Partial<FixtureOptions> = {}): ScenarioResult {
  return buildScenario({
    scenario: 'order-stress',
    rate: 300,
    kinds: [
      { type: 'POST', name: '/orders [limit]', weight: 60, medianMs: 2.5, failRate: 0.004 },
      { type: 'POST', name: '/orders [market]', weight: 30, medianMs: 3.1, failRate: 0.01 },
      { type: 'POST', name: '/orders [stop]', weight: 10, medianMs: 2.2, failRate: 0.002 },
    ],
    latencyTargets: [{ name: 'P95 order latency', stat: 'p95', limitMs: 100 }],
    ...overrides,
  });
}

export function marketDataFlood(overrides: Partial<FixtureOptions> = {}): ScenarioResult {
  const s = buildScenario({
    scenario: 'market-data-flood',
    rate: 1000,
    seed: 7,
    kinds: [{ type: 'TICK', name: 'ws /stream', weight: 1, medianMs: 0.4, failRate: 0 }],
    latencyTargets: [{ name: 'P99 processing latency', stat: 'p99', limitMs: 10 }],
    params: { symbols: 50 },
    ...overrides,
  });
  s.extra = { ticksSent: s.requests, ticksProcessed: s.requests, ticksRejected: 0, ...s.extra };
  return s;
}

export function dbThroughput(overrides: Partial<FixtureOptions> = {}): ScenarioResult {
  return buildScenario({
    scenario: 'db-throughput',
    rate: 10,
    seed: 11,
    kinds: [{ type: 'DB', name: 'insert_metrics x1000', weight: 1, medianMs: 9, failRate: 0 }],
    latencyTargets: [{ name: 'P95 batch insert latency', stat: 'p95', limitMs: 50 }],
    params: { batchSize: 1000 },
    ...overrides,
  });
}

export function wsConcurrency(overrides: Partial<FixtureOptions> = {}): ScenarioResult {
  const s = buildScenario({
    scenario: 'ws-concurrency',
    rate: 500,
    seed: 5,
    kinds: [{ type: 'WS', name: '/ws/metrics update', weight: 1, medianMs: 1.8, failRate: 0 }],
    latencyTargets: [{ name: 'P95 message latency', stat: 'p95', limitMs: 100 }],
    params: { clients: 100, symbolsPerClient: 10 },
    ...overrides,
  });
  s.extra = { clients: 100, totalMessages: s.requests, clientsReceiving: 100, ...s.extra };
  return s;
}

export function buildRunReport(scenarios: ScenarioResult[]): RunReport {
  const failed = scenarios.some((s) => s.targets.some((t) => !t.pass));
  return {
    tool: 'tickstorm',
    version: '0.1.0',
    startedAt: FIXTURE_T0 * 1000,
    finishedAt: (FIXTURE_T0 + Math.max(...scenarios.map((s) => s.durationSec))) * 1000,
    target: 'http://127.0.0.1:5002',
    scenarios,
    thresholds: [],
    exitCode: failed ? 99 : 0,
  };
}
