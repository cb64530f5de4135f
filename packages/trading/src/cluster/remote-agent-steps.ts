/**
 * The agent endpoints' steps when the api runs apart from the other services (a NATS bus):
 *
 * - data: market data's ring over Subject.MARKET_BARS (./market-bars.ts), completed from the
 *   metrics store's 1m bars as in one process (workflow/data-agent.ts);
 * - strategy: computed here, as in one process;
 * - risk: positions and limits over Subject.RISK_QUERY (the risk manager's process),
 *   valued at the last prices of Topic.MARKET_UPDATE (./last-price-mirror.ts). No pre-trade
 *   verdict comes back over the bus: the workflow's order then meets the engine's own
 *   pre-trade check, and a refusal is the execution step's 422;
 * - execute: Subject.orderRoute(symbol) {op:'submit', body} to the engine owning the symbol,
 *   its GatewayReply relayed verbatim.
 *
 * Nobody serving a subject (BUS_NO_RESPONDERS), no answer in time, or a bus that is away:
 * 503 TRD_ERR_SERVICE_UNAVAILABLE naming the service, with Retry-After: 1.
 */
import { ProtocolErrorCode } from '@tickstorm/protocol';
import { type Bus, BusError } from '../bus/bus.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { inexactWire } from '../http/exact-numbers.ts';
import { errorBody } from '../http/http-app.ts';
import type { BarView } from '../market-data/bar-series.ts';
import type { GatewayReply } from '../orders/order-gateway.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import type { AccountExposure } from '../risk/risk-positions.ts';
import type { AgentSteps, BarsRequest } from '../workflow/agent-types.ts';
import type { AnalysisCache } from '../workflow/analysis-cache.ts';
import { completeFromStore } from '../workflow/data-agent.ts';
import { type AgentDeps, createAgentSteps } from '../workflow/default-steps.ts';
import { analyzeAccountRisk } from '../workflow/risk-agent.ts';
import type { LastPriceMirror } from './last-price-mirror.ts';
import { type MarketBarsQuery, type OrderRouteRequest, type RiskQuery, Subject } from './subjects.ts';

export interface RemoteStepsOptions {
  bus: Bus;
  deps: AgentDeps;
  prices: LastPriceMirror;
  /** Bound on each bus request (default 2,000 ms). */
  timeoutMs?: number;
}

/** A bus failure as the agent endpoints' coded 503 naming `service`. */
export function unavailable(err: unknown, service: string, what: string): TradingError {
  if (!(err instanceof BusError)) throw err;
  const why =
    err.code === 'BUS_NO_RESPONDERS'
      ? `no ${service} process answers on the bus`
      : err.code === 'BUS_TIMEOUT'
        ? `the ${service} process did not answer in time`
        : err.code === 'BUS_CLOSED'
          ? 'the bus is not connected'
          : `the ${service} process failed: ${err.message}`;
  // transient (the process or the bus is back in a moment): Retry-After, as for orders
  return new TradingError(TradingErrorCode.SERVICE_UNAVAILABLE, `${what}: ${why}`, service, 1);
}

export function createRemoteSteps(o: RemoteStepsOptions, cache?: AnalysisCache): AgentSteps {
  const { bus, deps, prices } = o;
  const timeoutMs = o.timeoutMs ?? 2000;
  const ask = async <Q, R>(subject: string, q: Q, service: string, what: string): Promise<R> => {
    try {
      return await bus.request<Q, R>(subject, q, timeoutMs);
    } catch (err) {
      throw unavailable(err, service, what);
    }
  };
  const data = async (req: BarsRequest) => {
    const q: MarketBarsQuery = { symbol: req.symbol, interval: req.interval, limit: req.limit };
    const memory = await ask<MarketBarsQuery, BarView[]>(Subject.MARKET_BARS, q, 'market-data', 'bars');
    return completeFromStore(memory, deps.history, req);
  };
  const local = createAgentSteps(deps, cache);
  return {
    data: (req) => data(req),
    strategy: local.strategy,
    risk: async (req) => {
      const [accounts, limits] = await Promise.all([
        ask<RiskQuery, AccountExposure[]>(
          Subject.RISK_QUERY,
          { op: 'positions', account: req.account },
          'risk-manager',
          'positions',
        ),
        ask<RiskQuery, RiskLimits>(Subject.RISK_QUERY, { op: 'limits' }, 'risk-manager', 'limits'),
      ]);
      const mine = accounts.find((a) => a.account === req.account);
      return analyzeAccountRisk(
        { instruments: deps.instruments, lastPrice: (s) => prices.price(s), bars: data },
        {
          known: mine !== undefined,
          rows: mine?.positions ?? [],
          limits,
          grossExposure: mine?.grossExposure ?? 0,
          referencePrice: (s) => mine?.positions.find((p) => p.symbol === s)?.referencePrice ?? null,
        },
        req,
      );
    },
    execute: async (body) => {
      const symbol = (body as { symbol?: unknown } | null)?.symbol;
      if (typeof symbol !== 'string' || deps.instruments.find(symbol) === undefined) {
        const missing = symbol === undefined;
        return {
          status: 400,
          body: errorBody(
            missing ? ProtocolErrorCode.MISSING_FIELD : ProtocolErrorCode.UNKNOWN_SYMBOL,
            missing ? 'symbol is required' : `unknown symbol ${JSON.stringify(symbol)}`,
            'symbol',
          ),
        };
      }
      const q: OrderRouteRequest = { op: 'submit', body };
      const inexact = inexactWire(body);
      if (inexact !== undefined) q.inexact = inexact;
      try {
        return await bus.request<OrderRouteRequest, GatewayReply>(Subject.orderRoute(symbol), q, timeoutMs);
      } catch (err) {
        const e = unavailable(err, 'execution-engine', `order for ${symbol}`);
        return { status: 503, body: errorBody(e.code, e.message, e.field), headers: { 'retry-after': '1' } };
      }
    },
  };
}
