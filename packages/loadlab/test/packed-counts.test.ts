/**
 * A run worker's part so far packs its recorders' counters (cheaper to build every 2 s than an
 * HdrHistogram): decoded, they are the recorder's own counters, so a master merges a packed
 * part exactly as an encoded report; text that is not packed counters is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeSparse, encodeRecorder, LatencyRecorder, packRecorder } from '@tickstorm/loadlab';

test('packed counters decode to the recorder’s own counters, as the HdrHistogram encoding does', () => {
  const r = new LatencyRecorder();
  for (let i = 0; i < 5000; i++) r.record(1 + ((i * 7919) % 3_600_000));
  r.record(3_600_000_000);
  const packed = packRecorder(r);
  assert.equal(packed.hdr, '');
  assert.equal(typeof packed.packed, 'string');
  const want = r.toSparse();
  for (const got of [decodeSparse(packed), decodeSparse(encodeRecorder(r))]) {
    assert.deepEqual([...got.idx], [...want.idx]);
    assert.deepEqual([...got.cnt], [...want.cnt]);
    assert.equal(got.count, want.count);
    assert.equal(got.sumUs, want.sumUs);
  }
  const empty = decodeSparse(packRecorder(new LatencyRecorder()));
  assert.equal(empty.idx.length, 0);
  assert.equal(empty.count, 0);
});

test('text that is not packed counters is refused', () => {
  const e = packRecorder(new LatencyRecorder());
  for (const packed of [
    '',
    'AQ==',
    Buffer.from([2, 5, 1, 0, 1]).toString('base64'),
    Buffer.from([1, 255]).toString('base64'),
  ])
    assert.throws(() => decodeSparse({ ...e, packed }), /packed counters/);
});
