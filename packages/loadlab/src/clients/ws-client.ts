/**
 * A WebSocket client for load generation on top of `ws` (handshake, incoming frames, pings,
 * close). Two ways to send:
 *
 * - `sendFrame(prebuilt)`: PREBUILT zero-masked frames (ws-frames.ts) are copied into a
 *   coalescing chunk and written to the connection's socket as whole frames, one write per
 *   64 KB or per `flushMs` (default 1 ms): no per-frame header, mask or syscall. `ws`'s own
 *   control frames (pongs, close) are whole frames too, so the byte stream stays valid.
 * - `sendPayload(data)`: `ws.send` with the `generateMask` option returning the zero key,
 *   which makes `ws` skip masking (one header allocation per frame).
 *
 * Both honour backpressure: above `highWaterBytes` queued (socket buffer + chunk; for
 * `sendPayload`, ws.bufferedAmount) `blocked` is true and sends return false; `whenDrained`
 * calls back once the socket drained, so a generator never buffers without bound.
 */
import type net from 'node:net';
import WebSocket from 'ws';
import { type TlsOptions, tlsConnectOptions } from './tls-options.ts';
import type { PrebuiltFrame } from './ws-frames.ts';

export interface WsClientOptions {
  url: string;
  /** Bytes queued before `blocked` (default 1 MiB). */
  highWaterBytes?: number;
  /** Longest a frame waits in the coalescing chunk (ms, default 1; 0 = write at once). */
  flushMs?: number;
  /** Coalescing chunk size (default 64 KiB). */
  chunkBytes?: number;
  onMessage?: (data: WebSocket.RawData, isBinary: boolean) => void;
  /** wss: --insecure / --ca / client certificates. */
  tls?: TlsOptions;
}

const zeroMask = (mask: Uint8Array) => {
  mask[0] = mask[1] = mask[2] = mask[3] = 0;
};

export class WsClient {
  framesSent = 0;
  ticksSent = 0;
  bytesSent = 0;
  private chunk: Buffer;
  private used = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly high: number;
  private readonly chunkBytes: number;
  private readonly flushMs: number;
  private closed = false;

  private constructor(
    readonly ws: WebSocket,
    readonly socket: net.Socket,
    o: WsClientOptions,
  ) {
    this.high = o.highWaterBytes ?? 1 << 20;
    this.chunkBytes = o.chunkBytes ?? 64 * 1024;
    this.flushMs = o.flushMs ?? 1;
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    socket.on('drain', this.onDrain);
    ws.on('close', () => {
      this.closed = true;
      this.onDrain();
    });
    if (o.onMessage) ws.on('message', o.onMessage);
  }

  static connect(o: WsClientOptions): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(o.url, {
        perMessageDeflate: false,
        generateMask: zeroMask,
        ...(o.url.startsWith('wss:') ? tlsConnectOptions(new URL(o.url).hostname, o.tls) : {}),
      });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => {}); // surfaces as 'close'
        const socket = (ws as unknown as { _socket: net.Socket })._socket;
        socket.setNoDelay(true);
        resolve(new WsClient(ws, socket, o));
      });
    });
  }

  /** Bytes waiting to be written (socket buffer + coalescing chunk). */
  get queuedBytes(): number {
    return this.socket.writableLength + this.used;
  }

  get blocked(): boolean {
    return this.closed || this.queuedBytes > this.high || this.ws.bufferedAmount > this.high;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Queues a prebuilt frame; false (nothing queued) when blocked or closed. */
  sendFrame(f: PrebuiltFrame): boolean {
    if (this.blocked) return false;
    const b = f.bytes;
    if (this.used + b.length > this.chunkBytes) this.flush();
    if (b.length > this.chunkBytes) this.socket.write(b);
    else {
      b.copy(this.chunk, this.used);
      this.used += b.length;
      if (this.flushMs === 0) this.flush();
      else if (this.flushTimer === undefined) this.flushTimer = setTimeout(this.flush, this.flushMs);
    }
    this.framesSent++;
    this.ticksSent += f.ticks;
    this.bytesSent += b.length;
    return true;
  }

  /** Sends through ws.send (zero mask); false when blocked or closed. */
  sendPayload(data: string | Buffer, ticks = 1): boolean {
    if (this.blocked) return false;
    this.flush(); // keep frame order with queued prebuilt frames
    this.ws.send(data, { binary: typeof data !== 'string', compress: false });
    this.framesSent++;
    this.ticksSent += ticks;
    this.bytesSent += data.length;
    return true;
  }

  /** Writes the coalescing chunk now. */
  readonly flush = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.used === 0 || this.closed) return;
    this.socket.write(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.used = 0;
  };

  /** Calls `cb` once the client is no longer blocked (or closed). */
  whenDrained(cb: () => void): void {
    this.drainWaiters.push(cb);
  }

  /**
   * Flushes, waits up to `waitMs` for the socket to write everything, then closes (a peer
   * that stopped reading is terminated instead of waited for).
   */
  async close(code = 1000, waitMs = 2000): Promise<void> {
    this.flush();
    const deadline = (ms: number, onTimeout: () => void) =>
      new Promise<void>((r) =>
        setTimeout(() => {
          onTimeout();
          r();
        }, ms).unref(),
      );
    if (!this.closed && this.socket.writableLength > 0) {
      const drained = new Promise<void>((r) => this.whenDrained(r));
      await Promise.race([drained, deadline(waitMs, () => this.ws.terminate())]);
    }
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      const closed = new Promise<void>((r) => this.ws.once('close', () => r()));
      this.ws.close(code);
      await Promise.race([closed, deadline(waitMs, () => this.ws.terminate())]);
    }
  }

  private readonly onDrain = (): void => {
    if (this.drainWaiters.length === 0) return;
    if (!this.closed && this.blocked) return;
    for (const cb of this.drainWaiters.splice(0)) cb();
  };
}
