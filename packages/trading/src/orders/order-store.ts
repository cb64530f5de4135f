/**
 * The execution engine's order records, kept up to date from the engine's events: what
 * `GET /orders/:id` and the `POST /orders` answer read. Live orders are always kept;
 * finished ones are kept up to `retainFinished` (oldest evicted first, from a ring).
 * clientOrderId de-duplication lives here too, per account, for as long as the order is kept.
 *
 * Engine events find a live order's record by pool slot (engine id = gen x ID_SLOTS + slot):
 * one array read and an id compare. Kept records are indexed per shard by engine id (a
 * number key: ~2.5x cheaper to insert and evict than the wire-id string); `get` parses the
 * wire id and then requires the record's id to equal it exactly. (The store was ~30% of the
 * order path's CPU with a string-keyed and a number-keyed Map, both updated per order.)
 * Live records are also kept in listing order, all together and per account
 * (./live-order-index.ts), so that a GET /orders page reads only its own records.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import { type EngineListener, ID_SLOTS } from '../book/engine-types.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { type ListingKey, LiveOrderIndex } from './live-order-index.ts';
import { OrderRecord } from './order-record.ts';
import type { OrderRequest } from './order-request.ts';

/**
 * An order's id on the wire: the engine id (`<shard>-<engine id>` with several shards),
 * prefixed by `<tag>.` when the engine is one partition of several (`--symbols`: the tag is
 * the first symbol it owns, so any engine can tell the owner from the id; docs/deployment.md).
 */
export function wireOrderId(shard: number, shardCount: number, engineId: number, tag?: string): string {
  const local = shardCount === 1 ? String(engineId) : `${shard}-${engineId}`;
  return tag === undefined ? local : `${tag}.${local}`;
}

/** The partition tag of an order id (what precedes its last '.'), or undefined for an untagged id. */
export function idTagOf(id: string): string | undefined {
  const dot = id.lastIndexOf('.');
  return dot <= 0 ? undefined : id.slice(0, dot);
}

export class OrderStore {
  /** Per shard: every kept record (live and retained finished) by engine id. */
  private readonly kept: Map<number, OrderRecord>[];
  /** Per shard: the live record of each pool slot (undefined once it finished). */
  private readonly bySlot: (OrderRecord | undefined)[][];
  /** account -> clientOrderId -> record (nested: no key string built per order). */
  private readonly byClient = new Map<string, Map<string, OrderRecord>>();
  /** The live records in listing order (shard, engine id): GET /orders pages through it. */
  private readonly open = new LiveOrderIndex();
  /** The same per account (an account's page does not skip the others' orders). */
  private readonly openByAccount = new Map<string, LiveOrderIndex>();
  private readonly finished: (OrderRecord | undefined)[];
  private finishedHead = 0;
  private pending: OrderRequest | null = null;
  private pendingShard = 0;
  /** The record the last submit created (null when the engine refused it). */
  lastCreated: OrderRecord | null = null;
  now: () => number = () => Date.now() / 1000;

  constructor(
    private readonly instruments: InstrumentTable,
    private readonly shardCount = 1,
    retainFinished = 200_000,
    /** The partition tag every id carries (`<tag>.<id>`); undefined = untagged ids. */
    readonly tag?: string,
  ) {
    this.kept = Array.from({ length: shardCount }, () => new Map());
    this.bySlot = Array.from({ length: shardCount }, () => []);
    this.finished = new Array(retainFinished);
  }

  get size(): number {
    let n = 0;
    for (const m of this.kept) n += m.size;
    return n;
  }

  /** The wire id of engine order `engineId` on `shard`. */
  idOf(shard: number, engineId: number): string {
    return wireOrderId(shard, this.shardCount, engineId, this.tag);
  }

  /** The kept record whose wire id is exactly `id`. */
  get(id: string): OrderRecord | undefined {
    const at = this.parseId(id);
    if (at === undefined) return undefined;
    const rec = this.kept[at.shard].get(at.engineId);
    return rec !== undefined && rec.id === id ? rec : undefined;
  }

