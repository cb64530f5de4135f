/**
 * Test helpers for the order-entry services over real sockets: a TradingSystem on ports 0
 * with a temporary data dir (removed on close), a keep-alive undici client that answers
 * {status, headers, body}, and a bounded poll (no fixed sleeps: every attempt is a request).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import type { ServiceName } from '../../src/config/service-config.ts';
import { TradingSystem, type TradingSystemOptions } from '../../src/system/trading-system.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies of many shapes, checked field by field
export type Json = any;

export interface Reply {
  status: number;
  headers: { get(name: string): string | null };
  body: Json;
}

/** A keep-alive HTTP/1.1 client; `close()` ends its sockets. */
export class Http {
  readonly agent = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  private closing: Promise<void> | null = null;

  async send(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    let payload: string | Uint8Array | undefined;
    const h: Record<string, string> = { ...headers };
    if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(url, { method, body: payload, headers: h, dispatcher: this.agent });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') === true && text.length > 0;
    return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : text };
  }

  get(url: string): Promise<Reply> {
    return this.send('GET', url);
  }

  post(url: string, body: unknown, headers?: Record<string, string>): Promise<Reply> {
    return this.send('POST', url, body, headers);
  }

  put(url: string, body: unknown): Promise<Reply> {
    return this.send('PUT', url, body);
  }

  delete(url: string): Promise<Reply> {
    return this.send('DELETE', url);
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.agent.close();
    return this.closing;
  }
}

export interface Fixture {
  sys: TradingSystem;
  http: Http;
  dir: string;
  url(service: ServiceName): string;
  /** Closes the client and the system, then removes the data dir. Idempotent. */
  close(): Promise<void>;
}

export const ZERO_PORTS = { 'market-data': 0, 'execution-engine': 0, 'risk-manager': 0, api: 0 } as const;

/** Starts every service on 127.0.0.1, ports 0, data and DuckDB file in a fresh temp dir. */
export async function startFixture(extra: Partial<TradingSystemOptions> = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-test-'));
  const sys = await TradingSystem.start({
    config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
    metricsPath: join(dir, 'metrics.duckdb'),
    // Most tests never query: no query process unless one does.
    queryProcessStart: 'first-query',
    ...extra,
  });
  const http = new Http();
  return {
    sys,
    http,
    dir,
    url: (s) => sys.url(s),
    async close() {
      await http.close();
      await sys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An order body; `price` null for market orders. */
export function order(
  symbol: string,
  side: 'buy' | 'sell',
  type: 'limit' | 'market' | 'stop',
  quantity: number,
  price: number | null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { symbol, side, type, quantity, price, ...extra };
}

/**
 * Calls `attempt` until it returns a value other than undefined, at most `tries` times
 * (each attempt does I/O, so this never spins); throws with `what` when it never does.
 */
export async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  tries = 2_000,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await attempt();
    if (v !== undefined) return v;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`gave up waiting for ${what} after ${tries} attempts`);
}

/** Asserts the contract's error body shape and returns its `error` object. */
export function codedError(r: Reply): { code: string; message: string; field?: string; reason?: string } {
  const e = r.body?.error;
  if (typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string') {
    throw new Error(
      `expected {"error":{"code","message"}} with HTTP ${r.status}, got ${JSON.stringify(r.body)}`,
    );
  }
  return e;
}
