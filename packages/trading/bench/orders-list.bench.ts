/**
 * GET /orders page cost: the open-order listing of an OrderStore that keeps 200,000 finished
 * orders (its default retention) beside LIVE resting orders of ACCOUNTS accounts, fed by a
 * real matching engine (orders placed and cancelled, so pool slots and ids are reused as in
 * production). Times one page of 100 (the default limit; 101 read, as the gateway does):
 * every account's from the start, every account's from a cursor half-way, one account's.
 * Also reports the CPU time per order while it is filled (engine + store, place + cancel):
 * what keeping the open-order indexes adds to the order path.
 *
 *   node --import tsx packages/trading/bench/orders-list.bench.ts [--finished N] [--json]
 */
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import type { OrderRecord } from '../src/orders/order-record.ts';
import { type OrderRequest, parseOrderRequest } from '../src/orders/order-request.ts';
import { OrderStore } from '../src/orders/order-store.ts';
import { isMain, median, parseFlags } from './bench-util.ts';

const LIVE = 10_000;
/** 200 live orders each: more than one page. */
const ACCOUNTS = 50;
const PAGE = 100;
const PAGES = 200;

export interface OrdersListResult {
  finishedKept: number;
  live: number;
  /** Store + engine CPU time per placed-and-cancelled order while filling (ns; CPU, not wall: a shared box). */
  fillNsPerOrder: number;
  /** Median time of one page (µs). */
  firstPageUs: number;
  cursorPageUs: number;
  accountPageUs: number;
}

export function benchOrdersList(finished = 200_000): OrdersListResult {
  const inst = new InstrumentTable();
  const store = new OrderStore(inst, 1, finished);
  const engine = new MatchingEngine(inst, { listener: store.listenerFor(0) });
  const req = (a: number, p: number): OrderRequest =>
    parseOrderRequest(
      { symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 50 + p, account: `acct-${a}` },
      inst,
      'default',
    );
  const reqs = Array.from({ length: ACCOUNTS * 10 }, (_, i) => req(i % ACCOUNTS, i % 10));
  const place = (r: OrderRequest): OrderRecord => {
    store.begin(r, 0);
    engine.submit(r.inst.index, r.side, r.type, r.priceTicks, r.lots, 0);
    store.end();
    return store.lastCreated!;
  };
  let live: OrderRecord[] = [];
  // Live orders and finished ones interleaved: freed slots are reused, ids are not in time order.
  const every = Math.max(1, Math.floor(finished / LIVE));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < finished + LIVE; i++) {
    if (live.length < LIVE && i % every === 0) live.push(place(reqs[live.length % reqs.length]));
    else engine.cancel(place(reqs[i % reqs.length]).engineId);
  }
  const cpu = process.cpuUsage(cpu0);
  const fillNs = (cpu.user + cpu.system) * 1000;
  // Half of them replaced: the new ones take freed slots (newer generations).
  for (const rec of live.slice(LIVE / 2)) engine.cancel(rec.engineId);
  live = live.slice(0, LIVE / 2);
  for (let i = live.length; i < LIVE; i++) live.push(place(reqs[i % reqs.length]));
  const ordered = store.openOrders(undefined, LIVE + 1);
  if (ordered.length !== LIVE) throw new Error(`expected ${LIVE} live orders, listed ${ordered.length}`);
  const mid = ordered[LIVE / 2];
  const time = (f: () => OrderRecord[]): number => {
    const us: number[] = [];
    for (let i = 0; i < PAGES; i++) {
      const s = process.hrtime.bigint();
      const page = f();
      us.push(Number(process.hrtime.bigint() - s) / 1000);
      if (page.length !== PAGE + 1) throw new Error(`a page of ${page.length}`);
    }
    return Math.round(median(us) * 10) / 10;
  };
  return {
    finishedKept: store.size - LIVE,
    live: LIVE,
    fillNsPerOrder: Math.round(fillNs / (finished + LIVE)),
    firstPageUs: time(() => store.openOrders(undefined, PAGE + 1)),
    cursorPageUs: time(() => store.openOrders(undefined, PAGE + 1, mid)),
    accountPageUs: time(() => store.openOrders('acct-7', PAGE + 1)),
  };
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, {
    finished: { type: 'number', default: 200_000, help: 'finished orders kept' },
    json: { type: 'boolean', help: 'print the result as JSON' },
  });
  const r = benchOrdersList(f.finished);
  if (f.json) console.log(JSON.stringify(r));
  else {
    console.log(
      `GET /orders page of ${PAGE} (${r.finishedKept.toLocaleString('en-US')} finished kept, ${r.live.toLocaleString('en-US')} live):`,
    );
    console.log(
      `  first page ${r.firstPageUs} µs, from a cursor ${r.cursorPageUs} µs, one account's ${r.accountPageUs} µs (medians of ${PAGES})`,
    );
    console.log(`  filling: ${r.fillNsPerOrder} ns per order placed and cancelled`);
  }
}
