/**
 * The state a snapshot holds, as sections of a snapshot file (./snapshot-file.ts):
 *
 *   meta            JSON: shard count, last seq per shard, account names (index order),
 *                   risk limits, reference prices, per engine: pool capacity, genBase,
 *                   arrivals, per-book last price
 *   gen-<s>         Int32Array: every pool slot's generation (order ids never repeat)
 *   free-<s>        Int32Array: the pool's free list (the ids the next orders get)
 *   orders-<s>      Float64Array rows of 12: slot, book, account, side, type, status, price,
 *                   qty, remaining, filledNotional, arrival seq, stop (0/1) — resting orders
 *                   best level first, each level in FIFO order, then stops in firing order
 *   risk-pos/-ob/-os Float64Array per (account, symbol) cell: position, open buy, open sell
 *   risk-prov       Float64Array per cell: its valuation while the symbol has no reference
 *                   (risk-state.ts's provRef; absent from older snapshots: the live orders'
 *                   prices stand in, trading-core.ts)
 *   rec-num         Float64Array rows of 14 per kept order record: engineId, shard, book,
 *                   side, type, priceTicks, lots, account index, status, reason, filledLots,
 *                   filledNotional, createdAt, updatedAt (finished ones first, in their
 *                   retention order, then live ones)
 *   rec-cid         clientOrderIds joined by "\n" ('' = none)
 *   rec-fills       JSON [[record index, fills], ...] for records with fills
 *   rec-asked       Float64Array per record: the off-tick price as sent (0 = none; absent
 *                   from older snapshots)
 *
 * Restoring is a bulk load, not a replay: 1,000,000 resting orders are typed-array rows.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { MatchingEngine } from '../book/matching-engine.ts';
import { NIL } from '../book/order-pool.ts';
import { Side } from '../domain/enums.ts';
import { type Fill, OrderRecord } from '../orders/order-record.ts';
import type { OrderStore } from '../orders/order-store.ts';
import type { AccountRegistry } from '../risk/account-registry.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import { f64View, i32View, type Sections } from './snapshot-file.ts';

export interface ImageMeta {
  format: 1;
  shards: number;
  lastSeq: number[];
  accounts: string[];
  limits: RiskLimits;
  refTicks: number[];
  engines: { capacity: number; genBase: number; arrivals: number; lasts: number[] }[];
  finishedRecords: number;
}

export interface ImageParts {
  instruments: InstrumentTable;
  engines: readonly MatchingEngine[];
  risk: RiskEngine;
  accounts: AccountRegistry;
  store: OrderStore;
}

const ORDER_COLS = 12;
const REC_COLS = 14;

/** Captures the whole state (synchronously: consistent between two commands). */
export function captureImage(
  p: ImageParts,
  lastSeq: number[],
): Map<string, Buffer | ArrayBufferView | string> {
  const out = new Map<string, Buffer | ArrayBufferView | string>();
  const engines: ImageMeta['engines'] = [];
  p.engines.forEach((e, s) => {
    const pool = e.pool;
    engines.push({
      capacity: pool.capacity,
      genBase: pool.genBase,
      arrivals: e.arrivalCount,
      lasts: e.books.map((b) => b.last),
    });
    out.set(`gen-${s}`, pool.gen.slice(0, pool.capacity));
    out.set(`free-${s}`, pool.freeList());
    const rows = new Float64Array(pool.live * ORDER_COLS);
    let r = 0;
    const put = (slot: number, stop: number) => {
      const o = r * ORDER_COLS;
      rows[o] = slot;
      rows[o + 1] = pool.book[slot];
      rows[o + 2] = pool.account[slot];
      rows[o + 3] = pool.side[slot];
      rows[o + 4] = pool.type[slot];
      rows[o + 5] = pool.status[slot];
      rows[o + 6] = pool.price[slot];
      rows[o + 7] = pool.qty[slot];
      rows[o + 8] = pool.remaining[slot];
      rows[o + 9] = pool.filledNotional[slot];
      rows[o + 10] = pool.seq[slot];
      rows[o + 11] = stop;
      r++;
    };
    for (const b of e.books) {
      if (b.bestBid !== 0 || b.bestAsk !== Number.POSITIVE_INFINITY) {
        const lv = b.levels;
        for (const side of [Side.BUY, Side.SELL]) {
          let price = side === Side.BUY ? b.bestBid : b.bestAsk;
          while (price > 0 && price !== Number.POSITIVE_INFINITY) {
            for (let m = lv.head[lv.levelAt(price)]; m !== NIL; m = pool.next[m]) put(m, 0);
            price = side === Side.BUY ? lv.nextBelow(price) : lv.nextAbove(price);
          }
        }
      }
      for (const s of b.buyStops.ordered()) put(s, 1);
      for (const s of b.sellStops.ordered()) put(s, 1);
    }
    out.set(`orders-${s}`, rows.subarray(0, r * ORDER_COLS));
  });
  const { risk, accounts } = p;
  const nSym = p.instruments.size;
  const cells = accounts.size * nSym;
  out.set('risk-pos', risk.st.pos.slice(0, cells));
  out.set('risk-ob', risk.st.openBuy.slice(0, cells));
  out.set('risk-os', risk.st.openSell.slice(0, cells));
  out.set('risk-prov', risk.st.provRef.slice(0, cells));
  const { finished, live } = p.store.exportRecords();
  const recs = finished.concat(live);
  const num = new Float64Array(recs.length * REC_COLS);
  const cids: string[] = new Array(recs.length);
  const fills: [number, Fill[]][] = [];
  const asked = new Float64Array(recs.length);
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i];
    const o = i * REC_COLS;
    num[o] = rec.engineId;
    num[o + 1] = rec.shard;
    num[o + 2] = rec.inst.index;
    num[o + 3] = rec.side;
    num[o + 4] = rec.type;
    num[o + 5] = rec.priceTicks;
    num[o + 6] = rec.lots;
    num[o + 7] = accounts.indexOf(rec.account);
    num[o + 8] = rec.status;
    num[o + 9] = rec.reason;
    num[o + 10] = rec.filledLots;
    num[o + 11] = rec.filledNotional;
    num[o + 12] = rec.createdAt;
    num[o + 13] = rec.updatedAt;
    cids[i] = rec.clientOrderId ?? '';
    asked[i] = rec.priceAsked ?? 0;
    if (rec.fills.length > 0) fills.push([i, rec.fills]);
  }
  out.set('rec-num', num);
  out.set('rec-cid', cids.join('\n'));
  out.set('rec-fills', JSON.stringify(fills));
  out.set('rec-asked', asked);
  const names: string[] = [];
  for (let a = 0; a < accounts.size; a++) names.push(accounts.nameOf(a) ?? String(a));
  const meta: ImageMeta = {
    format: 1,
    shards: p.engines.length,
    lastSeq,
    accounts: names,
    limits: risk.getLimits(),
    refTicks: Array.from(risk.refTicks),
    engines,
    finishedRecords: finished.length,
  };
  // meta first: the reader needs it before the rest
  return new Map([['meta', JSON.stringify(meta)], ...out]);
}

