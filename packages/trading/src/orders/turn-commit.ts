/**
 * Group commit per event-loop turn: every order a shard matched during one turn waits for
 * the same `flush()` of the shard's input log, run once in the check phase (setImmediate),
 * after the poll phase has handed over every request that was ready. Without it each order
 * paid its own write() of a one-record batch (measured ~14% of the execution engine's busy
 * time at ~11k orders/s, see packages/trading/bench/orders-http.bench.ts). An order is
 * still answered only after the batch holding it was written (and fsynced when configured).
 */

export interface Flushable {
  flush(): Promise<void>;
}

export class TurnCommit {
  /** A failed flush is retried after this long (the target keeps what it could not write). */
  static retryMs = 1000;
  private pending: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private resolve: (() => void) | null = null;
  private reject: ((err: unknown) => void) | null = null;

  constructor(private readonly target: Flushable) {}

  /** Resolves once the target's flush of this turn has completed. */
  wait(): Promise<void> {
    if (this.pending === null) {
      this.pending = new Promise<void>((resolve, reject) => {
        this.resolve = resolve;
        this.reject = reject;
      });
      setImmediate(this.commit);
    }
    return this.pending;
  }

  private readonly commit = (): void => {
    const resolve = this.resolve!;
    const reject = this.reject!;
    this.pending = this.resolve = this.reject = null;
    const failed = (err: unknown) => {
      reject(err);
      this.retry ??= setTimeout(() => {
        this.retry = null;
        this.wait().catch(() => {});
      }, TurnCommit.retryMs).unref();
    };
    try {
      this.target.flush().then(resolve, failed);
    } catch (err) {
      failed(err);
    }
  };
}
