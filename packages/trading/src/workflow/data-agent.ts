/**
 * Data collection: the newest `limit` OHLCV bars of a symbol from market data's in-memory
 * ring, the older part completed from the metrics store when the ring holds fewer (1m bars
 * only: 1s bars are not persisted). The ring wins: stored bars are only taken strictly older
 * than its oldest bar. A store that cannot be read degrades the answer to the memory bars
 * (`storeError` says why); it never fails the request.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { BarHistory } from '../market-data/bar-history.ts';
import type { BarView } from '../market-data/bar-series.ts';
import type { MarketState } from '../market-data/market-state.ts';
import type { BarsRequest, BarsResult } from './agent-types.ts';

export function marketDataMissing(): TradingError {
  return new TradingError(
    TradingErrorCode.SERVICE_UNAVAILABLE,
    'market data does not run in this process: the agent endpoints need the market-data service ' +
      'in the same process as the api (tickstorm serve, all services), or a NATS bus (--bus)',
    'market-data',
  );
}

export async function collectBars(
  market: MarketState | undefined,
  history: BarHistory | undefined,
  req: BarsRequest,
): Promise<BarsResult> {
  if (market === undefined) throw marketDataMissing();
  return completeFromStore(market.bars(req.symbol, req.interval, req.limit), history, req);
}

/** The ring's bars (`memory`, oldest first), completed from the store when fewer than asked. */
export async function completeFromStore(
  memory: BarView[],
  history: BarHistory | undefined,
  req: BarsRequest,
): Promise<BarsResult> {
  const out: BarsResult = {
    symbol: req.symbol,
    interval: req.interval,
    bars: memory,
    source: { memory: memory.length, store: 0 },
  };
  const missing = req.limit - memory.length;
  if (missing <= 0 || req.interval !== '1m' || history === undefined) return out;
  try {
    const oldest = memory.length > 0 ? memory[0].time : Number.POSITIVE_INFINITY;
    const stored = await history.before(req.symbol, oldest, missing);
    if (stored.length > 0) {
      out.bars = stored.concat(memory);
      out.source.store = stored.length;
    }
  } catch (err) {
    out.storeError = (err as Error).message;
  }
  return out;
}
