/**
 * Market data's side of Subject.MARKET_BARS: the bars of its in-memory ring (the same as
 * `GET /bars/:symbol`), for an api in another process (./remote-agent-steps.ts). Bars are
 * read on request instead of mirrored: the ring of the market-data process is the one
 * source, exact, in-progress bar included, and the api keeps no second copy.
 */
import type { Bus } from '../bus/bus.ts';
import type { BarView } from '../market-data/bar-series.ts';
import type { MarketState } from '../market-data/market-state.ts';
import { type MarketBarsQuery, Queue, Subject } from './subjects.ts';

export function serveMarketBars(bus: Bus, state: MarketState): () => void {
  return bus.serve<MarketBarsQuery, BarView[]>(
    Subject.MARKET_BARS,
    (q) => {
      const interval = q?.interval === '1s' ? '1s' : '1m';
      const limit = Math.max(1, Math.min(Math.floor(Number(q?.limit) || 1), state.barCapacity(interval)));
      return state.bars(String(q?.symbol), interval, limit);
    },
    Queue.MARKET_DATA,
  );
}
