/**
 * Shapes shared by the agent endpoints (docs/agent-endpoints.md): the requests after
 * validation, the results, and `AgentSteps`, the four agents as injectable functions (the
 * endpoints and the workflow both call them; tests replace them, e.g. with a step that never
 * resolves). Every step gets an AbortSignal that fires when the workflow gives up on it.
 */
import type { BarView } from '../market-data/bar-series.ts';
import type { BarInterval } from '../market-data/market-state.ts';
import type { GatewayReply } from '../orders/order-gateway.ts';

export interface BarsRequest {
  symbol: string;
  interval: BarInterval;
  limit: number;
}

export interface BarsResult {
  symbol: string;
  interval: BarInterval;
  /** Oldest first; the last one is the bar in progress. */
  bars: BarView[];
  /** Where the bars came from: the in-memory ring and the metrics store (older part). */
  source: { memory: number; store: number };
  /** Set when the store could not be read (the memory bars are still answered). */
  storeError?: string;
}

export type StrategyName = 'sma_crossover' | 'rsi' | 'macd';
export const STRATEGY_NAMES: readonly StrategyName[] = ['sma_crossover', 'rsi', 'macd'];

export type Signal = 'buy' | 'sell' | 'hold';

/** Parameters after defaults (every key present). */
export type StrategyParams = Readonly<Record<string, number>>;

export interface StrategyRequest {
  symbol: string;
  strategy: StrategyName;
  params: StrategyParams;
  interval: BarInterval;
}

export interface StrategyResult {
  symbol: string;
  strategy: StrategyName;
  interval: BarInterval;
  signal: Signal;
  /** Why the signal is `hold` without a computation, e.g. `insufficient_data`. */
  reason?: string;
  inputs: Record<string, unknown>;
  /** Start of the newest bar used (epoch s), null without bars. */
  lastBarTime: number | null;
  /** Served from the performance-mode cache. */
  cached: boolean;
}

export interface RiskRequest {
  account: string;
  /** Symbols to report (default: every symbol the account holds or has open orders in). */
  symbols?: string[];
  interval: BarInterval;
  /** Bars of history for VaR (returns = lookback - 1 at most). */
  lookback: number;
  /** Workflow: also the pre-trade verdict of this order body (no rate token taken). */
  order?: Record<string, unknown>;
  /** Workflow: an account not yet registered is reported empty instead of refused. */
  allowUnknownAccount?: boolean;
}

export interface PositionRisk {
  symbol: string;
  position: number;
  openBuy: number;
  openSell: number;
  lastPrice: number | null;
  priceSource: 'market' | 'reference' | null;
  /** position x lastPrice (signed). */
  notional: number;
  maxPosition: number;
  /**
   * Worst side of (position + open same-side quantity) / maxPosition, as the pre-trade check
   * sees it; null when the ratio is not a finite number (a limit so tiny it overflows).
   */
  positionUsage: number | null;
}

export interface VarResult {
  method: 'historical_simulation';
  /** The holding period = the bar interval. */
  horizon: BarInterval;
  horizonSeconds: number;
  /** Portfolio P&L observations (bar-close returns applied to today's positions). */
  observations: number;
  /** Losses as positive amounts in the quote currency; null when there are too few observations. */
  var95: number | null;
  var99: number | null;
  /** Mean loss beyond VaR95 (expected shortfall). */
  es95: number | null;
  reason?: string;
}

export interface RiskReport {
  account: string;
  accountKnown: boolean;
  positions: PositionRisk[];
  exposure: { gross: number; net: number; long: number; short: number };
  limits: {
    maxGrossExposure: number;
    /** The risk engine's gross exposure (positions and open orders at reference prices). */
    engineGrossExposure: number;
    /** engineGrossExposure / maxGrossExposure; null when not finite (see positionUsage). */
    grossExposureUsage: number | null;
    /** The largest positionUsage (0 without positions); null when one of them is null. */
    maxPositionUsage: number | null;
  };
  var: VarResult;
  preTrade?: { allowed: boolean; code: string; message: string };
  timestamp: number;
}

export interface AgentSteps {
  data(req: BarsRequest, signal: AbortSignal): Promise<BarsResult>;
  strategy(req: StrategyRequest, bars: BarsResult, signal: AbortSignal): Promise<StrategyResult>;
  risk(req: RiskRequest, signal: AbortSignal): Promise<RiskReport>;
  /** An order through the execution engine: exactly POST /orders (`OrderGateway.submit`). */
  execute(body: unknown, signal: AbortSignal): Promise<GatewayReply>;
}
