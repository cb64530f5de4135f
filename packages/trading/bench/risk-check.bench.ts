/**
 * Risk check benchmark: RiskEngine.check on a seeded, realistic mix of passing orders
 * over the 55 default instruments and 100 accounts (60% limit / 30% market / 10% stop,
 * prices within +-5% of the reference, 1..100 lots), each account already holding open
 * orders and positions in ~5 symbols. Between batches a few reference prices move (as
 * market data would), so the lazy exposure re-valuation runs as it would in production.
 *
 * Timing is amortised: batches of 1,000 checks timed with process.hrtime.bigint(), the
 * per-op figure being batch time / 1,000 (the clock cost is spread over the batch);
 * p50/p99 are over batches, nsPerOp over all timed checks. After a warm-up.
 *
 *   node --import tsx packages/trading/bench/risk-check.bench.ts [--ops N] [--json]
 */
import { InstrumentTable } from '@tickstorm/protocol';
import { OrderType, Side } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { RiskCode } from '../src/risk/risk-codes.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';
import { isMain, parseFlags, prng } from './bench-util.ts';

const BATCH = 1_000;
const ACCOUNTS = 100;
const STREAM = 1 << 14;

export interface RiskBenchResult {
  nsPerOp: number;
  p50_ns: number;
  p99_ns: number;
  opsPerSec: number;
  ops: number;
  /** Checks that did not pass (the mix is built to pass: should be 0). */
  denied: number;
}

interface Stream {
  book: Int32Array;
  side: Int32Array;
  type: Int32Array;
  price: Int32Array;
  qty: Int32Array;
  account: Int32Array;
}

function setup(rnd: () => number): { engine: RiskEngine; stream: Stream } {
  const instruments = new InstrumentTable();
  const n = instruments.size;
  const engine = new RiskEngine(instruments);
  for (let a = 1; a < ACCOUNTS; a++) engine.accounts.intern(`acct-${a}`);
  const ref = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    ref[s] = 5_000 + Math.floor(rnd() * 45_000); // 50.00 .. 500.00
    engine.setReferencePrice(s, ref[s]);
  }
  let id = 1;
  for (let a = 0; a < ACCOUNTS; a++) {
    for (let j = 0; j < 5; j++) {
      const book = Math.floor(rnd() * n);
      const side = j & 1;
      engine.onOrderStatus(id++, book, side, a, OrderStatus.NONE, OrderStatus.NEW, 0, 0, 200, 0);
      const other = (a + 1 + j) % ACCOUNTS;
      engine.onTrade(book, id++, id++, ref[book], 50, side === Side.BUY ? Side.SELL : Side.BUY, a, other);
    }
  }
  const stream: Stream = {
    book: new Int32Array(STREAM),
    side: new Int32Array(STREAM),
    type: new Int32Array(STREAM),
    price: new Int32Array(STREAM),
    qty: new Int32Array(STREAM),
    account: new Int32Array(STREAM),
  };
  for (let i = 0; i < STREAM; i++) {
    const book = Math.floor(rnd() * n);
    const u = rnd();
    stream.book[i] = book;
    stream.side[i] = rnd() < 0.5 ? Side.BUY : Side.SELL;
    stream.type[i] = u < 0.6 ? OrderType.LIMIT : u < 0.9 ? OrderType.MARKET : OrderType.STOP;
    stream.price[i] = Math.round(ref[book] * (0.95 + rnd() * 0.1));
    stream.qty[i] = 1 + Math.floor(rnd() * 100);
    stream.account[i] = Math.floor(rnd() * ACCOUNTS);
  }
  return { engine, stream };
}

/** Runs `count` checks from stream position `start`; the simulated clock advances 1 ms per check. */
function runBatch(engine: RiskEngine, st: Stream, start: number, count: number, nowMs: number): number {
  let denied = 0;
  for (let j = 0; j < count; j++) {
    const i = (start + j) & (STREAM - 1);
    const code = engine.check(
      st.book[i],
      st.side[i],
      st.type[i],
      st.price[i],
      st.qty[i],
      st.account[i],
      nowMs + j,
    );
    if (code !== RiskCode.OK) denied++;
  }
  return denied;
}

export function benchRiskCheck(opts: { ops?: number } = {}): RiskBenchResult {
  const ops = Math.max(BATCH, opts.ops ?? 5_000_000);
  const rnd = prng(0x5eed);
  const { engine, stream } = setup(rnd);
  const batches = Math.ceil(ops / BATCH);
  const warmBatches = Math.max(200, Math.floor(batches / 10));
  const perOp = new Float64Array(batches);
  let pos = 0;
  let now = 0;
  let denied = 0;
  let totalNs = 0;
  const n = engine.instruments.size;
  for (let b = -warmBatches; b < batches; b++) {
    // Market data between batches: three symbols move by one tick (not timed).
    for (let k = 0; k < 3; k++) {
      const s = (b * 7 + k * 19 + 1_000_000) % n;
      const r = engine.referencePrice(s);
      engine.setReferencePrice(s, r + ((b + k) & 1 ? 1 : -1));
    }
    const t0 = process.hrtime.bigint();
    const d = runBatch(engine, stream, pos, BATCH, now);
    const ns = Number(process.hrtime.bigint() - t0);
    pos += BATCH;
    now += BATCH;
    if (b < 0) continue;
    denied += d;
    totalNs += ns;
    perOp[b] = ns / BATCH;
  }
  perOp.sort();
  const nsPerOp = totalNs / (batches * BATCH);
  return {
    nsPerOp: round(nsPerOp),
    p50_ns: round(perOp[Math.floor(batches * 0.5)]),
    p99_ns: round(perOp[Math.min(batches - 1, Math.floor(batches * 0.99))]),
    opsPerSec: Math.round(1e9 / nsPerOp),
    ops: batches * BATCH,
    denied,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

if (isMain(import.meta.url)) {
  const f = parseFlags(import.meta.url, {
    ops: { type: 'number', default: 5_000_000, help: 'checks timed' },
    json: { type: 'boolean', help: 'print the result as JSON' },
  });
  const r = benchRiskCheck({ ops: f.ops });
  if (f.json) console.log(JSON.stringify(r));
  else {
    console.log(
      `risk check: ${r.nsPerOp} ns/op amortised (p50 ${r.p50_ns} ns, p99 ${r.p99_ns} ns per batch of ${BATCH})`,
    );
    console.log(
      `            ${r.opsPerSec.toLocaleString('en-US')} checks/s over ${r.ops.toLocaleString('en-US')} checks, ${r.denied} denied`,
    );
  }
}
