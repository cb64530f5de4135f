/**
 * The execution engine's order records, kept up to date from the engine's events: what
 * `GET /orders/:id` and the `POST /orders` answer read. Live orders are always kept;
 * finished ones are kept up to `retainFinished` (oldest evicted first, from a ring).
 * clientOrderId de-duplication lives here too, per account, for as long as the order is kept.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { EngineListener } from '../book/engine-types.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { OrderRecord } from './order-record.ts';
import type { OrderRequest } from './order-request.ts';

export function wireOrderId(shard: number, shardCount: number, engineId: number): string {
  return shardCount === 1 ? String(engineId) : `${shard}-${engineId}`;
}

export class OrderStore {
  private readonly byId = new Map<string, OrderRecord>();
  private readonly byEngine: Map<number, OrderRecord>[];
  private readonly byClient = new Map<string, string>();
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
  ) {
    this.byEngine = Array.from({ length: shardCount }, () => new Map());
    this.finished = new Array(retainFinished);
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): OrderRecord | undefined {
    return this.byId.get(id);
  }

  byClientOrderId(account: string, clientOrderId: string): OrderRecord | undefined {
    const id = this.byClient.get(`${account}\u0000${clientOrderId}`);
    return id === undefined ? undefined : this.byId.get(id);
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

  /** The engine listener of one shard. */
  listenerFor(shard: number): EngineListener {
    const map = this.byEngine[shard];
    return {
      onTrade: (_book, makerId, takerId, priceTicks, qty) => {
        const maker = map.get(makerId);
        const taker = map.get(takerId);
        const rec = maker ?? taker;
        if (rec === undefined) return;
        const ts = this.now();
        const price = rec.inst.price.fromSteps(priceTicks);
        const quantity = rec.inst.qty.fromSteps(qty);
        const makerOrderId = wireOrderId(shard, this.shardCount, makerId);
        const takerOrderId = wireOrderId(shard, this.shardCount, takerId);
        maker?.fills.push({ price, quantity, makerOrderId, takerOrderId, liquidity: 'maker', timestamp: ts });
        taker?.fills.push({ price, quantity, makerOrderId, takerOrderId, liquidity: 'taker', timestamp: ts });
      },
      onOrderStatus: (orderId, _book, _side, _account, prev, status, reason, filled, _rem, notional) => {
        let rec = map.get(orderId);
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
    const id = wireOrderId(shard, this.shardCount, engineId);
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
    this.byId.set(id, rec);
    this.byEngine[shard].set(engineId, rec);
    if (req.clientOrderId !== undefined) this.byClient.set(`${req.account}\u0000${req.clientOrderId}`, id);
    this.lastCreated = rec;
    return rec;
  }

  /** A finished order leaves the engine-id index (ids get reused) and joins the retention ring. */
  private finish(rec: OrderRecord): void {
    const map = this.byEngine[rec.shard];
    if (map.get(rec.engineId) === rec) map.delete(rec.engineId);
    const evicted = this.finished[this.finishedHead];
    if (evicted !== undefined) {
      this.byId.delete(evicted.id);
      if (evicted.clientOrderId !== undefined)
        this.byClient.delete(`${evicted.account}\u0000${evicted.clientOrderId}`);
    }
    this.finished[this.finishedHead] = rec;
    this.finishedHead = (this.finishedHead + 1) % this.finished.length;
  }

  /** Every record (allocates; for tests and diagnostics). */
  all(): OrderRecord[] {
    return [...this.byId.values()];
  }

  get instrumentTable(): InstrumentTable {
    return this.instruments;
  }
}
