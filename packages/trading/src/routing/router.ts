/**
 * Symbol (book index) -> shard. Default: book % shardCount; an explicit symbol -> shard
 * map overrides it per symbol. Lookup is one typed-array read. OrderRouter pairs a Router
 * with its shards and forwards commands to the owner of the book.
 */
import { InstrumentTable } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { Shard } from './shard.ts';

export interface RouterOptions {
  shardCount: number;
  /** Symbols and their book indexes (default: the default InstrumentTable). */
  instruments?: InstrumentTable;
  /** Explicit placements: symbol -> shard index; other symbols use book % shardCount. */
  symbolShards?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
}

export class Router {
  readonly shardCount: number;
  readonly instruments: InstrumentTable;
  private readonly table: Int32Array;

  constructor(opts: RouterOptions) {
    const n = opts.shardCount;
    if (!Number.isInteger(n) || n < 1 || n > 65_536) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `shardCount must be an integer 1..65536, got ${n}`,
      );
    }
    this.shardCount = n;
    this.instruments = opts.instruments ?? new InstrumentTable();
    this.table = new Int32Array(this.instruments.size);
    for (let b = 0; b < this.table.length; b++) this.table[b] = b % n;
    const entries =
      opts.symbolShards === undefined
        ? []
        : opts.symbolShards instanceof Map
          ? [...opts.symbolShards.entries()]
          : Object.entries(opts.symbolShards);
    for (const [symbol, shard] of entries) {
      const inst = this.instruments.find(symbol);
      if (inst === undefined) {
        throw new TradingError(
          TradingErrorCode.INVALID_CONFIG,
          `symbolShards: unknown symbol ${symbol}`,
          'symbolShards',
        );
      }
      if (!Number.isInteger(shard) || shard < 0 || shard >= n) {
        throw new TradingError(
          TradingErrorCode.INVALID_CONFIG,
          `symbolShards.${symbol}: shard ${shard} is not in 0..${n - 1}`,
          'symbolShards',
        );
      }
      this.table[inst.index] = shard;
    }
  }

  /** The shard that owns `book` (books beyond the table: book mod shardCount; never out of range). */
  shardOf(book: number): number {
    const b = book | 0;
    if (b >= 0 && b < this.table.length) return this.table[b];
    const n = this.shardCount;
    return ((b % n) + n) % n;
  }

  /** The shard that owns `symbol`; throws PRT_ERR_UNKNOWN_SYMBOL for an unknown one. */
  shardOfSymbol(symbol: string): number {
    return this.shardOf(this.instruments.get(symbol).index);
  }

  /** Book indexes a shard owns, ascending. */
  booksOf(shard: number): number[] {
    const out: number[] = [];
    for (let b = 0; b < this.table.length; b++) if (this.table[b] === shard) out.push(b);
    return out;
  }
}

/** Routes commands to the shard that owns the book; S decides sync (LocalShard) or async results. */
export class OrderRouter<S extends Shard = Shard> {
  readonly router: Router;
  readonly shards: readonly S[];

  constructor(router: Router, shards: readonly S[]) {
    if (shards.length !== router.shardCount) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `router has ${router.shardCount} shards, got ${shards.length}`,
      );
    }
    this.router = router;
    this.shards = shards;
  }

  shardFor(book: number): S {
    return this.shards[this.router.shardOf(book)];
  }

  submit(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
  ): ReturnType<S['submit']> {
    return this.shards[this.router.shardOf(book)].submit(
      book,
      side,
      type,
      priceTicks,
      qty,
      account,
    ) as ReturnType<S['submit']>;
  }

  /** Order ids are per shard: the book names the shard that issued the id. */
  cancel(book: number, orderId: number): ReturnType<S['cancel']> {
    return this.shards[this.router.shardOf(book)].cancel(orderId) as ReturnType<S['cancel']>;
  }

  setLastPrice(book: number, priceTicks: number): ReturnType<S['setLastPrice']> {
    return this.shards[this.router.shardOf(book)].setLastPrice(book, priceTicks) as ReturnType<
      S['setLastPrice']
    >;
  }

  async flush(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}
