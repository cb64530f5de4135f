/**
 * A seeded random command stream for shard/log tests: ~45% limits around a moving mid,
 * ~10% market, ~10% stop, ~30% cancels of live ids, ~5% set-last-price, over several
 * books and accounts, plus ~0.5% refused submits (qty 0). It is interactive: cancels pick
 * from the ids the engine reported live (install `tracker` as, or in, the engine listener).
 */
import type { EngineListener } from '../../src/book/engine-types.ts';
import { OrderType, Side } from '../../src/domain/enums.ts';
import { isTerminal, OrderStatus } from '../../src/domain/order-status.ts';
import { CommandKind, type CommandRecord } from '../../src/sequencing/command-codec.ts';
import { Rng } from './rng.ts';

export interface CommandStreamOptions {
  seed: number;
  books: readonly number[];
  accounts: number;
  mid?: number;
}

export class CommandStream {
  private readonly rng: Rng;
  private readonly books: readonly number[];
  private readonly accounts: number;
  private readonly mids: Map<number, number>;
  private readonly live: number[] = [];
  private readonly where = new Map<number, number>();
  readonly counts = { limit: 0, market: 0, stop: 0, cancel: 0, last: 0, refused: 0 };

  /** Tracks live ids; forward engine events here. */
  readonly tracker: EngineListener = {
    onTrade: () => {},
    onOrderStatus: (id, _book, _side, _account, prev, status) => {
      if (prev === OrderStatus.NONE && (status === OrderStatus.NEW || status === OrderStatus.PENDING)) {
        this.where.set(id, this.live.length);
        this.live.push(id);
      } else if (isTerminal(status) && this.where.has(id)) {
        const i = this.where.get(id)!;
        const last = this.live.pop()!;
        this.where.delete(id);
        if (last !== id) {
          this.live[i] = last;
          this.where.set(last, i);
        }
      }
    },
  };

  constructor(opts: CommandStreamOptions) {
    this.rng = new Rng(opts.seed);
    this.books = opts.books;
    this.accounts = opts.accounts;
    this.mids = new Map(opts.books.map((b) => [b, opts.mid ?? 10_000]));
  }

  get liveCount(): number {
    return this.live.length;
  }

  /** Fills `out` with the next command (seq and timestamp left 0). */
  next(out: CommandRecord): CommandRecord {
    const r = this.rng;
    const book = r.pick(this.books);
    let mid = this.mids.get(book)! + r.int(-2, 2);
    mid = Math.min(15_000, Math.max(5_000, mid));
    this.mids.set(book, mid);
    out.seq = out.timestamp = out.orderId = 0;
    out.book = book;
    out.account = r.int(0, this.accounts - 1);
    out.side = r.chance(0.5) ? Side.BUY : Side.SELL;
    const buy = out.side === Side.BUY;
    const x = r.next();
    if (x < 0.3 && this.live.length > 0) {
      this.counts.cancel++;
      out.kind = CommandKind.CANCEL;
      out.orderId = r.pick(this.live);
      out.book = out.side = out.type = out.priceTicks = out.qty = out.account = 0;
    } else if (x < 0.35) {
      this.counts.last++;
      out.kind = CommandKind.SET_LAST_PRICE;
      out.priceTicks = mid + r.int(-10, 10);
      out.side = out.type = out.qty = out.account = 0;
    } else {
      out.kind = CommandKind.NEW_ORDER;
      const y = r.next();
      if (y < 0.1 / 0.65) {
        this.counts.market++;
        out.type = OrderType.MARKET;
        out.priceTicks = 0;
        out.qty = r.int(1, 30);
      } else if (y < 0.2 / 0.65) {
        this.counts.stop++;
        out.type = OrderType.STOP;
        out.priceTicks = buy ? mid + r.int(1, 15) : mid - r.int(1, 15);
        out.qty = r.int(1, 30);
      } else {
        this.counts.limit++;
        out.type = OrderType.LIMIT;
        out.priceTicks = buy ? mid + r.int(-20, 3) : mid + r.int(-3, 20);
        out.qty = r.int(1, 100);
      }
      if (r.chance(0.005)) {
        this.counts.refused++;
        out.qty = 0;
      }
    }
    return out;
  }
}

/** Records every engine event as numbers, for exact comparison of two runs. */
export class FlatRecorder implements EngineListener {
  readonly trades: number[] = [];
  readonly statuses: number[] = [];
  next: EngineListener | null = null;

  onTrade(b: number, m: number, t: number, p: number, q: number, s: number, ma: number, ta: number): void {
    this.trades.push(b, m, t, p, q, s, ma, ta);
    this.next?.onTrade(b, m, t, p, q, s, ma, ta);
  }

  onOrderStatus(
    id: number,
    b: number,
    s: number,
    a: number,
    prev: number,
    st: number,
    reason: number,
    f: number,
    rem: number,
    n: number,
  ): void {
    this.statuses.push(id, b, s, a, prev, st, reason, f, rem, n);
    this.next?.onOrderStatus(id, b, s, a, prev, st, reason, f, rem, n);
  }

  get tradeCount(): number {
    return this.trades.length / 8;
  }
}