export function readMeta(sections: Sections): ImageMeta {
  const m = sections.get('meta');
  if (m === undefined) throw new Error('snapshot has no meta section');
  return JSON.parse(m.toString('utf8')) as ImageMeta;
}

/**
 * Loads an image into freshly built parts (engines constructed with the image's genBase,
 * empty store, a risk engine with only the default account). Accounts are registered
 * first, in index order, so every index in the image means the same account.
 */
export function restoreImage(p: ImageParts, sections: Sections, meta: ImageMeta): void {
  for (const name of meta.accounts) p.accounts.intern(name);
  p.risk.setLimits(meta.limits);
  meta.refTicks.forEach((t, b) => {
    if (t > 0) p.risk.setReferencePrice(b, t);
  });
  p.engines.forEach((e, s) => {
    const em = meta.engines[s];
    const pool = e.pool;
    pool.restoreLayout(em.capacity, i32View(sections.get(`gen-${s}`)), i32View(sections.get(`free-${s}`)));
    e.restoreArrivals(em.arrivals);
    em.lasts.forEach((last, b) => {
      e.books[b].last = last;
    });
    const rows = f64View(sections.get(`orders-${s}`));
    for (let o = 0; o < rows.length; o += ORDER_COLS) {
      const slot = rows[o];
      pool.book[slot] = rows[o + 1];
      pool.account[slot] = rows[o + 2];
      pool.side[slot] = rows[o + 3];
      pool.type[slot] = rows[o + 4];
      pool.status[slot] = rows[o + 5];
      pool.price[slot] = rows[o + 6];
      pool.qty[slot] = rows[o + 7];
      pool.remaining[slot] = rows[o + 8];
      pool.filledNotional[slot] = rows[o + 9];
      pool.seq[slot] = rows[o + 10];
      e.restoreOrder(slot, rows[o + 11] === 1);
    }
  });
  const nSym = p.instruments.size;
  const pos = f64View(sections.get('risk-pos'));
  const ob = f64View(sections.get('risk-ob'));
  const os = f64View(sections.get('risk-os'));
  const st = p.risk.st;
  // Before the cells are valued: a cell with nothing open keeps its valuation for the next check.
  const prov = sections.get('risk-prov');
  if (prov !== undefined) {
    const v = f64View(prov);
    st.provRef.set(v.length > st.provRef.length ? v.subarray(0, st.provRef.length) : v);
  }
  for (let k = 0; k < pos.length; k++) {
    if (pos[k] === 0 && ob[k] === 0 && os[k] === 0) continue;
    st.pos[k] = pos[k];
    st.openBuy[k] = ob[k];
    st.openSell[k] = os[k];
    const a = Math.floor(k / nSym);
    const sym = k - a * nSym;
    st.touch(a, sym, p.risk.refTicks[sym], p.risk.lim.unitMul[sym]);
  }
  const num = f64View(sections.get('rec-num'));
  const cids = (sections.get('rec-cid')?.toString('latin1') ?? '').split('\n');
  const fills = new Map<number, Fill[]>(JSON.parse(sections.get('rec-fills')?.toString('utf8') ?? '[]'));
  const askedSection = sections.get('rec-asked');
  const asked = askedSection === undefined ? undefined : f64View(askedSection);
  const list = p.instruments.list;
  for (let i = 0, o = 0; o < num.length; i++, o += REC_COLS) {
    const engineId = num[o];
    const shard = num[o + 1];
    const cid = cids[i];
    const rec = new OrderRecord(
      p.store.idOf(shard, engineId),
      engineId,
      shard,
      list[num[o + 2]],
      num[o + 3],
      num[o + 4],
      num[o + 5],
      num[o + 6],
      p.accounts.nameOf(num[o + 7]) ?? 'default',
      cid === '' || cid === undefined ? undefined : cid,
      num[o + 12],
    );
    rec.status = num[o + 8];
    rec.reason = num[o + 9];
    rec.filledLots = num[o + 10];
    rec.filledNotional = num[o + 11];
    rec.updatedAt = num[o + 13];
    if (asked !== undefined && asked[i] > 0) rec.priceAsked = asked[i];
    const f = fills.get(i);
    if (f !== undefined) for (const x of f) rec.addFill(x);
    p.store.restoreRecord(rec);
  }
}
