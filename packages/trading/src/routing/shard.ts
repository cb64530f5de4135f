/**
 * A matching shard: one single-threaded, deterministic MatchingEngine with its own
 * sequencer (and optionally its own input log). Order ids are per shard: cancel an order
 * on the shard that owns its book (OrderRouter.cancel takes the book for that reason).
 *
 * LocalShard answers synchronously with one reused ShardResult (valid until its next
 * call: copy it to keep it); WorkerShard answers with a Promise of a fresh ShardResult.
 */
import type { EngineListener } from '../book/engine-types.ts';
import type { ShardResult } from './shard-result.ts';

export interface Shard {
  readonly index: number;
  submit(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
  ): ShardResult | Promise<ShardResult>;
  cancel(orderId: number, reason?: number): ShardResult | Promise<ShardResult>;
  setLastPrice(book: number, priceTicks: number): ShardResult | Promise<ShardResult>;
  /** Writes the shard's buffered log records (durable if its log fsyncs). */
  flush(): Promise<void>;
  /** Flushes and closes the log; stops a worker. Idempotent. */
  close(): Promise<void>;
}

/** The MatchingEngine surface a shard needs (book/matching-engine.ts implements it). */
export interface ShardEngine {
  listener: EngineListener;
  /** One entry per book (only the length is used). */
  readonly books: ArrayLike<unknown>;
  submit(book: number, side: number, type: number, priceTicks: number, qty: number, account: number): number;
  cancel(orderId: number, reason?: number): number;
  setLastPrice(book: number, priceTicks: number): void;
  snapshot(): unknown;
}
