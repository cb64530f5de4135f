/**
 * The raw-decimal order client (./raw-price-orders.ts) against the REAL system
 * (`tickstorm serve` in a child process): error rate and latency at each rate.
 *
 *   node --import tsx packages/trading/bench/raw-price-orders.bench.ts [--rates 100,1000]
 *     [--duration 10] [--strict-prices]
 */
import { isMain, parseFlags } from './bench-util.ts';
import { runRawPriceOrders } from './raw-price-orders.ts';
import { serveChild } from './serve-child.ts';

async function main(): Promise<void> {
  const values = parseFlags(import.meta.url, {
    rates: { type: 'numbers', default: [100, 1000], help: 'orders/s, one run each' },
    duration: { type: 'number', default: 10, help: 'seconds per rate' },
    'strict-prices': { type: 'boolean', help: 'serve with --strict-prices' },
  });
  const sys = await serveChild([], process.env, values['strict-prices'] ? ['--strict-prices'] : []);
  try {
    for (const rate of values.rates) {
      const r = await runRawPriceOrders(sys.urls['execution-engine'], rate, values.duration);
      console.log(
        `${String(rate).padStart(5)} orders/s x ${r.seconds} s: ${r.sent} sent, ${r.errors} errors ` +
          `(${(r.errorRate * 100).toFixed(2)}%), ${r.rounded} rounded, p50 ${r.p50Ms.toFixed(1)} ms, ` +
          `p95 ${r.p95Ms.toFixed(1)} ms ${JSON.stringify(r.errorsBy)}`,
      );
    }
  } finally {
    await sys.stop();
  }
}

if (isMain(import.meta.url)) await main();
