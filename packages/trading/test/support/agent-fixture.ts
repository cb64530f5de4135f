/**
 * Helpers for the agent endpoint tests: real ticks into market data over its ingest
 * WebSocket (synchronised with a sync ack, no sleeps), price series as one tick per bar, a
 * raw HTTP/1.1 exchange (to send a body only in part), a counter of the in-flight limiter's
 * acquisitions and releases with promises to await them, and a controllable promise.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { InFlightLimiter } from '../../src/guards/admission.ts';
import type { TradingSystem } from '../../src/system/trading-system.ts';
import { MdClient, tick } from './md-client.ts';

/** Base timestamp of the test series (epoch s, on a minute boundary). */
export const T0 = 1_732_280_040;

/** One tick per bar: close i at T0 + i x stepSeconds (+ 0.5 s inside the bar). */
export function barTicks(symbol: string, closes: readonly number[], stepSeconds: number, t0 = T0) {
  return closes.map((p, i) => tick(symbol, p, 10, t0 + i * stepSeconds + 0.5));
}

/** Sends the ticks over ws://.../stream and waits until market data has applied all of them. */
export async function feedTicks(sys: TradingSystem, ticks: readonly object[]): Promise<void> {
  const md = await MdClient.open(`ws://127.0.0.1:${sys.handles['market-data']!.port}/stream?ack=1`);
  try {
    md.send(ticks);
    const ack = await md.sync();
    assert.equal(ack.rejected, 0, JSON.stringify(md.errors));
    assert.equal(md.errors.length, 0);
  } finally {
    await md.close();
  }
}

/** Falling then one jump: SMA(5) crosses above SMA(20) on the last bar. */
export function crossUpCloses(): number[] {
  const out = Array.from({ length: 30 }, (_, i) => 100 - i * 0.1);
  out.push(110);
  return out;
}

/** Plain SMA of the last `n` values (the test's own arithmetic, independent of trading-signals). */
export function sma(values: readonly number[], n: number): number {
  const w = values.slice(-n);
  return w.reduce((a, b) => a + b, 0) / n;
}

/** A promise and its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `text` as is on a fresh connection to 127.0.0.1:`port` (e.g. a request whose
 * Content-Length promises more body than is sent) and parses the first response.
 * `closed` resolves when the socket has closed; `socket.destroy()` aborts the exchange.
 */
export async function rawHttp(
  port: number,
  text: string,
): Promise<{ socket: Socket; response: Promise<RawResponse>; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const response = new Promise<RawResponse>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve({
        status: Number(lines[0].split(' ')[1]),
        headers,
        body: buf.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('connection closed before a response')));
  });
  response.catch(() => {}); // tests that abort never read it
  socket.write(text);
  return { socket, response, closed };
}

/**
 * Counts the limiter's granted acquisitions and its releases (wrapping the instance's
 * methods); `acquisitions(n)` / `releases(n)` resolve once that many happened.
 */
export function trackSlots(limiter: InFlightLimiter) {
  const acquire = limiter.tryAcquire.bind(limiter);
  const release = limiter.release.bind(limiter);
  const counts = { acquired: 0, released: 0 };
  const waiters: { kind: 'acquired' | 'released'; n: number; resolve: () => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (counts[waiters[i].kind] >= waiters[i].n) waiters.splice(i, 1)[0].resolve();
    }
  };
  limiter.tryAcquire = () => {
    const ok = acquire();
    if (ok) counts.acquired++;
    check();
    return ok;
  };
  limiter.release = () => {
    counts.released++;
    release();
    check();
  };
  const wait = (kind: 'acquired' | 'released', n: number) =>
    new Promise<void>((resolve) => {
      waiters.push({ kind, n, resolve });
      check();
    });
  return {
    counts,
    acquisitions: (n: number) => wait('acquired', n),
    releases: (n: number) => wait('released', n),
    /** Every slot granted so far given back. */
    idle: () => wait('released', counts.acquired),
  };
}
