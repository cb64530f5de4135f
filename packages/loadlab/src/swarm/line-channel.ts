/**
 * Newline-framed JSON over a TCP socket: the master/worker link. `send(obj)` writes one
 * JSON document and a newline; every complete line received is parsed and emitted as
 * 'message'. A line longer than MAX_LINE_BYTES, or one that is not JSON, ends the link
 * ('close' with the reason); so does the socket closing or failing.
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
  private closed = false;

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
    this.buf += chunk;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0 && !this.closed) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line.length > 0) {
        let m: In;
        try {
          m = JSON.parse(line) as In;
        } catch {
          this.destroy('a message that is not JSON');
          return;
        }
        this.emit('message', m);
      }
      nl = this.buf.indexOf('\n');
    }
    if (this.buf.length > MAX_LINE_BYTES) this.destroy(`a message over ${MAX_LINE_BYTES} bytes`);
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}
