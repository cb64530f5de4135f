/**
 * Metric rows between processes, for a DuckDB store (one writer: the api's process).
 *
 * RowForwarder, in a process without the store: the same `record`/`recordAt` as the
 * MetricsWriter (self metrics, market data's reporter and BarPersister write to it
 * unchanged), into a bounded buffer (default 65,536 rows; beyond it `recordAt` answers false
 * and counts a drop, as the writer's ring does), published every `intervalMs` (250 ms) as one
 * `Subject.METRIC_ROWS` message per batch of at most 4,096 rows:
 * `{from, seq, rows: [[timeMs, name, value, labels?], ...]}`.
 *
 * RowReceiver, in the api's process: every batch into the MetricsWriter. Counts rows and
 * batches received per sender, rows the writer refused (its ring full), and batches missed
 * (a gap in a sender's `seq`: the bus is at-most-once), so a test or an operator can prove
 * rows forwarded = rows received + rows lost, and where.
 */
import type { Bus } from '../bus/bus.ts';
import type { MetricLabels } from '../metrics-store/metric-record.ts';
import type { ClusterView } from './cluster-view.ts';
import { Subject } from './subjects.ts';

/** Senders listed in RowReceiverStats.bySender (the oldest dropped beyond; the totals keep counting). */
export const MAX_SENDERS = 256;

export type WireRow = [number, string, number, MetricLabels?];

export interface RowBatch {
  from: string;
  seq: number;
  rows: WireRow[];
}

export interface RowForwarderOptions {
  /**
   * Whether a receiver is there to take a batch (an api instance is live). Until it is, rows
   * are held (up to `capacity`): on an at-most-once bus a batch published before the api
   * subscribed would be lost (a process started before the api lost its first 250 ms of rows).
   */
  receiverUp?: () => boolean;
  capacity?: number;
  intervalMs?: number;
  batchRows?: number;
  clock?: () => number;
}

export interface RowForwarderStats {
  recorded: number;
  forwarded: number;
  batches: number;
  dropped: number;
  pending: number;
}

export class RowForwarder {
  private buf: WireRow[] = [];
  private seq = 0;
  private readonly capacity: number;
  private readonly receiverUp: (() => boolean) | undefined;
  private readonly batchRows: number;
  private readonly clock: () => number;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  readonly counts = { recorded: 0, forwarded: 0, batches: 0, dropped: 0 };

  constructor(
    private readonly bus: Bus,
    o: RowForwarderOptions = {},
  ) {
    this.receiverUp = o.receiverUp;
    this.capacity = o.capacity ?? 65_536;
    this.batchRows = o.batchRows ?? 4096;
    this.clock = o.clock ?? Date.now;
    this.timer = setInterval(() => this.flush(), o.intervalMs ?? 250);
    this.timer.unref();
  }

  record(name: string, value: number, labels?: MetricLabels): boolean {
    return this.recordAt(this.clock(), name, value, labels);
  }

  recordAt(timeMs: number, name: string, value: number, labels?: MetricLabels): boolean {
    if (this.closed || this.buf.length >= this.capacity) {
      this.counts.dropped++;
      return false;
    }
    this.buf.push(labels === undefined ? [timeMs, name, value] : [timeMs, name, value, labels]);
    this.counts.recorded++;
    return true;
  }

  /**
   * Publishes everything buffered (in batches), once a receiver is up and the bus connected
   * (`force`: at once, at close). A batch published while a NATS bus reconnects is lost (seen:
   * one to two per sender at each nats-server restart, `batchesMissed`): the rows wait instead.
   */
  flush(force = false): void {
    if (!force && this.bus.state() !== 'connected') return;
    if (!force && this.receiverUp !== undefined && !this.receiverUp()) return;
    while (this.buf.length > 0) {
      const rows = this.buf.length <= this.batchRows ? this.buf : this.buf.slice(0, this.batchRows);
      this.buf = rows === this.buf ? [] : this.buf.slice(this.batchRows);
      const batch: RowBatch = { from: this.bus.instanceId, seq: ++this.seq, rows };
      this.bus.publish(Subject.METRIC_ROWS, batch);
      this.counts.forwarded += rows.length;
      this.counts.batches++;
    }
  }

  stats(): RowForwarderStats {
    return { ...this.counts, pending: this.buf.length };
  }

  /** Publishes what is left and stops (the bus's close sends it). */
  close(): void {
    if (this.closed) return;
    this.flush(true);
    this.closed = true;
    clearInterval(this.timer);
  }
}

export interface RowSink {
  recordAt(timeMs: number, name: string, value: number, labels?: MetricLabels): boolean;
}

export interface RowReceiverStats {
  rowsReceived: number;
  batchesReceived: number;
  /** Rows the writer refused (its ring full, or an invalid row). */
  rowsRefused: number;
  /** Batches never seen (gaps in a sender's seq). */
  batchesMissed: number;
  bySender: Record<string, { rows: number; batches: number; lastSeq: number }>;
}

export class RowReceiver {
  private readonly st: RowReceiverStats = {
    rowsReceived: 0,
    batchesReceived: 0,
    rowsRefused: 0,
    batchesMissed: 0,
    bySender: {},
  };
  private readonly unsubscribe: () => void;

  constructor(bus: Bus, sink: RowSink) {
    this.unsubscribe = bus.subscribe<RowBatch>(Subject.METRIC_ROWS, (b) => this.take(b, sink));
  }

  private take(b: RowBatch, sink: RowSink): void {
    if (typeof b?.from !== 'string' || !Array.isArray(b.rows)) return;
    let s = this.st.bySender[b.from];
    if (s === undefined) {
      // One entry per sender instance; a restarted process is a new one: keep the newest MAX_SENDERS.
      const ids = Object.keys(this.st.bySender);
      if (ids.length >= MAX_SENDERS) delete this.st.bySender[ids[0]];
      s = this.st.bySender[b.from] = { rows: 0, batches: 0, lastSeq: 0 };
    }
    if (b.seq > s.lastSeq + 1) this.st.batchesMissed += b.seq - s.lastSeq - 1;
    s.lastSeq = Math.max(s.lastSeq, b.seq);
    s.batches++;
    this.st.batchesReceived++;
    for (const r of b.rows) {
      s.rows++;
      this.st.rowsReceived++;
      if (!Array.isArray(r) || !sink.recordAt(r[0], r[1], r[2], r[3])) this.st.rowsRefused++;
    }
  }

  stats(): RowReceiverStats {
    return { ...this.st, bySender: { ...this.st.bySender } };
  }

  close(): void {
    this.unsubscribe();
  }
}

/**
 * RowForwarderOptions.receiverUp for a process on a NATS bus: an api instance is live and was
 * heard since this process's bus last (re)connected. After a nats-server restart the api's last
 * beat from before it may be under 1.5 s old while the api has not subscribed again on the new
 * server; a beat heard since proves it has (a client subscribes again before it publishes).
 */
export function apiHeardSinceConnect(
  bus: Bus,
  view: ClusterView,
  now: () => number = () => performance.now(),
): () => boolean {
  let connectedAt = now();
  bus.onState((s) => {
    if (s === 'connected') connectedAt = now();
  });
  return () => {
    const since = now() - connectedAt;
    return view.live('api').some((s) => s.lastSeenMsAgo <= since);
  };
}