  byClientOrderId(account: string, clientOrderId: string): OrderRecord | undefined {
    return this.byClient.get(account)?.get(clientOrderId);
  }

  /** Names the request the next NONE -> NEW/PENDING event on `shard` belongs to. */
  begin(req: OrderRequest, shard: number): void {
    this.pending = req;
    this.pendingShard = shard;
    this.lastCreated = null;
  }

  end(): void {
    this.pending = null;
  }

  /** The live record of engine order `id` on `shard`, if any. */
  private live(shard: number, id: number): OrderRecord | undefined {
    const rec = this.bySlot[shard][id % ID_SLOTS];
    return rec !== undefined && rec.engineId === id ? rec : undefined;
  }

  /** The engine listener of one shard. */
  listenerFor(shard: number): EngineListener {
    return {
      onTrade: (_book, makerId, takerId, priceTicks, qty) => {
        const maker = this.live(shard, makerId);
        const taker = this.live(shard, takerId);
        const rec = maker ?? taker;
        if (rec === undefined) return;
        const ts = this.now();
        const price = rec.inst.price.fromSteps(priceTicks);
        const quantity = rec.inst.qty.fromSteps(qty);
        const makerOrderId = maker?.id ?? this.idOf(shard, makerId);
        const takerOrderId = taker?.id ?? this.idOf(shard, takerId);
        maker?.addFill({ price, quantity, makerOrderId, takerOrderId, liquidity: 'maker', timestamp: ts });
        taker?.addFill({ price, quantity, makerOrderId, takerOrderId, liquidity: 'taker', timestamp: ts });
      },
      onOrderStatus: (orderId, _book, _side, _account, prev, status, reason, filled, _rem, notional) => {
        let rec = this.live(shard, orderId);
        if (prev === OrderStatus.NONE && this.pending !== null && this.pendingShard === shard) {
          rec = this.create(shard, orderId, this.pending);
          this.pending = null;
        }
        if (rec === undefined) return;
        rec.status = status;
        rec.reason = reason;
        rec.filledLots = filled;
        rec.filledNotional = notional;
        rec.updatedAt = this.now();
        if (rec.terminal) this.finish(rec);
      },
    };
  }

  private create(shard: number, engineId: number, req: OrderRequest): OrderRecord {
    const id = this.idOf(shard, engineId);
    const rec = new OrderRecord(
      id,
      engineId,
      shard,
      req.inst,
      req.side,
      req.type,
      req.priceTicks,
      req.lots,
      req.account,
      req.clientOrderId,
      this.now(),
    );
    if (req.priceAsked !== undefined) rec.priceAsked = req.priceAsked;
    this.kept[shard].set(engineId, rec);
    const slots = this.bySlot[shard];
    const slot = engineId % ID_SLOTS;
    while (slots.length <= slot) slots.push(undefined);
    slots[slot] = rec;
    if (req.clientOrderId !== undefined) this.indexClient(req.account, req.clientOrderId, rec);
    this.indexOpen(rec);
    this.lastCreated = rec;
    return rec;
  }

  private indexClient(account: string, clientOrderId: string, rec: OrderRecord): void {
    let m = this.byClient.get(account);
    if (m === undefined) {
      m = new Map();
      this.byClient.set(account, m);
    }
    m.set(clientOrderId, rec);
  }

  private indexOpen(rec: OrderRecord): void {
    this.open.add(rec);
    let a = this.openByAccount.get(rec.account);
    if (a === undefined) {
      a = new LiveOrderIndex();
      this.openByAccount.set(rec.account, a);
    }
    a.add(rec);
  }

  /** A finished order leaves the slot index (slots get reused) and joins the retention ring. */
  private finish(rec: OrderRecord): void {
    const slots = this.bySlot[rec.shard];
    const slot = rec.engineId % ID_SLOTS;
    if (slots[slot] === rec) {
      slots[slot] = undefined;
      // It was live: it leaves the open-order indexes (a restored finished record never joined them).
      this.open.delete(rec);
      const a = this.openByAccount.get(rec.account);
      if (a?.delete(rec) && a.size === 0) this.openByAccount.delete(rec.account);
    }
    const evicted = this.finished[this.finishedHead];
    if (evicted !== undefined) {
      this.kept[evicted.shard].delete(evicted.engineId);
      if (evicted.clientOrderId !== undefined)
        this.byClient.get(evicted.account)?.delete(evicted.clientOrderId);
    }
    this.finished[this.finishedHead] = rec;
    this.finishedHead = (this.finishedHead + 1) % this.finished.length;
  }

