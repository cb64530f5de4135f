/**
 * Scenario 3, Database Write Throughput (targets: 10,000 metrics/s in batches of 1,000 for 10
 * minutes, < 50 ms per batch insert). Batches are due at rate / batchSize per second (open
 * model; a plain Python loop inserts back to back and reports the latency-derived throughput).
 *
 * - mode http: `POST /api/metrics` on the api with the standard records (db-http-script.ts),
 *   the system's metrics store end to end; success = 202.
 * - mode library: the `benchmark_inserts` loop in-process against `DatabaseManager`
 *   (db-library-script.ts).
 * - mode both: http, then library; one result, targets per mode.
 *
 * Targets per mode: batch insert latency P95 and P99 < 50 ms, records/s >= rate (within 1%).
 */
import {
  atLeast,
  type ExecutionSegment,
  finishResult,
  fmt,
  latencyTarget,
  ParamReader,
  type ParamSpec,
  partOf,
  type RunOutcome,
  runScript,
  type ScenarioResult,
  segmentFraction,
  type TargetCheck,
  throwIfProblems,
  toScenarioResult,
  windowSec,
} from '@tickstorm/loadlab';
import type { DbHttpScriptParams } from './db-http-script.ts';
import type { DbLibraryScriptParams } from './db-library-script.ts';
import { dbLines } from './results-blocks.ts';
import type { TickstormRunContext, TickstormScenario } from './scenario.ts';

const PARAMS: readonly ParamSpec[] = [
  { key: 'batchSize', flag: 'batch-size', type: 'integer', default: 1000, help: 'records per batch' },
  {
    key: 'rate',
    flag: 'rate',
    type: 'number',
    default: 10_000,
    help: 'records per second (rate / batch-size batches per second)',
  },
  {
    key: 'duration',
    flag: 'duration',
    type: 'duration',
    default: '10s',
    full: '10m',
    help: 'how long batches are sent',
  },
  {
    key: 'mode',
    flag: 'mode',
    type: 'string',
    default: 'http',
    help: 'http (POST /api/metrics), library (DatabaseManager in-process) or both',
  },
  {
    key: 'dbPath',
    flag: 'db-path',
    type: 'string',
    default: ':memory:',
    help: "library mode: DuckDB file, ':memory:', or a postgres:// URL",
    relevant: (p) => p.mode !== 'http',
  },
  {
    key: 'connections',
    flag: 'connections',
    type: 'integer',
    default: 8,
    help: 'http mode: keep-alive connections = most batches in flight',
  },
  { key: 'timeout', flag: 'timeout', type: 'duration', default: '10s', help: 'per-batch timeout' },
];

type Mode = 'http' | 'library';

function read(raw: Record<string, unknown>) {
  const r = new ParamReader(PARAMS, raw);
  const p = {
    batchSize: r.number('batchSize', { integer: true, min: 1, max: 100_000 }),
    rate: r.number('rate'),
    durationMs: r.duration('duration'),
    mode: r.oneOf('mode', ['http', 'library', 'both'] as const),
    dbPath: r.string('dbPath'),
    connections: r.number('connections', { integer: true, min: 1, max: 10_000 }),
    timeoutMs: r.duration('timeout'),
  };
  if (p.dbPath === '' && r.problems.length === 0)
    r.problem("--db-path must be a file path, ':memory:' or a postgres:// URL");
  if (r.problems.length === 0 && (p.rate / p.batchSize) * (p.durationMs / 1000) < 1) {
    r.problem('--rate / --batch-size x --duration must give at least one batch');
  }
  return { p, r };
}
type DbParams = ReturnType<typeof read>['p'];

async function runMode(ctx: TickstormRunContext, p: DbParams, mode: Mode): Promise<RunOutcome> {
  const http = mode === 'http';
  const params: DbHttpScriptParams | DbLibraryScriptParams = http
    ? { url: ctx.urls.api, batchSize: p.batchSize, timeoutMs: p.timeoutMs, tls: ctx.tls }
    : { dbPath: p.dbPath, batchSize: p.batchSize };
  const vus = http ? p.connections : 8;
  return runScript({
    ctx,
    name: 'db-throughput',
    executor: {
      executor: 'constant-arrival-rate',
      rate: p.rate / p.batchSize,
      timeUnit: '1s',
      duration: `${p.durationMs}ms`,
      preAllocatedVUs: vus,
      maxVUs: vus,
      gracefulStop: `${p.timeoutMs}ms`,
    },
    module: new URL(http ? './db-http-script.ts' : './db-library-script.ts', import.meta.url),
    params: params as unknown as Record<string, unknown>,
    maxWorkers: http ? undefined : 1,
  });
}

