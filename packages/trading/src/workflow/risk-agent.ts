/**
 * Risk analysis of one account from the trading core in this process: positions per symbol
 * valued at the last market price (the risk engine's reference price when market data has
 * none), gross/net/long/short exposure, limit usage as fractions (position vs maxPosition the
 * way the pre-trade check counts it, the engine's gross exposure vs maxGrossExposure), and a
 * historical VaR (./value-at-risk.ts) over the bars of the reported symbols.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { MarketState } from '../market-data/market-state.ts';
import type { OrderGateway } from '../orders/order-gateway.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import { symbolLimits } from '../risk/risk-limits.ts';
import type { PositionRow } from '../risk/risk-positions.ts';
import type {
  BarsRequest,
  BarsResult,
  PositionRisk,
  RiskReport,
  RiskRequest,
  VarResult,
} from './agent-types.ts';
import { historicalVar, type VarLeg } from './value-at-risk.ts';

export interface RiskAgentDeps {
  instruments: InstrumentTable;
  market?: MarketState;
  /** Last prices when market data runs in another process (cluster/last-price-mirror.ts). */
  lastPrice?: (symbol: string) => number | null;
  risk: RiskEngine;
  gateway: OrderGateway;
  bars: (req: BarsRequest) => Promise<BarsResult>;
}