  /**
   * The kept records in the order a snapshot needs them: the finished ones oldest first
   * (the retention ring's order), then the live ones. Allocates; off the hot path.
   */
  exportRecords(): { finished: OrderRecord[]; live: OrderRecord[] } {
    const finished: OrderRecord[] = [];
    const n = this.finished.length;
    for (let i = 0; i < n; i++) {
      const rec = this.finished[(this.finishedHead + i) % n];
      if (rec !== undefined) finished.push(rec);
    }
    const live: OrderRecord[] = [];
    for (const m of this.kept) for (const rec of m.values()) if (!rec.terminal) live.push(rec);
    return { finished, live };
  }

  /** Puts a record of a snapshot back (finished ones in ring order first, then live ones). */
  restoreRecord(rec: OrderRecord): void {
    this.kept[rec.shard].set(rec.engineId, rec);
    if (rec.clientOrderId !== undefined) this.indexClient(rec.account, rec.clientOrderId, rec);
    if (rec.terminal) {
      this.finish(rec);
      return;
    }
    const slots = this.bySlot[rec.shard];
    const slot = rec.engineId % ID_SLOTS;
    while (slots.length <= slot) slots.push(undefined);
    slots[slot] = rec;
    this.indexOpen(rec);
  }

  /**
   * Open (live) orders of `account` (one, several, or every account when undefined), oldest
   * first (by shard, then engine id), after the order `after` (a wire id; exclusive), at most
   * `limit`. For GET /orders reconciliation: reads the page from the open-order indexes (a
   * binary search to the cursor), never the kept finished orders.
   */
  openOrders(
    account: string | readonly string[] | undefined,
    limit: number,
    after?: ListingKey,
  ): OrderRecord[] {
    if (account === undefined) return this.open.page(limit, after);
    if (typeof account === 'string') return this.openByAccount.get(account)?.page(limit, after) ?? [];
    // Several accounts (a key's): each one's first `limit`, merged.
    const out: OrderRecord[] = [];
    for (const a of new Set(account)) this.openByAccount.get(a)?.page(limit, after, out);
    if (out.length > limit || account.length > 1)
      out.sort((x, y) => x.shard - y.shard || x.engineId - y.engineId);
    if (out.length > limit) out.length = limit;
    return out;
  }

  /** The open orders of one account, in listing order (allocates). */
  openOrdersOf(account: string): OrderRecord[] {
    return this.openByAccount.get(account)?.all() ?? [];
  }

  /** Shard and engine id of a wire id, or undefined when it is not one this store issues. */
  parseId(wire: string): { shard: number; engineId: number } | undefined {
    let id = wire;
    if (this.tag !== undefined) {
      if (id.length <= this.tag.length + 1 || !id.startsWith(this.tag) || id[this.tag.length] !== '.')
        return undefined;
      id = id.slice(this.tag.length + 1);
    }
    let shard = 0;
    let eid = id;
    if (this.shardCount !== 1) {
      const dash = id.indexOf('-');
      if (dash < 0) return undefined;
      shard = Number(id.slice(0, dash));
      eid = id.slice(dash + 1);
      if (!Number.isInteger(shard) || shard < 0 || shard >= this.shardCount) return undefined;
    }
    const engineId = Number(eid);
    if (!/^[0-9]{1,16}$/.test(eid) || !Number.isSafeInteger(engineId)) return undefined;
    return { shard, engineId };
  }

  /** Every record (allocates; for tests and diagnostics). */
  all(): OrderRecord[] {
    return this.kept.flatMap((m) => [...m.values()]);
  }

  get instrumentTable(): InstrumentTable {
    return this.instruments;
  }
}
