/**
 * Helpers for the agent endpoint tests: real ticks into market data over its ingest
 * WebSocket (synchronised with a sync ack, no sleeps) and price series as one tick per bar.
 */
import assert from 'node:assert/strict';
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
