/**
 * Group commit for the metrics store: one INSERT in flight at a time; batches enqueued while
 * it runs are merged into the next INSERT (up to `maxRows`), so concurrent writers share one
 * transaction (and one WAL fsync) instead of queueing a commit each. Every caller's promise
 * settles when the INSERT holding its rows has committed or failed.
 */
import type { EncodedBatch } from './metric-encoder.ts';
import { NAME_SEPARATOR } from './metric-encoder.ts';

/** The rows of one INSERT: each column is the join of the merged batches' column strings. */
export interface MergedBatch {
  readonly rows: number;
  readonly time: string;
  readonly name: string;
  readonly value: string;
  readonly labels: string;
}

class Group {
  rows = 0;
  readonly time: string[] = [];
  readonly name: string[] = [];
  readonly value: string[] = [];
  readonly labels: string[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.done = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  add(b: EncodedBatch): void {
    this.rows += b.rows;
    this.time.push(b.time);
    this.name.push(b.name);
    this.value.push(b.value);
    this.labels.push(b.labels);
  }
  merged(): MergedBatch {
    return {
      rows: this.rows,
      time: this.time.join(','),
      name: this.name.join(NAME_SEPARATOR),
      value: this.value.join(','),
      labels: this.labels.join(NAME_SEPARATOR),
    };
  }
}

export class GroupCommitQueue {
  private readonly queue: Group[] = [];
  private inFlight: Group | null = null;
  private draining: Promise<void> | null = null;
  private committed = 0;

  constructor(
    private readonly write: (batch: MergedBatch) => Promise<void>,
    private readonly maxRows: number,
  ) {}

  /** Rows committed so far. */
  get committedRows(): number {
    return this.committed;
  }

  /** Queues `batch`; resolves with its row count once committed. */
  async enqueue(batch: EncodedBatch): Promise<number> {
    if (batch.rows === 0) return 0;
    let g = this.queue[this.queue.length - 1];
    if (g === undefined || g === this.inFlight || (g.rows > 0 && g.rows + batch.rows > this.maxRows)) {
      g = new Group();
      this.queue.push(g);
    }
    g.add(batch);
    this.draining ??= this.drain();
    await g.done;
    return batch.rows;
  }

  /** Resolves when everything queued so far has been committed (or has failed). */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  private async drain(): Promise<void> {
    await null; // `draining` must be set before this can finish
    for (let g = this.queue[0]; g !== undefined; g = this.queue[0]) {
      this.inFlight = g;
      try {
        await this.write(g.merged());
        this.committed += g.rows;
        g.resolve();
      } catch (err) {
        g.reject(err);
      }
      this.queue.shift();
    }
    this.inFlight = null;
    this.draining = null;
  }
}
