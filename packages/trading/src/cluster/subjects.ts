/**
 * The bus subjects the services use between processes (the in-process bus carries the same
 * ones). Topics (publish/subscribe, ../bus/topics.ts) and request subjects (request/serve,
 * ../bus/bus.ts) are listed here, in one place, with who sends and who answers.
 */
import type { GatewayReply } from '../orders/order-gateway.ts';

export const Subject = {
  /** pub, every process every 500 ms: who it is, what it runs, its stats (cluster view). */
  HEARTBEAT: 'sys.heartbeat',
  /** pub: metric rows from processes without the (DuckDB) store, for the one writer (the api's process). */
  METRIC_ROWS: 'metrics.rows',
  /** req, queue RISK: an execution engine's pre-trade check at the central risk manager. */
  RISK_CHECK: 'risk.check',
  /** pub: engines' book events (accepts, fills, cancels, with account names) for the risk manager. */
  RISK_EVENTS: 'risk.events',
  /**
   * pub, the risk manager: "send me your state" (RiskResync); every engine answers with a
   * `state` event on RISK_EVENTS, in order with its other events (./risk-wire.ts).
   */
  RISK_RESYNC: 'risk.resync',
  /** req, queue RISK: positions and limits (RiskQuery) for the api and the agent endpoints. */
  RISK_QUERY: 'risk.query',
  /** req, queue MARKET_DATA: a symbol's bars from market data's ring (MarketBarsQuery -> BarView[]), for the api's agent endpoints. */
  MARKET_BARS: 'md.bars',
  /**
   * req, queue ENGINES: an order request (OrderRouteRequest) for the owner of `symbol`; the
   * owner serves one per symbol it owns (`--symbols`), any engine asks (cluster/order-routing.ts).
   */
  orderRoute: (symbol: string) => `orders.route.${symbol}`,
} as const;

/** The queue groups: servers in one group share a subject's requests. */
export const Queue = {
  RISK: 'risk',
  ENGINES: 'engines',
  API: 'api',
  MARKET_DATA: 'market-data',
} as const;

/** Subject.MARKET_BARS's request; the answer is the newest `limit` bars, oldest first (bar in progress last). */
export interface MarketBarsQuery {
  symbol: string;
  interval: '1s' | '1m';
  limit: number;
}

/** Who asked (auth/request-auth's principal), carried with a routed request; absent = unrestricted. */
export interface ScopeWire {
  role: string;
  accounts: string[];
}

/**
 * Subject.orderRoute(symbol)'s request; the answer is the owner's GatewayReply, relayed
 * verbatim. 'list' is GET /orders on the owner's partition; 'halt'/'resume' the kill switch
 * on it; 'owner' answers OwnerInfo (which partition serves the symbol).
 */
export type OrderRouteRequest =
  /** `inexact`: the body's number literals a double does not hold (http/exact-numbers.ts inexactWire). */
  | { op: 'submit'; body: unknown; scope?: ScopeWire; inexact?: Record<string, string> }
  | { op: 'get' | 'cancel'; id: string; scope?: ScopeWire }
  | { op: 'book'; symbol: string; depth: number }
  | { op: 'list'; query: Record<string, string>; scope?: ScopeWire }
  | { op: 'halt' | 'resume'; account: string }
  | { op: 'owner' };

/** The body of the 'owner' op's answer: the partition's tag (its first symbol) and symbols. */
export interface OwnerInfo {
  tag: string;
  symbols: string[];
}

export type OrderRouteReply = GatewayReply;

/** Subject.RISK_QUERY's request: 'positions' answers AccountExposure[], 'limits' RiskLimits. */
export type RiskQuery = { op: 'positions'; account?: string } | { op: 'limits' };
