/**
 * The api's JSON routes: `GET /api/metrics/{market-data,orders,system,database,websocket}`
 * read the StatsProviders of this process (a section it does not run is a coded 404 naming
 * the service that serves it), `GET /api/metrics` all present sections at once,
 * `POST /api/metrics` hands an untrusted batch to the ingest sink (202 with counts; the
 * sink's coded errors become 400s through createHttpApp), `GET /health` (the providers, plus
 * what `health` adds: every service, the store, memory; see service-health.ts).
 */
import { Readable } from 'node:stream';
import { ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import type { FastifyInstance } from 'fastify';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { StreamedJson } from '../guards/answer-stream.ts';
import { takesQuery } from '../http/route-query.ts';
import type { StatsProviders } from '../stats/stats-types.ts';
import type { WsHubStats } from './ws-hub/ws-hub-options.ts';

/** Where POST /api/metrics goes (the composition root wires it to the metrics store's writer). */
export interface MetricsIngestSink {
  /** Validates and stores a batch; throws a coded error (e.g. TRD_ERR_INVALID_METRICS) when invalid. */
  ingest(records: unknown): Promise<{ accepted: number }>;
}

/** What a metrics query answers: rows, rows capped with `truncated`, or that answer as JSON already. */
export type QueryAnswer =
  | unknown[]
  | { rows: unknown[]; truncated: boolean }
  | { json: Buffer[]; truncated: boolean }
  | { stream: StreamedJson; truncated: boolean };

export interface MetricsRoutesOptions {
  providers: StatsProviders;
  ingest?: MetricsIngestSink;
  hub?: () => WsHubStats;
  service?: string;
  /**
   * Read-only SQL on the metrics store this process owns (one SELECT): rows, or rows capped with
   * `truncated` (the store's queryLimited on PostgreSQL), or that answer as JSON already
   * (guards/query-guard.ts on DuckDB).
   */
  query?: (sql: string) => Promise<QueryAnswer>;
  /** Bound on each provider call made by /health (default 1000 ms). */
  healthTimeoutMs?: number;
  /**
   * More of /health: fields merged into the answer (services, store, memory, ...) and whether
   * they make the status "degraded" (503).
   */
  health?: () => Promise<{ degraded: boolean; fields: Record<string, unknown> }>;
}

type Section = 'marketData' | 'orders' | 'database';

const SERVED_BY: Record<Section, { path: string; by: string }> = {
  marketData: { path: 'market-data', by: 'the market-data service (default port 5001)' },
  orders: { path: 'orders', by: 'the execution-engine service (default port 5002)' },
  database: { path: 'database', by: 'the process that owns the metrics store (tickstorm serve)' },
};

function absent(section: Section): TradingError {
  const { path, by } = SERVED_BY[section];
  return new TradingError(
    TradingErrorCode.NOT_FOUND,
    `${path} metrics are not available from this process: they come from ${by}; ` +
      `query /api/metrics/${path} on the api running in that process`,
  );
}

export function registerMetricsRoutes(app: FastifyInstance, opts: MetricsRoutesOptions): void {
  const p = opts.providers;
  const service = opts.service ?? 'api';

  app.get('/api/metrics/market-data', async () => {
    if (p.marketData === undefined) throw absent('marketData');
    return p.marketData();
  });
  app.get('/api/metrics/orders', async () => {
    if (p.orders === undefined) throw absent('orders');
    return p.orders();
  });
  app.get('/api/metrics/database', async () => {
    if (p.database === undefined) throw absent('database');
    return await p.database({ fresh: true });
  });
  app.get('/api/metrics/system', async () => p.system());
  app.get('/api/metrics/websocket', async () => {
    if (opts.hub === undefined) {
      throw new TradingError(TradingErrorCode.NOT_FOUND, 'this process runs no WebSocket hub');
    }
    return opts.hub();
  });
  app.get('/api/metrics', async () => ({
    marketData: p.marketData?.(),
    orders: p.orders?.(),
    database: p.database === undefined ? undefined : await p.database(),
    system: p.system(),
    websocket: opts.hub?.(),
  }));

  // `sql` only: a misspelt `?sq1=` is named rather than answered "sql is required", and a
  // parameter the route does not read (`&limit=5`) is not silently dropped.
  app.get<{ Querystring: { sql?: unknown } }>('/api/metrics/query', takesQuery('sql'), async (req, reply) => {
    if (opts.query === undefined) {
      throw new TradingError(TradingErrorCode.NOT_FOUND, 'this process owns no metrics store to query');
    }
    const sql = req.query.sql;
    if (Array.isArray(sql)) {
      // `?sql=A&sql=B`: one statement per request, not "sql is required".
      throw new TradingError(TradingErrorCode.INVALID_QUERY, 'sql must be given once', 'sql');
    }
    if (typeof sql !== 'string' || sql.trim() === '') {
      throw new ProtocolError(
        ProtocolErrorCode.MISSING_FIELD,
        'sql is required, e.g. ?sql=SELECT count(*) FROM trading_metrics',
        'sql',
      );
    }
    const answer = await opts.query(sql);
    if (Array.isArray(answer)) return { rows: answer };
    if ('stream' in answer) {
      // From the query process, as it arrives, through reused buffers (guards/answer-stream.ts).
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': answer.stream.length,
      });
      answer.stream.writeTo(reply.raw);
      return reply;
    }
    // Already JSON (guards/query-guard.ts): its pieces written as they are, never serialised or
    // copied into one buffer again on the event loop.
    if ('json' in answer) {
      let length = 0;
      for (const b of answer.json) length += b.length;
      return reply
        .type('application/json; charset=utf-8')
        .header('content-length', length)
        .send(Readable.from(answer.json));
    }
    return answer;
  });

  app.post('/api/metrics', async (req, reply) => {
    if (opts.ingest === undefined) {
      throw new TradingError(
        TradingErrorCode.NOT_FOUND,
        'metrics ingest is not available from this process: it has no metrics store',
      );
    }
    const records = unwrapBatch(req.body);
    const { accepted } = await opts.ingest.ingest(records);
    return reply.code(202).send({ accepted, received: Array.isArray(records) ? records.length : 0 });
  });

  // Each check runs every provider (percentiles of several HdrHistograms, ~0.3 ms in all);
  // health checks arrive by the hundred per second under a user mix, so a result is reused
  // for HEALTH_REUSE_MS and concurrent checks share one run.
  let lastChecks: { at: number; checks: Promise<Record<string, string>> } | null = null;
  const runChecks = async (ms: number): Promise<Record<string, string>> => ({
    marketData: await check(p.marketData, ms),
    orders: await check(p.orders, ms),
    database: await check(p.database, ms),
    system: await check(p.system, ms),
  });

  app.get('/health', async (_req, reply) => {
    const ms = opts.healthTimeoutMs ?? 1000;
    const now = performance.now();
    if (lastChecks === null || now - lastChecks.at > HEALTH_REUSE_MS) {
      lastChecks = { at: now, checks: runChecks(ms) };
    }
    const checks = await lastChecks.checks;
    const hub = opts.hub?.();
    const more = await opts.health?.();
    const ok = Object.values(checks).every((c) => c === 'ok' || c === 'absent') && more?.degraded !== true;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      service,
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
      checks,
      websocket: hub === undefined ? undefined : { clients: hub.clients, slowClients: hub.slowClients },
      ...more?.fields,
    });
  });
}

/** How long /health reuses its provider checks (ms). */
export const HEALTH_REUSE_MS = 250;

/** `[...]` as is; `{"records":[...]}` or `{"metrics":[...]}` unwrapped; anything else to the validator. */
function unwrapBatch(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body);
    const inner = (body as Record<string, unknown>)[keys[0]];
    if (keys.length === 1 && (keys[0] === 'records' || keys[0] === 'metrics') && Array.isArray(inner)) {
      return inner;
    }
  }
  return body;
}

async function check(provider: (() => unknown) | undefined, timeoutMs: number): Promise<string> {
  if (provider === undefined) return 'absent';
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([Promise.resolve().then(provider), timeout]);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error)?.message ?? String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}
