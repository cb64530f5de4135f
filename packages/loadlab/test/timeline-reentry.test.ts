/** Timeline: a listener that flushes again while a merged second is being emitted sees each second once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder } from '../src/stats/recorder.ts';
import { Timeline } from '../src/stats/timeline.ts';

test('a re-entrant flush from onSlice emits every merged second exactly once, in order', () => {
  const t = new Timeline(0, 1_000_000, 2);
  const rec = new LatencyRecorder();
  rec.record(1000);
  // seconds 0..2 from one reporter only: they stay pending until the flush
  for (let k = 0; k < 3; k++) t.mergeRaw({ k, requests: 1, failures: 0, active: 1, latency: rec.toSparse() });
  const seen: number[] = [];
  t.onSlice = (s) => {
    seen.push(s.t);
    t.flush(); // what a live reader rebuilding its view during the final flush does
  };
  t.flush();
  assert.deepEqual(seen, [1000, 1001, 1002]);
  assert.equal(t.slices.length, 3);
});
