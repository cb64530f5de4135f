/**
 * HTTP side of the market-data service:
 *
 *   GET  /health                              liveness and headline counters
 *   GET  /stats                               MarketDataStats (+ outgoing/late counters)
 *   POST /stats/reset                         clears the latency histograms (benchmarks: measure after warm-up)
 *   GET  /symbols                             every instrument's state
 *   GET  /symbols/:symbol                     one symbol's state, decimals (404 unknown symbol)
 *   GET  /bars/:symbol?interval=1s|1m&limit=N OHLCV bars oldest first, in-progress bar last
 *
 * Bad query values answer 400 PRT_ERR_INVALID_FIELD naming the field.
 */
import { ProtocolErrorCode } from '@tickstorm/protocol';
import type { FastifyInstance } from 'fastify';
import { TradingErrorCode } from '../errors.ts';
import { sendError } from '../services/http-app.ts';
import type { MarketDataStats } from '../stats/stats-types.ts';
import { BAR_INTERVALS, type BarInterval, type MarketState } from './market-state.ts';

export const DEFAULT_BAR_LIMIT = 100;

export interface MarketDataRouteDeps {
  state: MarketState;
  stats: () => MarketDataStats;
  resetLatency: () => void;
  startedAt: number;
}

type Query = Record<string, string | string[] | undefined>;

export function registerMarketDataRoutes(app: FastifyInstance, deps: MarketDataRouteDeps): void {
  const { state } = deps;
  const instruments = state.instruments;

  app.get('/health', async () => {
    const s = deps.stats();
    return {
      status: 'ok',
      service: 'market-data',
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      connections: s.connections,
      ticksProcessed: s.ticksProcessed,
      ticksRejected: s.ticksRejected,
    };
  });

  app.get('/stats', async () => deps.stats());

  app.post('/stats/reset', async (_req, reply) => {
    deps.resetLatency();
    return reply.code(204).send();
  });

  app.get('/symbols', async () => ({
    symbols: instruments.list.map((inst) => state.snapshot(inst)),
  }));

  app.get<{ Params: { symbol: string } }>('/symbols/:symbol', async (req, reply) => {
    const inst = instruments.find(req.params.symbol);
    if (inst === undefined) {
      return sendError(
        reply,
        TradingErrorCode.NOT_FOUND,
        `unknown symbol "${cut(req.params.symbol)}"`,
        'symbol',
      );
    }
    return state.snapshot(inst);
  });

  app.get<{ Params: { symbol: string } }>('/bars/:symbol', async (req, reply) => {
    const inst = instruments.find(req.params.symbol);
    if (inst === undefined) {
      return sendError(
        reply,
        TradingErrorCode.NOT_FOUND,
        `unknown symbol "${cut(req.params.symbol)}"`,
        'symbol',
      );
    }
    const q = req.query as Query;
    const interval = q.interval ?? '1m';
    if (typeof interval !== 'string' || !(BAR_INTERVALS as readonly string[]).includes(interval)) {
      return sendError(
        reply,
        ProtocolErrorCode.INVALID_FIELD,
        `interval must be one of ${BAR_INTERVALS.join(', ')}`,
        'interval',
      );
    }
    const iv = interval as BarInterval;
    const cap = state.barCapacity(iv);
    const rawLimit = q.limit ?? String(DEFAULT_BAR_LIMIT);
    const limit = typeof rawLimit === 'string' && /^\d{1,9}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= cap)) {
      return sendError(reply, ProtocolErrorCode.INVALID_FIELD, `limit must be an integer 1..${cap}`, 'limit');
    }
    return { symbol: inst.symbol, interval: iv, bars: state.bars(inst.symbol, iv, limit) };
  });
}

function cut(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
