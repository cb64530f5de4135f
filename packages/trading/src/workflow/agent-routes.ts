/**
 * The agent workload's endpoints on the api (docs/agent-endpoints.md):
 *
 *   GET  /api/data/:symbol/bars?interval=1s|1m&limit=N   data collection
 *   POST /api/strategy/analyze                            indicators and a signal
 *   POST /api/risk/analyze                                positions, exposure, VaR, limit usage
 *   POST /api/trade/execute                               exactly POST /orders of the execution engine
 *   POST /api/workflow/run                                the four chained, each step under a timeout
 *
 * Each request is admitted in an `onRequest` hook, before its body is read or parsed: above
 * the memory guard's high-water mark 503 TRD_ERR_MEMORY_PRESSURE, beyond the in-flight limit
 * (ABC_MAX_CONCURRENT_REQUESTS) 503 TRD_ERR_OVERLOADED, both with Retry-After. The slot is
 * released exactly once (../guards/admission.ts) when the exchange is over (onResponse, or the
 * response's 'close' for errors and dropped connections) and the handler, and any workflow
 * step that timed out but still runs, have settled. Bodies are limited to AGENT_BODY_LIMIT
 * (413 beyond). Inputs are validated before any agent runs (coded 400 naming the field).
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { principalOf } from '../auth/request-auth.ts';
import { httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import { Admission, type InFlightLimiter } from '../guards/admission.ts';
import type { MemoryGuard } from '../guards/memory-guard.ts';
import { shed } from '../guards/shed.ts';
import { sendError } from '../http/http-app.ts';
import { parseCount } from '../http/request-fields.ts';
import { takesQuery } from '../http/route-query.ts';
import { DEFAULT_BAR_LIMIT, parseInterval } from '../market-data/bar-fields.ts';
import type { BarInterval } from '../market-data/market-state.ts';
import {
  DEFAULT_RISK_LOOKBACK,
  parseAccount,
  parseStrategyRequest,
  parseSymbol,
  parseSymbols,
  parseWorkflowRequest,
  riskBody,
  strategyBody,
} from './agent-requests.ts';
import type { AgentSteps } from './agent-types.ts';
import { barsToFetch } from './strategy-params.ts';
import { runWorkflow } from './workflow.ts';

/** Largest body of an agent request (every one is a small JSON object); 413 beyond. */
export const AGENT_BODY_LIMIT = 64 * 1024;

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

export function registerAgentRoutes(app: FastifyInstance, o: AgentRoutesOptions): void {
  const never = new AbortController().signal;
  const admissions = new WeakMap<FastifyRequest, Admission>();
  const route: RouteShorthandOptions = {
    bodyLimit: AGENT_BODY_LIMIT,
    // Before the body is read: a refused request costs no parsing and no buffering.
    onRequest: async (req, reply) => {
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
      const a = new Admission(o.limiter);
      admissions.set(req, a);
      // 'close' comes after the response ends, and also when the connection drops first
      // (onResponse then never runs).
      reply.raw.once('close', () => a.endRequest());
    },
    onResponse: async (req) => {
      admissions.get(req)?.endRequest();
    },
  };
  const admitted =
    (handler: Handler) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const work = handler(req, reply, never);
      // The slot stays taken while the handler runs, even if the client has gone.
      admissions.get(req)?.holdUntil(work);
      try {
        return await work;
      } catch (err) {
        // An expected 503 (a service not in this process) is an answer, not a server fault to warn about.
        if (err instanceof TradingError && httpStatusOf(err.code) === 503) {
          // a process or the bus away for a moment (a NATS bus): say when to retry
          if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS));
          return sendError(reply, err.code, err.message, err.field);
        }
        throw err;
      }
    };
  const lingering = (req: FastifyRequest) => (settled: Promise<void>) => {
    admissions.get(req)?.holdUntil(settled);
  };

  app.get<{ Params: { symbol: string } }>(
    '/api/data/:symbol/bars',
    // interval and limit, as market data's GET /bars
    { ...route, ...takesQuery('interval', 'limit') },
    admitted(async (req, _reply, signal) => {
      const q = req.query as Record<string, unknown>;
      const symbol = parseSymbol(o.instruments, (req.params as { symbol: string }).symbol);
      const interval = parseInterval(q.interval, undefined, 'query');
      const limit = parseCount(q.limit, 'limit', DEFAULT_BAR_LIMIT, 1, o.capacity(interval), 'query');
      return o.steps.data({ symbol, interval, limit }, signal);
    }),
  );

  app.post(
    '/api/strategy/analyze',
    route,
    admitted(async (req, _reply, signal) => {
      const sr = parseStrategyRequest(o.instruments, strategyBody(req.body));
      const limit = barsToFetch(sr.strategy, sr.params, o.capacity(sr.interval));
      const data = await o.steps.data({ symbol: sr.symbol, interval: sr.interval, limit }, signal);
      return o.steps.strategy(sr, data, signal);
    }),
  );

  app.post(
    '/api/risk/analyze',
    route,
    admitted(async (req, _reply, signal) => {
      const b = riskBody(req.body);
      const interval = parseInterval(b.interval);
      // Keys on: a trader sees its own accounts only (its first by default), as on GET /positions.
      const key = principalOf(req);
      const trader = key !== undefined && key.role === 'trader' ? key : undefined;
      const account = parseAccount(b.account, trader?.accounts[0]);
      if (trader !== undefined && !trader.holds(account)) {
        throw new TradingError(
          TradingErrorCode.ACCOUNT_FORBIDDEN,
          `this key does not hold account ${JSON.stringify(account)}`,
          'account',
        );
      }
      return o.steps.risk(
        {
          account,
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
    route,
    admitted(async (req, reply, signal) => {
      const r = await o.steps.execute(req.body, signal);
      if (r.headers !== undefined) reply.headers(r.headers);
      return reply.code(r.status).send(r.body);
    }),
  );

  app.post(
    '/api/workflow/run',
    route,
    admitted(async (req, reply) => {
      const wr = parseWorkflowRequest(o.instruments, req.body);
      const out = await runWorkflow(o.steps, wr, {
        stepTimeoutMs: o.stepTimeoutMs,
        capacity: o.capacity,
        onLingering: lingering(req),
      });
      if (out.headers !== undefined) reply.headers(out.headers);
      return reply.code(out.status).send(out.body);
    }),
  );
}
