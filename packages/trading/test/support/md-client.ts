/**
 * Test helpers for the market-data service: a started service on port 0 and a `ws` client
 * that collects error frames and waits for sync acks (no sleeps: the server answers a
 * `{"type":"sync","id"}` after every earlier frame of the connection is processed).
 */
import { InstrumentTable } from '@tickstorm/protocol';
import WebSocket from 'ws';
import { type Bus, InProcessBus } from '../../src/bus/bus.ts';
import {
  type MarketDataService,
  type MarketDataServiceOptions,
  startMarketDataService,
} from '../../src/market-data/ingest-server.ts';

export interface Ack {
  type: 'ack';
  received: number;
  processed: number;
  rejected: number;
  suppressed?: number;
  id?: number;
}

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  field?: string;
  index?: number;
}

export async function startTestService(
  extra: Partial<MarketDataServiceOptions> = {},
): Promise<{ md: MarketDataService; bus: Bus; instruments: InstrumentTable }> {
  const instruments = extra.instruments ?? new InstrumentTable();
  const bus = extra.bus ?? new InProcessBus();
  const md = await startMarketDataService({ host: '127.0.0.1', port: 0, ...extra, instruments, bus });
  return { md, bus, instruments };
}

export class MdClient {
  readonly errors: ErrorFrame[] = [];
  readonly acks: Ack[] = [];
  private nextId = 1;
  private waiters = new Map<number, { resolve: (a: Ack) => void; reject: (e: Error) => void }>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as Ack | ErrorFrame;
      if (msg.type === 'error') this.errors.push(msg);
      else if (msg.type === 'ack') {
        this.acks.push(msg);
        const w = msg.id === undefined ? undefined : this.waiters.get(msg.id);
        if (w !== undefined) {
          this.waiters.delete(msg.id!);
          w.resolve(msg);
        }
      }
    });
    ws.on('close', () => {
      for (const w of this.waiters.values()) w.reject(new Error('closed before the sync ack'));
      this.waiters.clear();
    });
  }

  static open(url: string): Promise<MdClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new MdClient(ws)));
      ws.once('error', reject);
    });
  }

  static url(md: MarketDataService, query = ''): string {
    return `ws://127.0.0.1:${md.port}/stream${query}`;
  }

  send(data: string | Uint8Array | object): void {
    if (typeof data === 'string' || data instanceof Uint8Array) this.ws.send(data);
    else this.ws.send(JSON.stringify(data));
  }

  /** Sends a sync and resolves with its ack (all error frames of earlier frames arrived before it). */
  sync(): Promise<Ack> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ type: 'sync', id }));
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export function tick(symbol: string, price: number, volume = 100, timestamp = 1_732_280_000.5, more = {}) {
  return { type: 'tick', symbol, price, volume, timestamp, ...more };
}
