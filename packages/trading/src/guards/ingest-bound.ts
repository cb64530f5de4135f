/**
 * The bound on POST /api/metrics: rows accepted but not yet committed to the store. A batch
 * that would pass `maxPendingRows` is refused at once with 503 TRD_ERR_INGEST_QUEUE_FULL +
 * Retry-After (nothing is accepted and then dropped: a 202 is only sent once the batch is
 * committed). The default, 1,000,000 rows, is about a second of the store's insert rate.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';

export class IngestBound {
  pendingRows = 0;
  refused = 0;
  constructor(readonly maxPendingRows = 1_000_000) {}

  /** Runs `insert` for `rows` rows if they fit; throws the coded 503 otherwise. */
  async run<T>(rows: number, insert: () => Promise<T>): Promise<T> {
    if (this.pendingRows > 0 && this.pendingRows + rows > this.maxPendingRows) {
      this.refused++;
      throw new TradingError(
        TradingErrorCode.INGEST_QUEUE_FULL,
        `metrics ingest queue full (${this.pendingRows} rows waiting for the store); retry later`,
      );
    }
    this.pendingRows += rows;
    try {
      return await insert();
    } finally {
      this.pendingRows -= rows;
    }
  }
}
