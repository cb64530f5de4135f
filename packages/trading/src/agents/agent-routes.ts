/**
 * The performance suite's agent endpoints on the api (docs/agent-endpoints.md):
 *
 *   GET  /api/data/:symbol/bars?interval=1s|1m&limit=N   data collection
 *   POST /api/strategy/analyze                            indicators and a signal
 *   POST /api/risk/analyze                                positions, exposure, VaR, limit usage
 *   POST /api/trade/execute                               exactly POST /orders of the execution engine
 *   POST /api/workflow/run                                the four chained, each step under a timeout
 *
 * Each request is admitted first: above the memory guard's high-water mark 503
 * TRD_ERR_MEMORY_PRESSURE, beyond the in-flight limit (ABC_MAX_CONCURRENT_REQUESTS) 503
 * TRD_ERR_OVERLOADED, both with Retry-After; the slot is released when the handler ends.
 * Inputs are validated before any agent runs (coded 400 naming the field).
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import type { BarInterval } from '../market-data/market-state.ts';
import { sendError } from '../services/http-app.ts';
import type { InFlightLimiter } from './admission.ts';
import {
  bodyObject,
  DEFAULT_BAR_LIMIT,
  DEFAULT_RISK_LOOKBACK,
  parseAccount,
  parseCount,
  parseInterval,
  parseStrategyRequest,
  parseSymbol,
  parseSymbols,
  parseWorkflowRequest,
} from './agent-requests.ts';
import type { AgentSteps } from './agent-types.ts';
import type { MemoryGuard } from './memory-guard.ts';
import { barsToFetch } from './strategy-params.ts';
import { runWorkflow } from './workflow.ts';

export const RETRY_AFTER_SECONDS = '1';

export interface AgentRoutesOptions {
  instruments: InstrumentTable;
  steps: AgentSteps;
  limiter: InFlightLimiter;
  memory?: MemoryGuard;
  stepTimeoutMs: number;
  /** Bars the ring holds per interval (bounds `limit`). */
  capacity: (interval: BarInterval) => number;
}

type Handler = (req: FastifyRequest, reply: FastifyReply, signal: AbortSignal) => Promise<unknown>;

/** 503 + Retry-After with a coded body (memory pressure, overload). */
export function shed(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  reply.header('retry-after', RETRY_AFTER_SECONDS);
  return sendError(reply, code, message);
}

export function registerAgentRoutes(app: FastifyInstance, o: AgentRoutesOptions): void {
  const never = new AbortController().signal;
  const admitted =
    (handler: Handler) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      if (o.memory?.shedding === true) {
        o.memory.refused();
        return shed(reply, TradingErrorCode.MEMORY_PRESSURE, 'memory above its high-water mark; retry later');
      }
      if (!o.limiter.tryAcquire()) {
        return shed(
          reply,
          TradingErrorCode.OVERLOADED,
          `more than ${o.limiter.max} agent requests in flight; retry later`,
        );
      }
      try {
        return await handler(req, reply, never);
      } catch (err) {
        // An expected 503 (a service not in this process) is an answer, not a server fault to warn about.
        if (err instanceof TradingError && httpStatusOf(err.code) === 503) {
          return sendError(reply, err.code, err.message, err.field);
        }
        throw err;
      } finally {
        o.limiter.release();
      }
    };

  app.get<{ Params: { symbol: string } }>(
    '/api/data/:symbol/bars',
    admitted(async (req, _reply, signal) => {
      const q = req.query as Record<string, unknown>;
      const symbol = parseSymbol(o.instruments, (req.params as { symbol: string }).symbol);
      const interval = parseInterval(q.interval);
      const limit = parseCount(q.limit, 'limit', DEFAULT_BAR_LIMIT, 1, o.capacity(interval));
      return o.steps.data({ symbol, interval, limit }, signal);
    }),
  );

  app.post(
    '/api/strategy/analyze',
    admitted(async (req, _reply, signal) => {
      const sr = parseStrategyRequest(o.instruments, req.body);
      const limit = barsToFetch(sr.strategy, sr.params, o.capacity(sr.interval));
      const data = await o.steps.data({ symbol: sr.symbol, interval: sr.interval, limit }, signal);
      return o.steps.strategy(sr, data, signal);
    }),
  );

  app.post(
    '/api/risk/analyze',
    admitted(async (req, _reply, signal) => {
      const b = req.body === undefined || req.body === null ? {} : bodyObject(req.body);
      const interval = parseInterval(b.interval);
      return o.steps.risk(
        {
          account: parseAccount(b.account),
          symbols: parseSymbols(o.instruments, b.symbols),
          interval,
          lookback: parseCount(b.lookback, 'lookback', DEFAULT_RISK_LOOKBACK, 2, o.capacity(interval)),
        },
        signal,
      );
    }),
  );

  app.post(
    '/api/trade/execute',
    admitted(async (req, reply, signal) => {
      const r = await o.steps.execute(req.body, signal);
      if (r.headers !== undefined) reply.headers(r.headers);
      return reply.code(r.status).send(r.body);
    }),
  );

  app.post(
    '/api/workflow/run',
    admitted(async (req, reply) => {
      const wr = parseWorkflowRequest(o.instruments, req.body);
      const out = await runWorkflow(o.steps, wr, { stepTimeoutMs: o.stepTimeoutMs, capacity: o.capacity });
      if (out.headers !== undefined) reply.headers(out.headers);
      return reply.code(out.status).send(out.body);
    }),
  );
}
