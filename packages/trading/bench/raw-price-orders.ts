/**
 * An order client that sends prices as a naive script does: `100 + uniform(-10, 10)` with
 * all its decimals (e.g. 97.12345678901234), not rounded to the 0.01 tick. Orders go out
 * in one burst of `rate` concurrent requests per second (one keep-alive pool of up to 100
 * connections, like an asyncio HTTP client's default pool), the next burst one second
 * after the previous started, or right after it finished when it took longer.
 * Mix: 5 symbols, side 50/50, 60% limit at 100 +- 10, 30% market, 10% stop at 100 +- 5,
 * quantity 1..100. Every answer that is not 2xx counts as an error, by status and code.
 *
 *   node --import tsx packages/trading/bench/raw-price-orders.bench.ts [--rates 100,1000] [--duration 10]
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from '@tickstorm/protocol';
import { Pool } from 'undici';

export const RAW_PRICE_SYMBOLS = ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'] as const;

export interface RawPriceOrder {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market' | 'stop';
  quantity: number;
  price: number | null;
}

/** One order of the mix, prices with every decimal the generator gives. */
export function rawPriceOrder(rnd: () => number): RawPriceOrder {
  const symbol = RAW_PRICE_SYMBOLS[Math.floor(rnd() * RAW_PRICE_SYMBOLS.length)];
  const side = rnd() < 0.5 ? 'buy' : 'sell';
  const r = rnd();
  let type: RawPriceOrder['type'] = 'market';
  let price: number | null = null;
  if (r < 0.6) {
    type = 'limit';
    price = 100 + (rnd() * 20 - 10);
  } else if (r >= 0.9) {
    type = 'stop';
    price = 100 + (rnd() * 10 - 5);
  }
  return { symbol, side, type, quantity: 1 + Math.floor(rnd() * 100), price };
}

export interface RawPriceRun {
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  errors: number;
  errorRate: number;
  /** Non-2xx answers by `status code` (e.g. "400 PRT_ERR_PRICE_OFF_TICK"). */
  errorsBy: Record<string, number>;
  /** Accepted orders whose answer carried `priceAsked` (rounded to the grid). */
  rounded: number;
  p50Ms: number;
  p95Ms: number;
}

function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

/** Sends `rate` orders per second for `seconds` seconds to `baseUrl` (the execution engine). */
export async function runRawPriceOrders(
  baseUrl: string,
  rate: number,
  seconds: number,
  seed = 7,
): Promise<RawPriceRun> {
  const rnd = seededRandom(seed);
  const pool = new Pool(baseUrl, { connections: 100, pipelining: 1 });
  const latencies: number[] = [];
  const errorsBy: Record<string, number> = {};
  let ok = 0;
  let rounded = 0;
  const one = async (): Promise<void> => {
    const body = JSON.stringify(rawPriceOrder(rnd));
    const t0 = performance.now();
    try {
      const r = await pool.request({
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await r.body.text();
      latencies.push(performance.now() - t0);
      if (r.statusCode >= 200 && r.statusCode < 300) {
        ok++;
        if (text.includes('"priceAsked"')) rounded++;
      } else {
        let code = '';
        try {
          code = JSON.parse(text)?.error?.code ?? '';
        } catch {}
        const k = `${r.statusCode} ${code}`.trim();
        errorsBy[k] = (errorsBy[k] ?? 0) + 1;
      }
    } catch (err) {
      const k = `network ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      errorsBy[k] = (errorsBy[k] ?? 0) + 1;
    }
  };
  try {
    for (let s = 0; s < seconds; s++) {
      const started = performance.now();
      await Promise.all(Array.from({ length: rate }, one));
      const left = 1000 - (performance.now() - started);
      if (left > 0 && s < seconds - 1) await new Promise((r) => setTimeout(r, left));
    }
  } finally {
    await pool.close();
  }
  latencies.sort((a, b) => a - b);
  const sent = rate * seconds;
  const errors = sent - ok;
  return {
    rate,
    seconds,
    sent,
    ok,
    errors,
    errorRate: errors / sent,
    errorsBy,
    rounded,
    p50Ms: pct(latencies, 0.5),
    p95Ms: pct(latencies, 0.95),
  };
}
