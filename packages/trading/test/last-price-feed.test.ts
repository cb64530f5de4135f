/**
 * LastPriceFeed: a turn's updates reach the engine as at most three prices, the turn's low
 * and high in the order they came and then its last, so a stop fires on a price traded
 * through even when the last price is back on the other side of its trigger.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LastPriceFeed } from '../src/system/last-price-feed.ts';

/** The prices applied for one turn of `pushes` ([last, low?, high?, highFirst?] on book 0). */
function applied(...pushes: [number, number?, number?, boolean?][]): number[] {
  const out: number[] = [];
  const feed = new LastPriceFeed(2, (book, ticks) => {
    assert.equal(book, 0);
    out.push(ticks);
  });
  for (const [last, low, high, highFirst] of pushes) feed.push(0, last, low, high, highFirst);
  feed.stop(); // drains the turn at once
  return out;
}

describe('LastPriceFeed', () => {
  it('one update: its low and high in their order, then its last; repeats left out', () => {
    assert.deepEqual(applied([100]), [100]);
    assert.deepEqual(applied([101, 99, 101]), [99, 101]); // down through 99, back up
    assert.deepEqual(applied([99, 99, 101, true]), [101, 99]); // up first, then down
    assert.deepEqual(applied([100, 99, 101]), [99, 101, 100]);
    assert.deepEqual(applied([99, 99, 101]), [99, 101, 99]);
  });

  it('several updates in a turn: the turn-wide extremes in the order reached, then the last', () => {
    assert.deepEqual(applied([100, 100, 100], [102, 102, 102], [101, 101, 101]), [100, 102, 101]);
    assert.deepEqual(applied([100, 97, 100], [103, 100, 103], [101, 101, 101]), [97, 103, 101]);
    assert.deepEqual(applied([103, 100, 103], [100, 97, 100]), [103, 97, 100]);
  });

  it('a publisher without extremes, or with nonsense ones, gives the last price only', () => {
    assert.deepEqual(applied([100, undefined, undefined]), [100]);
    assert.deepEqual(applied([100, 0, Number.NaN]), [100]);
    assert.deepEqual(applied([100, 101, 99]), [100]); // a low above the last, a high below it
  });
});
