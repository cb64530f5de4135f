/**
 * The service contract: the four services' names, default ports, process titles and paths.
 * The trading system listens on these; the load lab's Tickstorm scenarios aim at them; the
 * CLI starts and finds them. This file is the only place they are written.
 */

export type ServiceName = 'market-data' | 'execution-engine' | 'risk-manager' | 'api';

export const SERVICE_NAMES: readonly ServiceName[] = [
  'market-data',
  'execution-engine',
  'risk-manager',
  'api',
];

/** Where each service listens unless told otherwise. */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  'market-data': 5001,
  'execution-engine': 5002,
  'risk-manager': 5003,
  api: 8000,
};

/** Process titles, so `ps aux | grep market-data` finds each service run on its own. */
export const PROCESS_TITLES: Readonly<Record<ServiceName, string>> = {
  'market-data': 'market-data',
  'execution-engine': 'execution-engine',
  'risk-manager': 'risk-manager',
  api: 'tickstorm-api',
};

/** Environment variable of each port: MARKET_DATA_PORT, EXECUTION_ENGINE_PORT, RISK_MANAGER_PORT, API_PORT. */
export function portEnvName(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_PORT`;
}

/** The command-line flag of each port: --market-data-port, ... */
export function portFlagName(service: ServiceName): string {
  return `--${service}-port`;
}

/** Paths every service answers, and those of one service only. */
export const PATHS = {
  /** Every service: liveness and the service's own state. */
  health: '/health',
  marketData: {
    /** WebSocket tick ingest. */
    ingest: '/stream',
    stats: '/stats',
    symbol: '/symbols/:symbol',
    bars: '/bars/:symbol',
  },
  executionEngine: {
    orders: '/orders',
    order: '/orders/:id',
    book: '/book/:symbol',
    stats: '/stats',
  },
  riskManager: {
    check: '/check',
    limits: '/limits',
    positions: '/positions',
  },
  api: {
    /** WebSocket market updates for subscribers. */
    wsMetrics: '/ws/metrics',
    /** POST: batch ingest into the metrics store. */
    ingestMetrics: '/api/metrics',
    marketData: '/api/metrics/market-data',
    orders: '/api/metrics/orders',
    system: '/api/metrics/system',
    database: '/api/metrics/database',
    websocket: '/api/metrics/websocket',
    query: '/api/metrics/query',
    prometheus: '/metrics',
  },
} as const;