interface ModeFigures {
  batches: number;
  failedBatches: number;
  records: number;
  recordsPerSec: number;
  latencyMs: ScenarioResult['latency_ms'];
}

function figures(r: ScenarioResult, p: DbParams): ModeFigures {
  const ok = r.requests - r.failures;
  const records = ok * p.batchSize;
  return {
    batches: r.requests,
    failedBatches: r.failures,
    records,
    recordsPerSec: Math.round(records / windowSec(r, p.durationMs)),
    latencyMs: r.latency_ms,
  };
}

function modeTargets(
  f: ModeFigures,
  p: DbParams,
  suffix: string,
  seg: ExecutionSegment | undefined,
): TargetCheck[] {
  const rate = p.rate * segmentFraction(seg);
  return [
    latencyTarget(`Batch insert latency P95${suffix}`, f.latencyMs.p95, 50, f.batches),
    latencyTarget(`Batch insert latency P99${suffix}`, f.latencyMs.p99, 50, f.batches),
    atLeast(
      `Records/s${suffix}`,
      f.recordsPerSec,
      rate * 0.99,
      'records/s',
      `>= ${fmt(rate)} records/s (within 1%${partOf(p.rate, seg)})`,
    ),
  ];
}

/** One result from the http run followed by the library run. */
function combine(a: RunOutcome, b: RunOutcome): ScenarioResult {
  a.stats.merge(b.stats.snapshot());
  const ga = a.result.generator;
  const gb = b.result.generator;
  const result = toScenarioResult(a.stats, {
    scenario: 'db-throughput',
    startedAt: a.result.startedAt,
    durationSec: Math.round((a.result.durationSec + b.result.durationSec) * 1000) / 1000,
    generator: {
      ...ga,
      cpuPercent: Math.max(ga.cpuPercent, gb.cpuPercent),
      droppedIterations: ga.droppedIterations + gb.droppedIterations,
      saturated: ga.saturated || gb.saturated,
      warnings: [...ga.warnings.map((w) => `http: ${w}`), ...gb.warnings.map((w) => `library: ${w}`)],
    },
    extra: { http: a.result.extra, library: b.result.extra },
  });
  result.timeseries = [...a.result.timeseries, ...b.result.timeseries];
  return result;
}

export const dbThroughput: TickstormScenario = {
  id: 'db-throughput',
  title: 'Database Throughput',
  summaryLines: dbLines,
  params: PARAMS,
  validate: (raw) => read(raw).r.problems,
  async run(ctx, raw) {
    const { p, r } = read(raw);
    throwIfProblems('db-throughput', r.problems);
    const modes: Mode[] = p.mode === 'both' ? ['http', 'library'] : [p.mode];
    const outs: RunOutcome[] = [];
    for (const m of modes) outs.push(await runMode(ctx, p, m));
    const result = outs.length === 2 ? combine(outs[0], outs[1]) : outs[0].result;
    const per = outs.map((o) => figures(o.result, p));
    const targets = modes.flatMap((m, i) =>
      modeTargets(per[i], p, modes.length > 1 ? (m === 'http' ? ' (HTTP)' : ' (library)') : '', ctx.segment),
    );
    const sum = (k: 'batches' | 'records' | 'failedBatches') => per.reduce((s, f) => s + f[k], 0);
    const shown: Record<string, unknown> = { ...r.values };
    if (p.mode === 'http') delete shown.dbPath; // the http mode writes through the api: no local database
    return finishResult(result, shown, targets, {
      batchSize: p.batchSize,
      batches: sum('batches'),
      failedBatches: sum('failedBatches'),
      totalRecords: sum('records'),
      recordsWritten: sum('records'),
      recordsPerSec: per[0].recordsPerSec,
      modes: Object.fromEntries(modes.map((m, i) => [m, per[i]])),
    });
  },
};
