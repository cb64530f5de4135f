/**
 * Replays an input log into a matching engine: every command, in sequence order, exactly
 * as the live shard applied it. With a fresh engine the result is the same books, orders,
 * ids and fills as the engine that wrote the log (the engine is deterministic).
 */
import { CommandKind, CommandRecord } from './command-codec.ts';
import { readInputLog } from './input-log-reader.ts';

/** The part of MatchingEngine that replay (and a shard) drives. */
export interface CommandTarget {
  submit(book: number, side: number, type: number, priceTicks: number, qty: number, account: number): number;
  cancel(orderId: number, reason?: number): number;
  setLastPrice(book: number, priceTicks: number): void;
}

export interface ReplayStats {
  records: number;
  batches: number;
  firstSeq: number;
  lastSeq: number;
  tornBatches: number;
  tornBytes: number;
}

/** Applies one decoded command; returns the engine's result (order id / error, cancel result, or 0). */
export function applyCommand(engine: CommandTarget, c: CommandRecord): number {
  switch (c.kind) {
    case CommandKind.NEW_ORDER:
      return engine.submit(c.book, c.side, c.type, c.priceTicks, c.qty, c.account);
    case CommandKind.CANCEL:
      return engine.cancel(c.orderId, c.type);
    case CommandKind.SET_LAST_PRICE:
      engine.setLastPrice(c.book, c.priceTicks);
      return 0;
    // SET_LIMITS changes the risk limits only, not the engine.
    default:
      return 0;
  }
}

/**
 * Feeds every command of the log at `path` into `engine`. Commands with seq <= `afterSeq`
 * are skipped (to resume an engine restored up to that seq). Throws TRD_ERR_LOG_CORRUPT
 * on corruption; a torn final batch is not applied and is reported in the stats.
 */
export function replayLog(path: string, engine: CommandTarget, afterSeq = 0): ReplayStats {
  const reader = readInputLog(path);
  const rec = new CommandRecord();
  try {
    while (reader.next(rec)) if (rec.seq > afterSeq) applyCommand(engine, rec);
  } finally {
    reader.close();
  }
  return {
    records: reader.records,
    batches: reader.batches,
    firstSeq: reader.firstSeq,
    lastSeq: reader.lastSeq,
    tornBatches: reader.tornBatches,
    tornBytes: reader.tornBytes,
  };
}
