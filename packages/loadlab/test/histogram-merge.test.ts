import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addEncoded,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  hdrIndex,
  hdrValueAt,
  LatencyRecorder,
  newRequestEvent,
  RECORDER_LENGTH,
  RequestStats,
  type Timeline,
} from '@tickstorm/loadlab';
import { seededRandom } from '@tickstorm/protocol';

/** Deterministic latency samples (µs) spread over 1 µs .. ~100 s, heavy-tailed. */
function samples(n: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(Math.floor(10 ** (rnd() * 8)));
  return out;
}

test('the recorder layout is HdrHistogram’s: same counter for every value', () => {
  const h = createLatencyHistogram() as unknown as {
    countsArrayIndex(v: number): number;
    countsArrayLength: number;
  };
  assert.equal(h.countsArrayLength, RECORDER_LENGTH);
  for (const v of [
    0,
    1,
    2047,
    2048,
    2049,
    4095,
    4096,
    123_456,
    99_999_999,
    3_600_000_000,
    ...samples(5000, 7),
  ]) {
    assert.equal(hdrIndex(v), h.countsArrayIndex(v), `value ${v}`);
    assert.equal(hdrIndex(hdrValueAt(hdrIndex(v))), hdrIndex(v));
  }
});

test('merged recorders (sparse, across threads) equal one recorder over the same samples', () => {
  const all = samples(50_000, 1);
  const single = new LatencyRecorder();
  for (const v of all) single.record(v);
  const parts = [new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder()];
  all.forEach((v, i) => {
    parts[i % 3].record(v);
  });
  const merged = new LatencyRecorder();
  for (const p of parts) merged.addSparse(structuredClone(p.toSparse()));
  assert.deepEqual(merged.counts, single.counts);
  assert.equal(merged.count, single.count);
  assert.equal(merged.sumUs, single.sumUs);
  assert.equal(merged.minUs, single.minUs);
  assert.equal(merged.maxUs, single.maxUs);
  const a = merged.toHistogram();
  const b = single.toHistogram();
  for (const p of [0, 1, 25, 50, 90, 95, 99, 99.9, 99.99, 100])
    assert.equal(a.getValueAtPercentile(p), b.getValueAtPercentile(p));
  assert.equal(a.mean, b.mean);
  assert.equal(encodeHistogram(a), encodeHistogram(b));
});

test('HdrHistograms merged through encode/decode equal a single histogram', () => {
  const all = samples(20_000, 2);
  const single = createLatencyHistogram();
  for (const v of all) single.recordValue(v);
  const left = createLatencyHistogram();
  const right = createLatencyHistogram();
  all.forEach((v, i) => {
    (i % 2 === 0 ? left : right).recordValue(v);
  });
  const merged = decodeHistogram(encodeHistogram(left));
  addEncoded(merged, encodeHistogram(right));
  assert.equal(merged.totalCount, single.totalCount);
  for (const p of [1, 50, 90, 99, 99.9, 100])
    assert.equal(merged.getValueAtPercentile(p), single.getValueAtPercentile(p));
  assert.equal(encodeHistogram(merged), encodeHistogram(single));
});

test('RequestStats snapshots merge exactly: entries, statuses, failures, per-second series', () => {
  const startUs = 1_000_000;
  const single = new RequestStats({ startUs, startEpochMs: 1_700_000_000_000 });
  const threads = [0, 1].map(() => new RequestStats({ startUs, startEpochMs: 1_700_000_000_000 }));
  const raws = threads.map(() => [] as Parameters<Timeline['mergeRaw']>[0][]);
  threads.forEach((t, i) => {
    t.timeline.onRaw = (s) => raws[i].push(structuredClone(s));
  });
  const ev = newRequestEvent();
  const lat = samples(6000, 3);
  lat.forEach((v, i) => {
    ev.type = i % 3 === 0 ? 'POST' : 'GET';
    ev.name = i % 3 === 0 ? '/orders' : '/health';
    ev.latencyUs = v;
    ev.ok = i % 50 !== 0;
    ev.status = i % 100 === 0 ? 0 : ev.ok ? 200 : 503;
    ev.error = ev.ok ? null : ev.status === 0 ? 'ECONNRESET' : 'HTTP 503';
    ev.bytes = 10 + (i % 7);
    ev.timeUs = startUs + i * 1000; // 6 seconds
    single.record(ev);
    threads[i % 2].record(ev);
  });
  single.timeline.finish();
  for (const t of threads) t.timeline.finish();
  const merged = new RequestStats({ startUs, startEpochMs: 1_700_000_000_000, reporters: 2 });
  for (const t of threads) merged.merge(structuredClone(t.snapshot()));
  for (const r of raws) for (const s of r) merged.timeline.mergeRaw(s);
  merged.timeline.flush();
  assert.deepEqual(merged.snapshot(), single.snapshot());
  assert.deepEqual(merged.timeline.slices, single.timeline.slices);
  assert.equal(single.timeline.slices.length, 6);
  assert.equal(merged.requests, 6000);
  const rows = merged.failureRowList;
  assert.deepEqual(rows.map((r) => `${r.method} ${r.name} ${r.error}`).sort(), [
    'GET /health ECONNRESET',
    'GET /health HTTP 503',
    'POST /orders ECONNRESET',
    'POST /orders HTTP 503',
  ]);
});
