/**
 * A shard in the calling thread: router -> sequencer (-> input log) -> engine -> result,
 * synchronously. The shard installs itself as the engine's listener to summarise what a
 * command did to its order (final status, filled qty and notional, trades) and forwards
 * every event to the listener it was given (or the engine's previous one).
 */
import { type EngineListener, NOOP_LISTENER, SubmitError } from '../book/engine-types.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { CommandKind, type CommandRecord, epochMicros } from '../sequencing/command-codec.ts';
import type { InputLogWriter } from '../sequencing/input-log-writer.ts';
import { Sequencer } from '../sequencing/sequencer.ts';
import type { Shard, ShardEngine } from './shard.ts';
import { ShardResult } from './shard-result.ts';

export interface LocalShardOptions {
  index?: number;
  /** Write-ahead input log; its sequencer numbers the commands. */
  log?: InputLogWriter;
  /** Used without a log (default: from 1). */
  sequencer?: Sequencer;
  /** Receives every engine event (default: the engine's listener at construction). */
  listener?: EngineListener;
  /** Set to each command's timestamp (epoch microseconds) before the engine applies it. */
  clock?: CommandClock;
}

/** The timestamp of the command being applied: what order records stamp their times with. */
export interface CommandClock {
  micros: number;
}

const TRACK_NEXT_NEW = -1;
const TRACK_ALL = -2;

export class LocalShard implements Shard, EngineListener {
  readonly index: number;
  readonly engine: ShardEngine;
  /** Replaced (same sequencer) when a journal rotates its active log at a snapshot. */
  log: InputLogWriter | null;
  readonly sequencer: Sequencer;
  readonly clock: CommandClock;
  /** Forward target for every engine event. */
  downstream: EngineListener;
  private readonly out = new ShardResult();
  /** Order id whose events the current command summarises (or TRACK_*; 0 = none). */
  private track = 0;

  constructor(engine: ShardEngine, opts: LocalShardOptions = {}) {
    this.index = opts.index ?? 0;
    this.engine = engine;
    this.log = opts.log ?? null;
    this.sequencer = this.log?.sequencer ?? opts.sequencer ?? new Sequencer();
    this.clock = opts.clock ?? { micros: 0 };
    this.downstream = opts.listener ?? (engine.listener === undefined ? NOOP_LISTENER : engine.listener);
    engine.listener = this;
  }

  submit(
    book: number,
    side: number,
    type: number,
    priceTicks: number,
    qty: number,
    account: number,
    accountName = '',
    clientOrderId = '',
    priceAsked = 0,
  ): ShardResult {
    const ts = this.log === null ? epochMicros() : this.log.now();
    const seq =
      this.log === null
        ? this.sequencer.next()
        : this.log.appendNewOrder(
            book,
            side,
            type,
            priceTicks,
            qty,
            account,
            ts,
            accountName,
            clientOrderId,
            priceAsked,
          );
    this.clock.micros = ts;
    const r = this.begin(CommandKind.NEW_ORDER, seq, TRACK_NEXT_NEW);
    const id = this.engine.submit(book, side, type, priceTicks, qty, account);
    r.result = id;
    if (id < 0) {
      r.status = OrderStatus.REJECTED;
      r.filledQty = r.filledNotional = r.remainingQty = r.trades = 0;
    }
    this.track = 0;
    return r;
  }

  /** `reason`: CancelReason USER (0: the same) or HALTED (the kill switch). */
  cancel(orderId: number, reason = 0): ShardResult {
    const ts = this.log === null ? epochMicros() : this.log.now();
    const seq = this.log === null ? this.sequencer.next() : this.log.appendCancel(orderId, ts, reason);
    this.clock.micros = ts;
    const r = this.begin(CommandKind.CANCEL, seq, orderId);
    r.result = this.engine.cancel(orderId, reason);
    this.track = 0;
    return r;
  }

  /** A bad book or price is refused before sequencing (result BAD_BOOK / BAD_PRICE, seq 0). */
  setLastPrice(book: number, priceTicks: number): ShardResult {
    if (!(book >= 0 && book < this.engine.books.length) || (book | 0) !== book) {
      return this.refuse(CommandKind.SET_LAST_PRICE, SubmitError.BAD_BOOK);
    }
    if (!(priceTicks > 0) || !Number.isSafeInteger(priceTicks)) {
      return this.refuse(CommandKind.SET_LAST_PRICE, SubmitError.BAD_PRICE);
    }
    const ts = this.log === null ? epochMicros() : this.log.now();
    const seq = this.log === null ? this.sequencer.next() : this.log.appendSetLastPrice(book, priceTicks, ts);
    this.clock.micros = ts;
    const r = this.begin(CommandKind.SET_LAST_PRICE, seq, TRACK_ALL);
    this.engine.setLastPrice(book, priceTicks);
    r.result = 0;
    this.track = 0;
    return r;
  }

  /** Applies a decoded command (the seq in `c` is ignored: this shard assigns its own). */
  apply(c: CommandRecord): ShardResult {
    switch (c.kind) {
      case CommandKind.NEW_ORDER:
        return this.submit(c.book, c.side, c.type, c.priceTicks, c.qty, c.account);
      case CommandKind.CANCEL:
        return this.cancel(c.orderId, c.type);
      default:
        return this.setLastPrice(c.book, c.priceTicks);
    }
  }

  snapshot(): unknown {
    return this.engine.snapshot();
  }

  flush(): Promise<void> {
    return this.log === null ? Promise.resolve() : this.log.flush();
  }

  async close(): Promise<void> {
    if (this.log !== null) await this.log.close();
  }

  onTrade(
    book: number,
    makerId: number,
    takerId: number,
    priceTicks: number,
    qty: number,
    takerSide: number,
    makerAccount: number,
    takerAccount: number,
  ): void {
    const t = this.track;
    if (t === TRACK_ALL || (t > 0 && (makerId === t || takerId === t))) this.out.trades++;
    this.downstream.onTrade(book, makerId, takerId, priceTicks, qty, takerSide, makerAccount, takerAccount);
  }

  onOrderStatus(
    orderId: number,
    book: number,
    side: number,
    account: number,
    prevStatus: number,
    status: number,
    reason: number,
    filledQty: number,
    remainingQty: number,
    filledNotional: number,
  ): void {
    if (this.track === TRACK_NEXT_NEW && prevStatus === OrderStatus.NONE) this.track = orderId;
    if (orderId === this.track) {
      const r = this.out;
      r.status = status;
      r.filledQty = filledQty;
      r.remainingQty = remainingQty;
      r.filledNotional = filledNotional;
    }
    this.downstream.onOrderStatus(
      orderId,
      book,
      side,
      account,
      prevStatus,
      status,
      reason,
      filledQty,
      remainingQty,
      filledNotional,
    );
  }

  private refuse(kind: number, error: number): ShardResult {
    const r = this.begin(kind, 0, 0);
    r.result = error;
    return r;
  }

  private begin(kind: number, seq: number, track: number): ShardResult {
    const r = this.out;
    r.kind = kind;
    r.seq = seq;
    r.status = OrderStatus.NONE;
    r.filledQty = 0;
    r.filledNotional = 0;
    r.remainingQty = 0;
    r.trades = 0;
    this.track = track;
    return r;
  }
}
