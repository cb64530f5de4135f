/**
 * A k6-style script against Tickstorm's execution engine (docs/scripts.md). Copy it anywhere:
 * the built-in modules resolve from any directory.
 *
 *   npx tickstorm serve &                                  (or point ORDERS_URL elsewhere)
 *   npx tickstorm run examples/orders-script.ts --json orders.json
 *   ORDERS_URL=https://orders.example:5002 npx tickstorm run examples/orders-script.ts --ca ca.pem
 *
 * Two scenarios at once: an open-model order stream (constant-arrival-rate: orders are due at
 * a fixed rate whatever the system does; latency counts from the due time), and a few VUs
 * that each place and read back a handful of orders (per-vu-iterations). The run fails (99)
 * when a threshold is missed, and stops early (108) if more than 10% of requests fail.
 */
import { check } from 'tickstorm';
import http from 'tickstorm/http';
import { Counter, Trend } from 'tickstorm/metrics';

const BASE = process.env.ORDERS_URL ?? 'http://127.0.0.1:5002';
const SYMBOLS = ['SYM0', 'SYM1', 'SYM2', 'SYM3'];

const placed = new Counter('orders_placed');
const fillTime = new Trend('order_ack_ms', true);

export const options = {
  scenarios: {
    stream: {
      executor: 'constant-arrival-rate',
      rate: 200,
      timeUnit: '1s',
      duration: '20s',
      preAllocatedVUs: 20,
      maxVUs: 200,
    },
    traders: { executor: 'per-vu-iterations', vus: 5, iterations: 10, exec: 'trader', startTime: '2s' },
  },
  thresholds: {
    http_req_duration: ['p(95)<100', 'p(99)<250'],
    'http_req_duration{name:/orders}': ['p(99.9)<500'],
    http_req_failed: [{ threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '3s' }],
    checks: ['rate>0.99'],
    orders_placed: ['count>1000'],
  },
};

function order(i: number) {
  const side = i % 2 === 0 ? 'buy' : 'sell';
  return {
    symbol: SYMBOLS[i % SYMBOLS.length],
    side,
    type: 'limit',
    quantity: 1 + (i % 10),
    price: 100 + (side === 'buy' ? -1 : 1) * (i % 5) * 0.01,
    account: `script-${i % 8}`,
  };
}

/** The open-model stream: one order per iteration. */
export default async function (ctx: { vu: number; iteration: number }): Promise<void> {
  const res = await http.post(`${BASE}/orders`, order(ctx.vu * 1000 + ctx.iteration), {
    expectedStatuses: [201],
  });
  if (check(res, { 'order accepted (201)': (r) => r.status === 201 })) placed.add(1);
  fillTime.add(res.timings.waiting);
}

/** A trader: place an order, then read the health endpoint, as a user flow. */
export async function trader(ctx: { vu: number; iteration: number }): Promise<void> {
  const res = await http.post(`${BASE}/orders`, order(ctx.iteration), { expectedStatuses: [201] });
  check(res, { 'trader order accepted': (r) => r.status === 201 });
  const h = await http.get(`${BASE}/health`, { tags: { name: 'health' } });
  check(h, { 'engine healthy': (r) => r.status === 200 });
}
