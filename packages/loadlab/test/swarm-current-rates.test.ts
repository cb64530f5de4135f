/** The web UI's per-row current rates: growth over the last 10 s of polls, restarted by a reset. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EntryStats } from '../src/model/result.ts';
import { CurrentRates, currentRateKey } from '../src/swarm/web/current-rates.ts';

const row = (requests: number, failures: number, rps = 0): EntryStats => ({
  type: 'GET',
  name: '/x',
  requests,
  failures,
  rps,
  failuresPerSec: 0,
  latency_ms: { min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 },
  avgContentLength: 0,
  statusCounts: {},
});

test('current rates: period average at first, then growth over the last 10 s, reset on a drop', () => {
  const rates = new CurrentRates();
  const k = currentRateKey(row(0, 0));
  assert.deepEqual(rates.update([row(100, 0, 50)], 0).get(k), { rps: 50, fps: 0 });
  assert.deepEqual(rates.update([row(300, 10)], 2_000).get(k), { rps: 100, fps: 5 });
  rates.update([row(1_000, 10)], 9_000);
  // at 12 s the samples older than 10 s (t = 0) are dropped: growth since t = 2 s
  assert.deepEqual(rates.update([row(1_300, 30)], 12_000).get(k), { rps: 100, fps: 2 });
  // a reset: counts went down, the window starts again from this poll (period average)
  assert.deepEqual(rates.update([row(5, 0, 7)], 13_000).get(k), { rps: 7, fps: 0 });
  assert.deepEqual(rates.update([row(25, 0)], 15_000).get(k), { rps: 10, fps: 0 });
});
