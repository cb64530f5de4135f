import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpscRing } from '../src/routing/ring-buffer.ts';

describe('SpscRing', () => {
  it('passes records in order across many wrap-arounds and reports full/empty', () => {
    const sab = SpscRing.allocate(4, 16);
    const producer = new SpscRing(sab, 16);
    const consumer = new SpscRing(sab, 16);
    assert.equal(consumer.peek(), -1);
    let sent = 0;
    let got = 0;
    for (let round = 0; round < 100; round++) {
      const burst = 1 + (round % 4);
      for (let i = 0; i < burst; i++) {
        const off = producer.claim();
        assert.ok(off >= 0);
        producer.view.setFloat64(off, sent++, true);
        producer.publish();
      }
      if (burst === 4) assert.equal(producer.claim(), -1, 'full at capacity');
      assert.equal(producer.inFlight(), burst);
      for (let off = consumer.peek(); off >= 0; off = consumer.peek()) {
        assert.equal(consumer.view.getFloat64(off, true), got++);
        consumer.release();
      }
    }
    assert.equal(got, sent);
    assert.equal(producer.inFlight(), 0);
  });

  it('rejects a capacity that is not a power of two', () => {
    assert.throws(() => new SpscRing(new SharedArrayBuffer(192 + 3 * 16), 16), RangeError);
  });

  it('waitSync returns at once when a record is already there, and after the timeout otherwise', () => {
    const sab = SpscRing.allocate(2, 8);
    const p = new SpscRing(sab, 8);
    const c = new SpscRing(sab, 8);
    c.waitSync(1);
    assert.equal(c.peek(), -1);
    p.claim();
    p.publish();
    c.waitSync();
    assert.ok(c.peek() >= 0);
  });

  it('waitAsync is woken by publish', async () => {
    const sab = SpscRing.allocate(2, 8);
    const p = new SpscRing(sab, 8);
    const c = new SpscRing(sab, 8);
    const w = c.waitAsync();
    assert.ok(w !== null);
    p.claim();
    p.publish();
    assert.equal(await w, 'ok');
    c.doneWaiting();
    assert.ok(c.peek() >= 0);
    assert.equal(c.waitAsync(), null, 'already readable');
    c.doneWaiting();
  });
});
