/**
 * Newline-framed JSON over a TCP socket: the master/worker link. `send(obj)` writes one
 * JSON document and a newline; every complete line received is parsed and emitted as
 * 'message'. A line longer than `maxLineBytes` (MAX_LINE_BYTES unless the owner lowers it,
 * as the master does until a worker said hello), or one that is not a JSON object with a
 * string "t", ends the link ('close' with the reason); so does the socket closing or
 * failing. Only the bytes that arrived are searched for the newline, so a long line costs
 * linear time.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** A final snapshot of thousands of request names stays far below this. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineChannel<In, Out> extends EventEmitter<{
  message: [In];
  close: [string];
}> {
  private buf = '';
  /** How far `buf` is known to hold no newline. */
  private scanned = 0;
  private closed = false;
  /** A line longer than this ends the link. */
  maxLineBytes = MAX_LINE_BYTES;

  constructor(readonly socket: Socket) {
    super();
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.end(e.message));
    socket.on('close', () => this.end('connection closed'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(m: Out): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(`${JSON.stringify(m)}\n`);
  }

  /** Flushes what was sent, then closes. */
  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  destroy(reason: string): void {
    this.end(reason);
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    if (this.closed) return;
    this.buf += chunk;
    let nl = this.buf.indexOf('\n', this.scanned);
    while (nl >= 0 && !this.closed) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.length > this.maxLineBytes) {
        this.destroy(`a message over ${this.maxLineBytes} bytes`);
        return;
      }
      if (line.length > 0) {
        let m: unknown;
        try {
          m = JSON.parse(line);
        } catch {
          this.destroy('a message that is not JSON');
          return;
        }
        if (typeof m !== 'object' || m === null || typeof (m as { t?: unknown }).t !== 'string') {
          this.destroy('a message that is not a JSON object with a "t"');
          return;
        }
        this.emit('message', m as In);
      }
      nl = this.buf.indexOf('\n');
    }
    this.scanned = this.buf.length;
    if (this.buf.length > this.maxLineBytes) this.destroy(`a message over ${this.maxLineBytes} bytes`);
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}
