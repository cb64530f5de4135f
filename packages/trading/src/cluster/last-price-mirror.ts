/**
 * The last market price of every symbol, from Topic.MARKET_UPDATE: what the api's risk
 * analysis values positions at when market data runs in another process (the same figure
 * `MarketState.lastPrice` holds there). One number per symbol; no bars (those are asked
 * of market data: ./market-bars.ts).
 */
import type { Bus } from '../bus/bus.ts';
import { type MarketUpdate, Topic } from '../bus/topics.ts';

export class LastPriceMirror {
  private readonly last = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(bus: Bus) {
    this.unsubscribe = bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, (u) => {
      if (u.ticks > 0) this.last.set(u.symbol, u.last);
    });
  }

  price(symbol: string): number | null {
    return this.last.get(symbol) ?? null;
  }

  close(): void {
    this.unsubscribe();
  }
}
