/**
 * The ingest hot path: one WebSocket frame in (a JSON tick, a JSON array of ticks or a
 * binary batch), every tick validated and applied to MarketState or rejected with a
 * reason, then one MarketUpdate per touched symbol published (conflated within the frame).
 * Synchronous per frame: nothing is buffered between frames.
 *
 * A valid tick whose timestamp is more than `maxAheadMs` ahead of this server's clock (read once
 * per frame) is refused with PRT_ERR_TIMESTAMP_AHEAD and not applied: applied, it would open a
 * bar in the future and every later tick of the symbol would count as late until the clock got
 * there. Ticks behind the clock are accepted as before (late ticks are the bars' business).
 *
 * Per tick nothing is allocated beyond what JSON.parse builds (the binary path allocates
 * nothing per tick); rejections allocate their problem. Latency = from the frame handed
 * over by the WebSocket receiver to the last update published, recorded in microseconds.
 */
import { performance } from 'node:perf_hooks';
import {
  type InstrumentTable,
  ProtocolErrorCode,
  TickBatchReader,
  type TickProblem,
  ValidTick,
  validateTick,
  validateTickFields,
} from '@tickstorm/protocol';
import type { Bus } from '../bus/bus.ts';
import { Topic } from '../bus/topics.ts';
import type { LatencyHistogram } from '../stats/latency-histogram.ts';
import type { RateMeter } from '../stats/rate-meter.ts';
import type { MarketState } from './market-state.ts';

/** Receives what a frame asks the server to say back (the connection). */
export interface FrameSink {
  /** A rejected tick (`index` in an array or batch, -1 for a single tick or the whole frame). */
  onProblem(problem: TickProblem, index: number): void;
  /** `{"type":"sync","id"?:...}`: answer with an ack now. */
  onSync(id: unknown): void;
}

const TIME_ORIGIN = performance.timeOrigin;

export class TickProcessor {
  ticksReceived = 0;
  ticksProcessed = 0;
  ticksRejected = 0;
  framesReceived = 0;
  readonly rejectedByReason = new Map<string, number>();
  /** Counts of the frame processed last (read by the connection after each call). */
  frameReceived = 0;
  frameProcessed = 0;
  frameRejected = 0;

  private readonly tick = new ValidTick();
  private readonly reader = new TickBatchReader();
  private readerVersion = -1;
  private batchBooks = new Int32Array(0);
  /** The UNKNOWN_SYMBOL problem of each unknown symbol of the current table, built once (badSymbol). */
  private unknownProblems: (TickProblem | undefined)[] = [];
  private readonly touched: Int32Array;
  private readonly touchedMark: Float64Array;
  private touchedCount = 0;
  private frameSeq = 0;
  /** Latest timestamp accepted in the current frame (epoch seconds): the clock + maxAheadMs. */
  private latestAccepted = Number.POSITIVE_INFINITY;
  private clockAtFrame = 0;

  constructor(
    private readonly instruments: InstrumentTable,
    private readonly state: MarketState,
    private readonly bus: Bus,
    private readonly latency: LatencyHistogram,
    private readonly rate: RateMeter,
    private readonly maxFrameBytes: number,
    /** How far ahead of this server's clock a tick timestamp may be (ms); 0 = not checked. */
    private readonly maxAheadMs = 0,
  ) {
    this.touched = new Int32Array(instruments.size);
    this.touchedMark = new Float64Array(instruments.size);
  }

  /** A frame over maxFrameBytes is rejected whole (and the frame closed). */
  private oversized(data: Buffer, sink: FrameSink, t0: number): boolean {
    if (data.length <= this.maxFrameBytes) return false;
    this.rejectFrame(this.tooLarge(data.length), sink);
    this.finishFrame(t0);
    return true;
  }

