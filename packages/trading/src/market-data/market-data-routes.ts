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
 * Bad query values answer 400 TRD_ERR_INVALID_QUERY naming the parameter, as on every route.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Bus } from '../bus/bus.ts';
import { busHealth } from '../bus/bus-health.ts';
import { TradingErrorCode } from '../errors.ts';
import { sendError } from '../http/http-app.ts';
import { parseCount, refuseArguments } from '../http/request-fields.ts';
import { takesQuery } from '../http/route-query.ts';
import type { MarketDataStats } from '../stats/stats-types.ts';
import { DEFAULT_BAR_LIMIT, parseInterval } from './bar-fields.ts';
import type { MarketState } from './market-state.ts';

export interface MarketDataRouteDeps {
  state: MarketState;
  /** The bus this service publishes on (its state shows on /health). */
  bus?: Bus;
  stats: () => MarketDataStats;
  resetLatency: () => void;
  startedAt: number;
}

type Query = Record<string, string | string[] | undefined>;

export function registerMarketDataRoutes(app: FastifyInstance, deps: MarketDataRouteDeps): void {
  const { state } = deps;
  const instruments = state.instruments;

  app.get('/health', async (_req, reply) => {
    const s = deps.stats();
    // A NATS bus that is away: updates do not reach the engines, the api or WebSocket clients.
    const b = busHealth(deps.bus);
    reply.code(b.away ? 503 : 200);
    return {
      status: b.away ? 'degraded' : 'ok',
      ...b.detail,
      service: 'market-data',
      bus: b.bus,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      connections: s.connections,
      ticksProcessed: s.ticksProcessed,
      ticksRejected: s.ticksRejected,
    };
  });

  app.get('/stats', async () => deps.stats());

  app.post('/stats/reset', async (req, reply) => {
    refuseArguments(req.query, req.body, 'POST /stats/reset');
    deps.resetLatency();
    return reply.code(204).send();
  });

  app.get('/symbols', async () => ({
    symbols: instruments.list.map((inst) => state.snapshot(inst)),
  }));

  app.get<{ Params: { symbol: string } }>('/symbols/:symbol', async (req, reply) => {
    const inst = instruments.find(req.params.symbol);
    if (inst === undefined) return unknownSymbol(reply, instruments, req.params.symbol);
    return state.snapshot(inst);
  });

  // a misspelt parameter (`?intervl=1s`) is refused, not answered with the default interval
  app.get<{ Params: { symbol: string } }>(
    '/bars/:symbol',
    takesQuery('interval', 'limit'),
    async (req, reply) => {
      const inst = instruments.find(req.params.symbol);
      if (inst === undefined) return unknownSymbol(reply, instruments, req.params.symbol);
      const q = req.query as Query;
      const iv = parseInterval(q.interval, undefined, 'query');
      const limit = parseCount(q.limit, 'limit', DEFAULT_BAR_LIMIT, 1, state.barCapacity(iv), 'query');
      return { symbol: inst.symbol, interval: iv, bars: state.bars(inst.symbol, iv, limit) };
    },
  );
}

function unknownSymbol(reply: FastifyReply, instruments: InstrumentTable, symbol: string) {
  return sendError(reply, TradingErrorCode.NOT_FOUND, instruments.unknownSymbolMessage(symbol), 'symbol');
}
