/**
 * Gapless sequence numbers for one shard's input: 1, 2, 3, ... Resumes after the last
 * sequence number of an existing input log.
 */
import { existsSync } from 'node:fs';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { scanInputLog } from './input-log-reader.ts';

export class Sequencer {
  private nextSeq: number;

  /** `nextSeq` is the first number `next()` returns (default 1). */
  constructor(nextSeq = 1) {
    if (!Number.isSafeInteger(nextSeq) || nextSeq < 1) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `sequence numbers start at an integer >= 1, got ${nextSeq}`,
      );
    }
    this.nextSeq = nextSeq;
  }

  /** Assigns and returns the next sequence number. */
  next(): number {
    return this.nextSeq++;
  }

  /** The number the next call to `next()` returns. */
  peek(): number {
    return this.nextSeq;
  }

  /** The last number assigned (0 = none yet). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** A sequencer continuing after the last seq of the log at `path` (1 if absent or empty). */
  static fromLog(path: string): Sequencer {
    if (!existsSync(path)) return new Sequencer(1);
    return new Sequencer(scanInputLog(path).lastSeq + 1);
  }
}