  processText(data: Buffer, sink: FrameSink): void {
    const t0 = performance.now();
    this.beginFrame();
    if (this.oversized(data, sink, t0)) return;
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch (err) {
      const problem = {
        code: ProtocolErrorCode.MALFORMED_JSON,
        message: `malformed JSON: ${(err as Error).message}`,
      };
      this.rejectFrame(problem, sink);
      this.finishFrame(t0);
      return;
    }
    if (Array.isArray(msg)) {
      for (let i = 0; i < msg.length; i++) this.jsonTick(msg[i], i, sink);
    } else if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'sync') {
      this.framesReceived--;
      sink.onSync((msg as { id?: unknown }).id);
      return;
    } else {
      this.jsonTick(msg, -1, sink);
    }
    this.finishFrame(t0);
  }

  processBinary(data: Buffer, sink: FrameSink): void {
    const t0 = performance.now();
    this.beginFrame();
    if (this.oversized(data, sink, t0)) return;
    const r = this.reader;
    const problem = r.read(data);
    if (problem !== null) {
      this.rejectFrame(problem, sink);
      this.finishFrame(t0);
      return;
    }
    if (r.tableVersion !== this.readerVersion) this.resolveTable();
    const books = this.batchBooks;
    const nSymbols = r.symbols.length;
    const list = this.instruments.list;
    const out = this.tick;
    for (let i = 0; i < r.count; i++) {
      this.frameReceived++;
      const k = r.symbolIndex(i);
      const book = k < nSymbols ? books[k] : -2;
      if (book < 0) {
        this.reject(this.badSymbol(k, book), i, sink);
        continue;
      }
      r.readInto(i, out);
      const p = validateTickFields(list[book], out) ?? this.ahead(out);
      if (p === null) this.apply(out);
      else this.reject(p, i, sink);
    }
    this.finishFrame(t0);
  }

  private jsonTick(value: unknown, index: number, sink: FrameSink): void {
    this.frameReceived++;
    const p = validateTick(value, this.instruments, this.tick) ?? this.ahead(this.tick);
    if (p === null) this.apply(this.tick);
    else this.reject(p, index, sink);
  }

  /** PRT_ERR_TIMESTAMP_AHEAD when `t` is further ahead of the clock than accepted, else null. */
  private ahead(t: ValidTick): TickProblem | null {
    if (!(t.timestamp > this.latestAccepted)) return null;
    const by = t.timestamp - this.clockAtFrame;
    return {
      code: ProtocolErrorCode.TIMESTAMP_AHEAD,
      field: 'timestamp',
      message:
        `timestamp ${t.timestamp} is ${by.toFixed(3)} s ahead of the server clock ` +
        `(at most ${this.maxAheadMs / 1000} s accepted): epoch seconds from a synchronised clock expected ` +
        '(a feed replayed ahead of real time: serve --max-tick-ahead MS, 0 = no check)',
    };
  }

  private apply(t: ValidTick): void {
    const b = t.book;
    this.state.apply(t);
    this.frameProcessed++;
    if (this.touchedMark[b] !== this.frameSeq) {
      this.touchedMark[b] = this.frameSeq;
      this.touched[this.touchedCount++] = b;
    }
  }

  private reject(problem: TickProblem, index: number, sink: FrameSink): void {
    this.frameRejected++;
    this.rejectedByReason.set(problem.code, (this.rejectedByReason.get(problem.code) ?? 0) + 1);
    sink.onProblem(problem, index);
  }

  /** A frame that does not decode counts as one received and one rejected tick. */
  private rejectFrame(problem: TickProblem, sink: FrameSink): void {
    this.frameReceived++;
    this.reject(problem, -1, sink);
  }

  private beginFrame(): void {
    if (this.maxAheadMs > 0) {
      this.clockAtFrame = Date.now() / 1000;
      this.latestAccepted = this.clockAtFrame + this.maxAheadMs / 1000;
    }
    this.frameSeq++;
    this.framesReceived++;
    this.frameReceived = 0;
    this.frameProcessed = 0;
    this.frameRejected = 0;
    this.touchedCount = 0;
  }

  private finishFrame(t0: number): void {
    this.ticksReceived += this.frameReceived;
    this.ticksProcessed += this.frameProcessed;
    this.ticksRejected += this.frameRejected;
    if (this.frameProcessed > 0) this.rate.add(this.frameProcessed, TIME_ORIGIN + t0);
    if (this.touchedCount > 0 && this.bus.hasSubscribers(Topic.MARKET_UPDATE)) {
      // epoch seconds with µs digits (not Date.now()'s whole ms), so subscribers can time updates in µs
      const now = (performance.timeOrigin + performance.now()) / 1000;
      for (let k = 0; k < this.touchedCount; k++) {
        this.bus.publish(Topic.MARKET_UPDATE, this.state.update(this.touched[k], now));
      }
    }
    for (let k = 0; k < this.touchedCount; k++) this.state.endFrame(this.touched[k]);
    this.latency.recordUs((performance.now() - t0) * 1000);
  }

  private resolveTable(): void {
    const symbols = this.reader.symbols;
    if (this.batchBooks.length < symbols.length) this.batchBooks = new Int32Array(symbols.length);
    for (let k = 0; k < symbols.length; k++) {
      this.batchBooks[k] = this.instruments.find(symbols[k])?.index ?? -1;
    }
    this.readerVersion = this.reader.tableVersion;
    this.unknownProblems = [];
  }

  private tooLarge(bytes: number): TickProblem {
    return {
      code: ProtocolErrorCode.FRAME_TOO_LARGE,
      message: `frame of ${bytes} bytes exceeds the limit of ${this.maxFrameBytes} bytes; split it`,
    };
  }

  private badSymbol(k: number, book: number): TickProblem {
    if (book === -2) {
      return {
        code: ProtocolErrorCode.MALFORMED_FRAME,
        field: 'symbol',
        message: `symbol index ${k} is outside the table of ${this.reader.symbols.length}`,
      };
    }
    // A batch of many ticks of one unknown symbol builds its message (the case hint) once.
    let problem = this.unknownProblems[k];
    if (problem === undefined) {
      const message = this.instruments.unknownSymbolMessage(this.reader.symbols[k]);
      problem = { code: ProtocolErrorCode.UNKNOWN_SYMBOL, field: 'symbol', message };
      this.unknownProblems[k] = problem;
    }
    return problem;
  }
}
