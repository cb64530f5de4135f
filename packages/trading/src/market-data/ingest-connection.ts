/**
 * One ingest WebSocket: hands each frame to the shared TickProcessor (synchronously, so
 * nothing queues between frames; ws pauses the socket when its receiver backs up), keeps
 * the connection's received/processed/rejected counters and talks back:
 *
 * - error frames `{"type":"error","code","message","field"?,"index"?}` for rejected ticks, at
 *   most `maxErrorFrames` per incoming frame: past them, one `PRT_ERR_TOO_MANY_ERRORS` frame at
 *   the end of the frame counts the rest by code (a batch of 32,000 bad ticks answered one by
 *   one held the event loop for half a second: 32,000 JSON.stringify and ws.send);
 * - acks `{"type":"ack","received","processed","rejected","id"?,"suppressed"?}`: immediately
 *   for `{"type":"sync","id"?}`, and every ack interval while ticks flow when `?ack=1`.
 *
 * Outgoing frames are bounded: while the socket holds more than `maxOutgoingBytes` unsent
 * bytes (a client that does not read), error frames and acks are suppressed and counted.
 */
import { ProtocolErrorCode, type TickProblem } from '@tickstorm/protocol';
import { type RawData, WebSocket } from 'ws';
import type { FrameSink, TickProcessor } from './tick-processor.ts';

/** Error frames answered one by one per incoming frame (the rest: one PRT_ERR_TOO_MANY_ERRORS). */
export const DEFAULT_MAX_ERROR_FRAMES = 100;

/** Counters shared by all connections of a service. */
export interface OutgoingCounters {
  errorFramesSent: number;
  framesSuppressed: number;
}

export class IngestConnection implements FrameSink {
  received = 0;
  processed = 0;
  rejected = 0;
  /** Error frames and acks not sent because the client did not read. */
  suppressed = 0;
  private ackedReceived = 0;
  private ackedRejected = 0;
  /** Error frames sent for the frame being processed. */
  private frameErrors = 0;
  /** Rejections of the frame being processed past maxErrorFrames, by code (null: none). */
  private unanswered: Map<string, number> | null = null;

  constructor(
    readonly ws: WebSocket,
    private readonly processor: TickProcessor,
    readonly periodicAcks: boolean,
    private readonly maxOutgoingBytes: number,
    private readonly counters: OutgoingCounters,
    private readonly maxErrorFrames = DEFAULT_MAX_ERROR_FRAMES,
  ) {}

  /** The ws 'message' listener (bound once per connection). */
  readonly onMessage = (data: RawData, isBinary: boolean): void => {
    const p = this.processor;
    const buf = data as Buffer;
    this.frameErrors = 0;
    if (isBinary) p.processBinary(buf, this);
    else p.processText(buf, this);
    if (this.unanswered !== null) this.sendUnanswered();
    this.received += p.frameReceived;
    this.processed += p.frameProcessed;
    this.rejected += p.frameRejected;
  };

  onProblem(problem: TickProblem, index: number): void {
    if (this.frameErrors >= this.maxErrorFrames) {
      this.unanswered ??= new Map();
      this.unanswered.set(problem.code, (this.unanswered.get(problem.code) ?? 0) + 1);
      return;
    }
    this.frameErrors++;
    if (!this.canSend()) return;
    const frame = {
      type: 'error',
      code: problem.code,
      message: problem.message,
      field: problem.field,
      index: index >= 0 ? index : undefined,
    };
    this.ws.send(JSON.stringify(frame));
    this.counters.errorFramesSent++;
  }

  /** The one frame that counts the rejections of this frame past maxErrorFrames. */
  private sendUnanswered(): void {
    const byCode = this.unanswered!;
    this.unanswered = null;
    if (!this.canSend()) return;
    let count = 0;
    for (const n of byCode.values()) count += n;
    const frame = {
      type: 'error',
      code: ProtocolErrorCode.TOO_MANY_ERRORS,
      message: `${count} more ticks of this frame were rejected (the first ${this.maxErrorFrames} rejections have a frame each); all are counted in acks and GET /stats`,
      count,
      codes: Object.fromEntries(byCode),
    };
    this.ws.send(JSON.stringify(frame));
    this.counters.errorFramesSent++;
  }

  onSync(id: unknown): void {
    this.sendAck(id === undefined || id === null ? undefined : id);
  }

  /** Called by the service's ack timer: an ack when `?ack=1` and anything arrived since the last. */
  periodicAck(): void {
    if (!this.periodicAcks) return;
    if (this.received === this.ackedReceived && this.rejected === this.ackedRejected) return;
    this.sendAck(undefined);
  }

  private sendAck(id: unknown): void {
    if (!this.canSend()) return;
    this.ackedReceived = this.received;
    this.ackedRejected = this.rejected;
    let text = `{"type":"ack","received":${this.received},"processed":${this.processed},"rejected":${this.rejected}`;
    if (this.suppressed > 0) text += `,"suppressed":${this.suppressed}`;
    if (id !== undefined) text += `,"id":${safeJson(id)}`;
    this.ws.send(`${text}}`);
  }

  private canSend(): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount <= this.maxOutgoingBytes) return true;
    this.suppressed++;
    this.counters.framesSuppressed++;
    return false;
  }
}

/**
 * JSON of a client-supplied id, bounded (an id is echoed, never trusted to be small): longer
 * than 128 characters, or nested too deep for JSON.stringify (a RangeError that would otherwise
 * end the process), it is echoed as null.
 */
function safeJson(id: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(id);
  } catch {
    return 'null';
  }
  return s === undefined || s.length > 128 ? 'null' : s;
}
