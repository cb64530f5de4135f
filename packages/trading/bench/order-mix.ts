/**
 * The Scenario 2 order mix, from a seeded generator: symbols AAPL
 * GOOGL MSFT AMZN TSLA, side 50/50, 60% limit at 100 +- 10, 30% market (price null), 10%
 * stop at 100 +- 5, quantity 1..100. Unlike a Python client, prices are rounded to the 0.01 tick:
 * the engine answers 400 PRT_ERR_PRICE_OFF_TICK for 97.12345678, by design.
 */
import { prng } from './bench-util.ts';

export const ORDER_STRESS_SYMBOLS = ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'] as const;

export interface StressOrder {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market' | 'stop';
  quantity: number;
  price: number | null;
}

const tick = (x: number): number => Math.round(x * 100) / 100;

/** `n` orders of the mix, the same for the same seed. */
export function stressOrders(n: number, seed = 42): StressOrder[] {
  const rnd = prng(seed);
  const out: StressOrder[] = [];
  for (let i = 0; i < n; i++) {
    const symbol = ORDER_STRESS_SYMBOLS[Math.floor(rnd() * ORDER_STRESS_SYMBOLS.length)];
    const side = rnd() < 0.5 ? 'buy' : 'sell';
    const r = rnd();
    let type: StressOrder['type'];
    let price: number | null;
    if (r < 0.6) {
      type = 'limit';
      price = tick(100 + (rnd() * 20 - 10));
    } else if (r < 0.9) {
      type = 'market';
      price = null;
    } else {
      type = 'stop';
      price = tick(100 + (rnd() * 10 - 5));
    }
    out.push({ symbol, side, type, quantity: 1 + Math.floor(rnd() * 100), price });
  }
  return out;
}

/** The same orders as autocannon requests (POST /orders, JSON). */
export function stressRequests(n: number, seed = 42) {
  return stressOrders(n, seed).map((o) => ({
    method: 'POST',
    path: '/orders',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(o),
  }));
}