export function tradingCoreMissing(): TradingError {
  return new TradingError(
    TradingErrorCode.SERVICE_UNAVAILABLE,
    'the trading core does not run in this process: risk analysis and execution need the ' +
      'execution-engine (or risk-manager) service in the same process as the api, or a NATS bus (--bus)',
    'execution-engine',
  );
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * used / limit as a fraction, or null when that is not a finite number. Limit validation
 * refuses 0 (and negatives), but accepts tiny positive limits (5e-324 is > 0) for which the
 * ratio overflows to Infinity; JSON has no Infinity, so the answer says null ("cannot be
 * expressed: the limit is far below what is used") instead of a silent null from
 * JSON.stringify. `maxPositionUsage` is null when any position's usage is.
 */
export function usageOf(used: number, limit: number): number | null {
  if (!(limit > 0)) return null;
  const u = used / limit;
  return Number.isFinite(u) ? u : null;
}

/**
 * What risk analysis reads of the risk manager for one account: from the trading core in
 * this process (`localRiskView`), or over the bus (cluster/remote-agent-steps.ts).
 */
export interface AccountRiskView {
  known: boolean;
  rows: readonly Pick<PositionRow, 'symbol' | 'position' | 'openBuy' | 'openSell'>[];
  limits: RiskLimits;
  /** The risk engine's gross exposure of the account (positions and open orders at reference prices). */
  grossExposure: number;
  /** The risk engine's reference price of `symbol` (decimal), null when it has none. */
  referencePrice: (symbol: string) => number | null;
  /** The pre-trade verdict of an order body (absent: not available, e.g. over the bus). */
  preTrade?: (order: Record<string, unknown>) => { allowed: boolean; code: string; message: string };
}

export interface RiskAnalysisDeps {
  instruments: InstrumentTable;
  /** The last market price of `symbol`, null when market data has none. */
  lastPrice: (symbol: string) => number | null;
  bars: (req: BarsRequest) => Promise<BarsResult>;
}

export function localRiskView(risk: RiskEngine, gateway: OrderGateway, account: string): AccountRiskView {
  const accountIndex = risk.accounts.indexOf(account);
  return {
    known: accountIndex >= 0,
    rows: accountIndex < 0 ? [] : (risk.positions(account)[0]?.positions ?? []),
    limits: risk.getLimits(),
    grossExposure: accountIndex < 0 ? 0 : risk.grossExposure(accountIndex),
    referencePrice: (symbol) => {
      const inst = risk.instruments.find(symbol);
      if (inst === undefined || !(risk.refTicks[inst.index] > 0)) return null;
      return inst.price.fromSteps(risk.refTicks[inst.index]);
    },
    preTrade: (order) => gateway.check(order).body as { allowed: boolean; code: string; message: string },
  };
}

export async function analyzeRisk(d: RiskAgentDeps, req: RiskRequest): Promise<RiskReport> {
  const market = d.market;
  return analyzeAccountRisk(
    {
      instruments: d.instruments,
      lastPrice:
        market === undefined && d.lastPrice !== undefined
          ? d.lastPrice
          : (symbol) => {
              const inst = d.instruments.find(symbol);
              return market !== undefined && inst !== undefined && market.tickCount[inst.index] > 0
                ? market.lastPrice[inst.index]
                : null;
            },
      bars: d.bars,
    },
    localRiskView(d.risk, d.gateway, req.account),
    req,
  );
}

export async function analyzeAccountRisk(
  d: RiskAnalysisDeps,
  view: AccountRiskView,
  req: RiskRequest,
): Promise<RiskReport> {
  if (!view.known && req.allowUnknownAccount !== true) {
    throw new TradingError(TradingErrorCode.UNKNOWN_ACCOUNT, `unknown account ${req.account}`, 'account');
  }
  const rows = view.rows;
  const bySymbol = new Map(rows.map((r) => [r.symbol, r]));
  const symbols = req.symbols ?? rows.map((r) => r.symbol);
  const limits = view.limits;
  const positions: PositionRisk[] = [];
  const legs: VarLeg[] = [];
  let gross = 0;
  let net = 0;
  let long = 0;
  let short = 0;
  for (const symbol of symbols) {
    d.instruments.get(symbol, 'symbols');
    const row = bySymbol.get(symbol);
    const position = row?.position ?? 0;
    const openBuy = row?.openBuy ?? 0;
    const openSell = row?.openSell ?? 0;
    let lastPrice: number | null = d.lastPrice(symbol);
    let priceSource: PositionRisk['priceSource'] = lastPrice === null ? null : 'market';
    if (lastPrice === null) {
      lastPrice = view.referencePrice(symbol);
      if (lastPrice !== null) priceSource = 'reference';
    }
    const notional = position * (lastPrice ?? 0);
    const maxPosition = symbolLimits(limits, symbol).maxPosition;
    const worst = Math.max(position + openBuy, openSell - position, 0);
    positions.push({
      symbol,
      position,
      openBuy,
      openSell,
      lastPrice,
      priceSource,
      notional: round(notional),
      maxPosition,
      positionUsage: usageOf(worst, maxPosition),
    });
    gross += Math.abs(notional);
    net += notional;
    if (notional > 0) long += notional;
    else short -= notional;
    if (notional !== 0) {
      const data = await d.bars({ symbol, interval: req.interval, limit: req.lookback });
      legs.push({ notional, bars: data.bars });
    }
  }
  const engineGross = view.known ? view.grossExposure : 0;
  const report: RiskReport = {
    account: req.account,
    accountKnown: view.known,
    positions,
    exposure: { gross: round(gross), net: round(net), long: round(long), short: round(short) },
    limits: {
      maxGrossExposure: limits.maxGrossExposure,
      engineGrossExposure: round(engineGross),
      grossExposureUsage: usageOf(engineGross, limits.maxGrossExposure),
      maxPositionUsage: positions.reduce<number | null>(
        (m, p) => (m === null || p.positionUsage === null ? null : Math.max(m, p.positionUsage)),
        0,
      ),
    },
    var: varOf(req, legs),
    timestamp: Date.now() / 1000,
  };
  if (req.order !== undefined && view.preTrade !== undefined) report.preTrade = view.preTrade(req.order);
  return report;
}

function varOf(req: RiskRequest, legs: VarLeg[]): VarResult {
  if (legs.length > 0) return historicalVar(legs, req.interval);
  // No position: the P&L is zero whatever the prices.
  return {
    method: 'historical_simulation',
    horizon: req.interval,
    horizonSeconds: req.interval === '1s' ? 1 : 60,
    observations: 0,
    var95: 0,
    var99: 0,
    es95: 0,
    reason: 'no_positions',
  };
}
