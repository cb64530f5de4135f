/**
 * A real ws client for the api tests that records every text message and lets a test wait
 * for one matching a predicate (event driven, bounded by a timeout that fails the test).
 */
import type { Socket } from 'node:net';
import { type ClientOptions, WebSocket } from 'ws';

export interface WsMessage {
  text: string;
  /** Parsed JSON, or undefined for non-JSON text (e.g. `pong`). */
  json: Record<string, unknown> | undefined;
  /** performance.timeOrigin + performance.now() at receipt (epoch ms). */
  atMs: number;
}

interface Waiter {
  from: number;
  pred: (m: WsMessage) => boolean;
  resolve: (m: WsMessage) => void;
}

export class WsTestClient {
  readonly messages: WsMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Waiter[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = String(data);
      let json: Record<string, unknown> | undefined;
      try {
        const v: unknown = JSON.parse(text);
        json = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      const m: WsMessage = { text, json, atMs: performance.timeOrigin + performance.now() };
      this.messages.push(m);
      const idx = this.messages.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (idx >= w.from && w.pred(m)) {
          w.resolve(m);
          return false;
        }
        return true;
      });
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    });
    ws.on('error', () => {});
  }

  static async connect(url: string, opts?: ClientOptions): Promise<WsTestClient> {
    const ws = new WebSocket(url, opts);
    const client = new WsTestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(msg: string | object): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** The first message from index `from` on (default: any so far) matching `pred`. */
  waitFor(pred: (m: WsMessage) => boolean, timeoutMs = 5000, from = 0): Promise<WsMessage> {
    for (let i = from; i < this.messages.length; i++) {
      if (pred(this.messages[i])) return Promise.resolve(this.messages[i]);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms (${this.messages.length} received)`));
      }, timeoutMs);
      const waiter: Waiter = {
        from,
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Subscribes and waits for the `subscribed` replies. */
  async subscribe(...symbols: string[]): Promise<void> {
    const from = this.messages.length;
    this.send({ action: 'subscribe', symbols });
    for (const s of symbols) {
      await this.waitFor((m) => m.json?.type === 'subscribed' && m.json.symbol === s, 5000, from);
    }
  }

  updates(): Record<string, unknown>[] {
    return this.messages.filter((m) => m.json?.type === 'update').map((m) => m.json!);
  }

  /** The client's TCP socket (to stop reading: a stalled subscriber). */
  get socket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}

/** Polls `cond` every 5 ms until true (a bounded loop, not a sleep), failing after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
