/**
 * Scenario 2's generator script (importable by worker threads): a pool of prebuilt
 * `POST /orders` requests in the standard mix (limit 100 +- 10, market, stop 100 +- 5, prices
 * rounded to the 0.01 tick, quantity 1..100, buy/sell at random, symbols and accounts
 * spread), drawn from a seeded generator so a run is reproducible, sent round robin. VU slot
 * = keep-alive connection; latency from the intended time; success = 201 only.
 */
import {
  HttpClient,
  type PreparedRequest,
  prepareRequest,
  type ScriptContext,
  type TlsOptions,
  type VuScript,
} from '@tickstorm/loadlab';
import { seededRandom } from '@tickstorm/protocol';

export interface OrderStressScriptParams {
  url: string;
  /** https: --insecure / --ca. */
  tls?: TlsOptions;
  symbols: string[];
  /** Weights of limit, market, stop. */
  mix: [number, number, number];
  accounts: number;
  seed: number;
  pool: number;
  timeoutMs: number;
}

export { seededRandom };

export interface OrderBody {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market' | 'stop';
  quantity: number;
  price: number | null;
  account: string;
}

const tick = (x: number) => Math.round(x * 100) / 100;

/** One random order of the standard mix (like a Python `OrderGenerator.generate_order`). */
export function randomOrder(
  rnd: () => number,
  symbols: readonly string[],
  mix: readonly [number, number, number],
  account: string,
): OrderBody {
  const symbol = symbols[Math.floor(rnd() * symbols.length)];
  const side = rnd() < 0.5 ? 'buy' : 'sell';
  const total = mix[0] + mix[1] + mix[2];
  const u = rnd() * total;
  let type: OrderBody['type'];
  let price: number | null;
  if (u < mix[0]) {
    type = 'limit';
    price = tick(100 + (rnd() * 20 - 10));
  } else if (u < mix[0] + mix[1]) {
    type = 'market';
    price = null;
  } else {
    type = 'stop';
    price = tick(100 + (rnd() * 10 - 5));
  }
  const quantity = 1 + Math.floor(rnd() * 100);
  return { symbol, side, type, quantity, price, account };
}

export default async function orderStressScript(
  ctx: ScriptContext<OrderStressScriptParams>,
): Promise<VuScript> {
  const p = ctx.params;
  const rnd = seededRandom(p.seed + ctx.worker.index * 7919);
  const reqs: PreparedRequest[] = [];
  const typeOf = new Uint8Array(p.pool);
  for (let i = 0; i < p.pool; i++) {
    const o = randomOrder(rnd, p.symbols, p.mix, `loadlab-${(i + ctx.worker.index) % p.accounts}`);
    typeOf[i] = o.type === 'limit' ? 0 : o.type === 'market' ? 1 : 2;
    reqs.push(
      prepareRequest(p.url, {
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(o),
        name: '/orders',
      }),
    );
  }
  const client = new HttpClient({
    url: p.url,
    connections: ctx.maxVUs,
    events: ctx.events,
    timeoutMs: p.timeoutMs,
    onDone: ctx.done,
    ok: (status) => status === 201,
    tls: p.tls,
  });
  await client.prewarm(ctx.preAllocatedVUs);
  const n = reqs.length;
  let next = 0;
  const sentByType = new Float64Array(3);
  return {
    start(vu, intendedUs) {
      const i = next;
      next = i + 1 === n ? 0 : i + 1;
      sentByType[typeOf[i]]++;
      client.send(vu, reqs[i], intendedUs);
    },
    close: () => client.close(),
    counters: () => ({
      limitOrders: sentByType[0],
      marketOrders: sentByType[1],
      stopOrders: sentByType[2],
      ...client.counters(),
    }),
  };
}
