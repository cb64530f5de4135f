/**
 * Performance mode's analysis cache: a strategy result per (symbol, interval, strategy,
 * parameters, bars used, start of the newest bar). Identical requests within one bar reuse
 * the result computed for the first of them (served with `cached: true`): the answer may lag
 * the bar in progress by at most one interval. Bounded: when full it is cleared at once
 * (entries of past bars are useless anyway).
 */
import type { StrategyRequest, StrategyResult } from './agent-types.ts';
import { paramsKey } from './strategy-params.ts';

export class AnalysisCache {
  private readonly map = new Map<string, StrategyResult>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 10_000) {}

  key(req: StrategyRequest, bars: number, lastBarTime: number | null): string {
    return `${req.symbol}|${req.interval}|${req.strategy}|${paramsKey(req.params)}|${bars}|${lastBarTime}`;
  }

  get(key: string): StrategyResult | undefined {
    const r = this.map.get(key);
    if (r === undefined) this.misses++;
    else this.hits++;
    return r === undefined ? undefined : { ...r, cached: true };
  }

  set(key: string, r: StrategyResult): void {
    if (this.map.size >= this.maxEntries) this.map.clear();
    this.map.set(key, r);
  }

  stats(): { entries: number; hits: number; misses: number } {
    return { entries: this.map.size, hits: this.hits, misses: this.misses };
  }
}
