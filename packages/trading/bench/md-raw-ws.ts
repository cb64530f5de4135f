/**
 * A minimal WebSocket client for load generation: the HTTP upgrade by hand, then frames
 * written straight into the TCP socket, many per `write` (so the generator spends its
 * core on ticks, not on one syscall per frame), and a parser for the server's
 * unmasked text frames (acks, errors).
 *
 * Client frames must be masked (RFC 6455 5.3); the mask key is 0, which is valid and makes
 * masking a no-op, so payload bytes are written as they are. The server still unmasks,
 * as it would for any client.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;

/** Bytes of a client frame header (incl. the 4-byte mask key) for a payload of `len`. */
export function frameHeaderBytes(len: number): number {
  return len < 126 ? 6 : len < 65_536 ? 8 : 14;
}

/** Writes a masked (key 0), final frame header into `out` at `off`; returns the payload offset. */
export function writeFrameHeader(out: Buffer, off: number, opcode: number, len: number): number {
  out[off++] = 0x80 | opcode;
  if (len < 126) {
    out[off++] = 0x80 | len;
  } else if (len < 65_536) {
    out[off++] = 0x80 | 126;
    out.writeUInt16BE(len, off);
    off += 2;
  } else {
    out[off++] = 0x80 | 127;
    out.writeUInt32BE(0, off);
    out.writeUInt32BE(len, off + 4);
    off += 8;
  }
  out.writeUInt32BE(0, off); // mask key 0
  return off + 4;
}

/** One whole frame (header + payload) as a new Buffer. */
export function frame(opcode: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frameHeaderBytes(payload.length) + payload.length);
  const at = writeFrameHeader(out, 0, opcode, payload.length);
  out.set(payload, at);
  return out;
}

export interface AckMessage {
  type: 'ack';
  received: number;
  processed: number;
  rejected: number;
  id?: number;
}

export class RawWs {
  private pending = Buffer.alloc(0);
  private nextId = 1;
  private waiters = new Map<number, (a: AckMessage) => void>();
  errors = 0;
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static connect(port: number, path: string, host = '127.0.0.1'): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host, noDelay: true });
      const key = randomBytes(16).toString('base64');
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        const status = head.subarray(0, end).toString('latin1').split('\r\n')[0];
        if (!/^HTTP\/1\.1 101/.test(status)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        const ws = new RawWs(socket);
        if (head.length > end + 4) ws.onData(head.subarray(end + 4));
        resolve(ws);
      };
      socket.on('data', onHead);
      socket.once('error', reject);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  }

  /** Sends `{"type":"sync","id"}` and resolves with the ack (after every earlier frame is processed). */
  sync(): Promise<AckMessage> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      this.socket.write(frame(OP_TEXT, Buffer.from(`{"type":"sync","id":${id}}`)));
    });
  }

  close(): void {
    this.socket.end(Buffer.from([0x88, 0x80, 0, 0, 0, 0]));
    this.socket.destroySoon();
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (buf.length < 2) break;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = buf.readUInt32BE(6);
        at = 10;
      }
      if (buf.length < at + len) break;
      if ((buf[0] & 0x0f) === OP_TEXT) this.onText(buf.toString('utf8', at, at + len));
      buf = buf.subarray(at + len);
    }
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private onText(text: string): void {
    const msg = JSON.parse(text) as AckMessage | { type: 'error' };
    if (msg.type === 'error') this.errors++;
    else if (msg.type === 'ack' && msg.id !== undefined) {
      const w = this.waiters.get(msg.id);
      this.waiters.delete(msg.id);
      w?.(msg);
    }
  }
}
