/**
 * Market-data users for `tickstorm swarm`, with request events of their own (`this.fire`,
 * Locust's `events.request.fire`): what they measure lands in the same statistics, reports,
 * thresholds and CSVs as HTTP requests.
 *
 * - MarketFeedUser (exactly one: fixedCount) streams a random walk of ticks for SYM0..SYM49
 *   into market data's ingest socket, 50 ticks per frame, 20 frames/s (1,000 ticks/s). Each
 *   frame is a TICK `feed_frame` event: the time to hand it to the socket. It gives the agent
 *   workload's analyses something to analyse (examples/trading-users.ts runs it too).
 * - MarketWatchUser subscribes to 10 symbols on the api's `/ws/metrics` and records every update
 *   as a WS `market_update` event whose latency is the update's age on arrival (now minus the
 *   update's `timestamp`: both clocks are this machine's when the system runs here).
 *
 *   tickstorm swarm -f examples/market-data-users.ts --headless -u 11 -r 11 -t 1m -H http://127.0.0.1:8000
 *
 * Market data's URL: env TICKSTORM_MARKET_DATA_URL, else the host of -H on market data's port
 * 5001 (-H http://10.0.0.5:8000 feeds ws://10.0.0.5:5001/stream), as an all-in-one serve has it.
 */
import { constantThroughput, tasks, User } from '@tickstorm/loadlab/swarm';
import WebSocket from 'ws';

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);

/** Market data beside the system -H names: the env's URL, else -H's host on port 5001. */
export function marketDataUrl(host: string): string {
  const env = process.env.TICKSTORM_MARKET_DATA_URL;
  if (env !== undefined && env !== '') return env.replace(/\/+$/, '');
  const u = new URL(host);
  u.port = '5001';
  return u.origin;
}

function open(url: string, signal: AbortSignal): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    signal.addEventListener('abort', () => ws.terminate(), { once: true });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

export class MarketFeedUser extends User {
  static fixedCount = 1;
  static tasks = tasks<MarketFeedUser>({ sendFrame: 1 });
  waitTime = constantThroughput(20);
  private ws: WebSocket | null = null;
  private readonly prices = SYMBOLS.map(() => 100);

  async onStart(): Promise<void> {
    this.ws = await open(`${marketDataUrl(this.host).replace(/^http/, 'ws')}/stream`, this.signal);
  }

  async sendFrame(): Promise<void> {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now() / 1000;
    const frame = SYMBOLS.map((symbol, i) => {
      const step = Math.round((this.random() - 0.5) * 20) / 100;
      this.prices[i] = Math.max(1, Math.round((this.prices[i] + step) * 100) / 100);
      return { type: 'tick', symbol, price: this.prices[i], volume: 100, timestamp: now };
    });
    const text = JSON.stringify(frame);
    const t0 = performance.now();
    await new Promise<void>((resolve) =>
      ws.send(text, (err) => {
        this.fire({
          type: 'TICK',
          name: 'feed_frame',
          responseTimeMs: performance.now() - t0,
          responseLength: text.length,
          exception: err ?? null,
        });
        resolve();
      }),
    );
  }

  onStop(): void {
    this.ws?.close();
  }
}

export class MarketWatchUser extends User {
  static weight = 1;
  static tasks = tasks<MarketWatchUser>({ ping: 1 });
  waitTime = constantThroughput(1);
  private ws: WebSocket | null = null;

  async onStart(): Promise<void> {
    const ws = await open(`${this.host.replace(/^http/, 'ws')}/ws/metrics`, this.signal);
    this.ws = ws;
    ws.on('message', (data) => {
      const text = String(data);
      if (text === 'pong') return;
      const m = JSON.parse(text) as { type: string; timestamp?: number; message?: string };
      if (m.type === 'update' && m.timestamp !== undefined) {
        this.fire({
          type: 'WS',
          name: 'market_update',
          responseTimeMs: performance.timeOrigin + performance.now() - m.timestamp * 1000,
          responseLength: text.length,
        });
      } else if (m.type === 'error') {
        this.fire({
          type: 'WS',
          name: 'market_update',
          responseTimeMs: 0,
          exception: m.message ?? 'error frame',
        });
      }
    });
    const first = Math.floor(this.random() * SYMBOLS.length);
    const mine = Array.from({ length: 10 }, (_, k) => SYMBOLS[(first + k) % SYMBOLS.length]);
    ws.send(JSON.stringify({ action: 'subscribe', symbols: mine }));
  }

  async ping(): Promise<void> {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send('ping');
  }

  onStop(): void {
    this.ws?.close();
  }
}
