/**
 * Historical-simulation VaR of today's positions over bar-close returns.
 *
 * For every symbol, the simple return of each bar's close over the previous bar's close is
 * attributed to the later bar's start time; a portfolio P&L observation at a time is
 * sum(position x lastPrice x return) over the symbols with a return at that time (a symbol
 * without a bar there did not trade: no price change). The horizon is one bar interval. VaR at
 * confidence q is the loss at the (1 - q) empirical quantile of the P&L (the ceil(n(1-q))-th
 * worst observation), reported as a positive amount (0 when even that observation is a gain);
 * ES95 is the mean loss of the observations at or beyond VaR95. Fewer than `minObservations`
 * observations give nulls with reason "insufficient_data".
 */
import type { BarInterval } from '../market-data/market-state.ts';
import type { VarResult } from './agent-types.ts';

export const MIN_VAR_OBSERVATIONS = 10;

export interface VarLeg {
  /** Signed notional: position x last price. */
  notional: number;
  /** Bars oldest first: start time and close. */
  bars: readonly { time: number; close: number }[];
}

export function historicalVar(
  legs: readonly VarLeg[],
  interval: BarInterval,
  minObservations = MIN_VAR_OBSERVATIONS,
): VarResult {
  const pnl = new Map<number, number>();
  for (const leg of legs) {
    const b = leg.bars;
    for (let i = 1; i < b.length; i++) {
      const prev = b[i - 1].close;
      if (!(prev > 0)) continue;
      const r = b[i].close / prev - 1;
      pnl.set(b[i].time, (pnl.get(b[i].time) ?? 0) + leg.notional * r);
    }
  }
  const obs = Float64Array.from(pnl.values()).sort();
  const n = obs.length;
  const base = {
    method: 'historical_simulation' as const,
    horizon: interval,
    horizonSeconds: interval === '1s' ? 1 : 60,
    observations: n,
  };
  if (n < minObservations) {
    return { ...base, var95: null, var99: null, es95: null, reason: 'insufficient_data' };
  }
  const lossAt = (q: number) => {
    // 1 - 0.95 is 0.05000000000000004 in doubles: without the epsilon 20 x that would ceil to 2.
    const k = Math.max(0, Math.ceil(n * (1 - q) - 1e-9) - 1);
    return { k, loss: Math.max(0, -obs[k]) };
  };
  const v95 = lossAt(0.95);
  const v99 = lossAt(0.99);
  let tail = 0;
  for (let i = 0; i <= v95.k; i++) tail += obs[i];
  const es = Math.max(0, -tail / (v95.k + 1));
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { ...base, var95: r(v95.loss), var99: r(v99.loss), es95: r(es) };
}
