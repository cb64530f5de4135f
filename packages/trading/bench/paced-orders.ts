/**
 * The order client of security.bench.ts: limit orders at a fixed rate, open loop (each
 * order's latency from its intended start, so a stalled server cannot hide its queue), over
 * keep-alive connections, signed with a key (one HMAC each) when given one.
 */
import { signRequest } from '@tickstorm/protocol';
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';

export interface Key {
  id: string;
  secret: string;
}

export function authHeaders(
  key: Key | undefined,
  method: string,
  path: string,
  body = '',
): Record<string, string> {
  if (key === undefined) return {};
  const ts = String(Date.now());
  return {
    'x-ts-key': key.id,
    'x-ts-timestamp': ts,
    'x-ts-signature': signRequest(key.secret, ts, method, path, body),
  };
}

let orderSeq = 0;
export function orderBody(): string {
  const n = orderSeq++;
  // Alternating buy/sell limit orders around 100 on a few symbols: positions stay small.
  const side = n % 2 === 0 ? 'buy' : 'sell';
  const price = side === 'buy' ? 99 + (n % 5) * 0.01 : 101 - (n % 5) * 0.01;
  return JSON.stringify({
    symbol: ['AAPL', 'MSFT', 'GOOGL'][n % 3],
    side,
    type: 'limit',
    quantity: 1,
    price,
  });
}

export interface PacedResult {
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The slowest order of each second of the run (ms): where in time the tail came from. */
  maxBySecondMs: number[];
}

export interface PacedOptions {
  /** Signs each request (one HMAC each). */
  key?: Key;
  /** Keep-alive connections of the pool made for the run (default 16). */
  connections?: number;
  timeoutMs?: number;
  /** A pool to use (kept open afterwards) instead of one made for the run. */
  pool?: Pool;
  /**
   * The first order is due this long after the start (default 0): two runs started together
   * at the same rate, one of them half a period later, send in turn rather than at once.
   */
  phaseMs?: number;
}

/**
 * Orders at `rate`/s for `seconds`, open loop (latency from each order's intended start),
 * over keep-alive connections.
 */
export async function pacedOrders(
  url: string,
  rate: number,
  seconds: number,
  opts: PacedOptions = {},
): Promise<PacedResult> {
  const { key, connections = 16, timeoutMs = 10_000, pool, phaseMs = 0 } = opts;
  const p = pool ?? new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const statuses: Record<string, number> = {};
  let errors = 0;
  const total = Math.round(rate * seconds);
  const maxBySecond = new Array<number>(Math.ceil(seconds)).fill(0);
  const start = performance.now() + phaseMs;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    const body = orderBody();
    const headers = { 'content-type': 'application/json', ...authHeaders(key, 'POST', '/orders', body) };
    pending.push(
      p
        .request({
          method: 'POST',
          path: '/orders',
          body,
          headers,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        .then(async (r) => {
          await r.body.dump();
          let k = String(r.statusCode);
          if (r.statusCode === 503 || r.statusCode === 429)
            k += r.headers['retry-after'] === undefined ? '' : '+RA';
          statuses[k] = (statuses[k] ?? 0) + 1;
          const ms = performance.now() - due;
          h.recordValue(Math.max(1, Math.round(ms * 1000)));
          const sec = Math.floor(i / rate);
          if (ms > maxBySecond[sec]) maxBySecond[sec] = ms;
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(pending);
  if (pool === undefined) await p.close();
  const r = {
    sent: total,
    statuses,
    errors,
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    maxMs: h.maxValue / 1000,
    maxBySecondMs: maxBySecond.map((v) => Math.round(v * 10) / 10),
  };
  h.destroy();
  return r;
}
