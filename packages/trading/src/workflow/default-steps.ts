/**
 * The real agents behind AgentSteps, over what runs in this process: market data's bar rings
 * (+ the metrics store's stored bars), trading-signals indicators, the trading core's risk
 * engine and order gateway. A missing service is a coded 503 TRD_ERR_SERVICE_UNAVAILABLE
 * naming it (`tickstorm serve api` alone runs neither market data nor the trading core; the
 * agents do not call peers over HTTP: every answer would need several round trips, and the
 * one-process deployment is the one the agent workload measures).
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { BarHistory } from '../market-data/bar-history.ts';
import type { MarketState } from '../market-data/market-state.ts';
import type { OrderGateway } from '../orders/order-gateway.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { AgentSteps, BarsRequest, BarsResult } from './agent-types.ts';
import type { AnalysisCache } from './analysis-cache.ts';
import { collectBars } from './data-agent.ts';
import { analyzeRisk, tradingCoreMissing } from './risk-agent.ts';

/**
 * The strategy agent, loaded on the first strategy request: trading-signals is 350 modules,
 * a third of a second to load, which a service that serves no strategy request (or a
 * process that only places orders) does not pay.
 */
let strategyAgent: Promise<typeof import('./strategy-agent.ts')> | undefined;
const loadStrategyAgent = () => (strategyAgent ??= import('./strategy-agent.ts'));

export interface AgentDeps {
  instruments: InstrumentTable;
  /** Market data's state (absent when market data runs in another process). */
  market?: MarketState;
  /** The trading core's risk engine and gateway (absent without execution engine / risk manager). */
  core?: { risk: RiskEngine; gateway: OrderGateway };
  /** Stored 1m bars (absent without a metrics store). */
  history?: BarHistory;
  /** Where risk analysis reads bars for VaR (default: `market` + `history`; the api apart: over the bus). */
  bars?: (req: BarsRequest) => Promise<BarsResult>;
  /** Last prices when market data runs in another process. */
  lastPrice?: (symbol: string) => number | null;
}

export function createAgentSteps(d: AgentDeps, cache?: AnalysisCache): AgentSteps {
  const bars = d.bars ?? ((req: BarsRequest) => collectBars(d.market, d.history, req));
  return {
    data: async (req) => bars(req),
    strategy: async (req, data) => {
      const { analyzeStrategy } = await loadStrategyAgent();
      if (cache === undefined) return analyzeStrategy(req, data);
      const last = data.bars.length > 0 ? data.bars[data.bars.length - 1].time : null;
      const key = cache.key(req, data.bars.length, last);
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const r = analyzeStrategy(req, data);
      cache.set(key, r);
      return r;
    },
    risk: async (req) => {
      if (d.core === undefined) throw tradingCoreMissing();
      return analyzeRisk(
        { instruments: d.instruments, market: d.market, lastPrice: d.lastPrice, ...d.core, bars },
        req,
      );
    },
    execute: async (body) => {
      if (d.core === undefined) throw tradingCoreMissing();
      return d.core.gateway.submit(body);
    },
  };
}
