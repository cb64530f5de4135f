/**
 * Locust's "current" figures (stats.py: current_rps over about the last 10 s, response-time
 * percentiles over CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = 10 s): each second a swarm's
 * timeline closes carries them over its last 10 closed seconds (fewer at the start), and the
 * stats history CSV and the web UI's current percentiles show them, not the second's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { locustHistoryCsv } from '../src/report/locust-csv.ts';
import { CurrentWindow } from '../src/stats/current-window.ts';
import { Timeline } from '../src/stats/timeline.ts';

/** 12 seconds: second k has k+1 requests of (k+1) * 10 ms, the first of each failed. */
function run(): Timeline {
  const t = new Timeline(0, 1_700_000_000_000, 1);
  t.currentWindow = new CurrentWindow();
  for (let k = 0; k < 12; k++)
    for (let i = 0; i <= k; i++) t.record(k * 1e6 + 1000 + i, (k + 1) * 10_000, i !== 0);
  t.finish();
  return t;
}

test('each closed second carries the last 10 seconds: mean rates, percentiles of every response', () => {
  const s = run().slices;
  assert.equal(s.length, 12);
  // the first second: a window of one
  assert.deepEqual([s[0].current?.seconds, s[0].current?.requests, s[0].current?.failures], [1, 1, 1]);
  // second 4 (5 requests of 50 ms): seconds 0..4, 15 requests, mean 3/s; 5 failures, 1/s
  assert.equal(s[4].current?.requests, 3);
  assert.equal(s[4].current?.failures, 1);
  // second 11: seconds 2..11 (3..12 requests each, 75 in all): 7.5/s, failures 1/s
  const c = s[11].current!;
  assert.deepEqual([c.seconds, c.count, c.requests, c.failures], [10, 75, 7.5, 1]);
  // its median is that of the 75 responses (30..120 ms, more of the slow ones), not the second's 120 ms
  assert.equal(s[11].p50, 120);
  assert.ok(c.p50 >= 89 && c.p50 <= 91, `window median ${c.p50}`);
  assert.ok(c.max >= 119.9 && c.max <= 120.1);
});

test("the history CSV's Requests/s, Failures/s and percentiles are the window's", () => {
  const csv = locustHistoryCsv({ timeseries: run().slices } as never).split('\r\n');
  const head = csv[0].split(',');
  const last = csv[12].split(',');
  const col = (name: string) => last[head.indexOf(name)];
  assert.equal(col('Requests/s'), '7.500000');
  assert.equal(col('Failures/s'), '1.000000');
  assert.ok(Math.abs(Number(col('50%')) - 90) <= 1, col('50%'));
  assert.equal(col('Total Request Count'), '78');
});

test('a stats reset starts the window afresh', () => {
  const t = new Timeline(0, 1_700_000_000_000, 1);
  t.currentWindow = new CurrentWindow();
  for (let k = 0; k < 3; k++) t.record(k * 1e6 + 1, 10_000, true);
  t.advance(3e6);
  t.resetTotals();
  t.record(3e6 + 1, 20_000, true);
  t.record(3e6 + 2, 20_000, true);
  t.finish();
  const c = t.slices[3].current!;
  assert.deepEqual([c.seconds, c.requests, c.p50], [1, 2, 20]);
});

test("the web UI's current_response_time_percentiles are the window's", async () => {
  const { statsDocument } = await import('../src/swarm/web/stats-json.ts');
  const slices = run().slices;
  const view = {
    state: 'running',
    users: 1,
    result: {
      timeseries: slices,
      entries: [],
      failureRows: [],
      requests: 78,
      failures: 12,
      rps: 6.5,
      durationSec: 12,
      latency_ms: { min: 10, mean: 80, p50: 90, p90: 110, p95: 120, p99: 120, max: 120 },
    },
    exceptions: [],
    errors: [],
  };
  const doc = statsDocument(view as never);
  const p50 = doc.current_response_time_percentiles['response_time_percentile_0.5'];
  assert.ok(Math.abs(p50 - 90) <= 1, `p50 ${p50}`);
  assert.equal(doc.current_rps, 7.5);
});
