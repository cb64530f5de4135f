/**
 * Timeline: a reporter that joins at second K (a worker joining a running test) does not stall
 * the merged series. Seconds before K wait for the first reporters only, its raw slices of
 * seconds already summarised (or before K) are dropped, and its seconds from K on are awaited;
 * joins and drops in any order leave the series in order and complete.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyRecorder } from '../src/stats/recorder.ts';
import { type RawSlice, Timeline } from '../src/stats/timeline.ts';

const rec = new LatencyRecorder();
rec.record(1000);
/** A raw second with `requests` requests (each 1 ms). */
const raw = (k: number, requests: number): RawSlice => ({
  k,
  requests,
  failures: 0,
  active: 1,
  latency: requests === 0 ? new LatencyRecorder().toSparse() : rec.toSparse(),
});

/** The seconds summarised so far, as [k, requests]. */
function series(t: Timeline): [number, number][] {
  return t.slices.map((s) => [Math.round(s.t - t.startEpochMs / 1000), s.requests]);
}

test('a reporter joining at second K is awaited from K on; its empty past is dropped', () => {
  const t = new Timeline(0, 0, 1);
  t.mergeRaw(raw(0, 1));
  t.mergeRaw(raw(1, 1));
  assert.deepEqual(series(t), [
    [0, 1],
    [1, 1],
  ]);
  const late = t.addReporter(3);
  assert.equal(late.fromK, 3);
  // the newcomer's worker closes every second since the start at once: all empty
  for (let k = 0; k < 3; k++) late.merge(raw(k, 0));
  // seconds 0 and 1 went out already; second 2 still waits for the first reporter only
  assert.equal(t.slices.length, 2);
  t.mergeRaw(raw(2, 1));
  assert.deepEqual(series(t).at(-1), [2, 1], 'second 2: the first reporter alone, not 0 from the newcomer');
  // second 3 waits for both
  t.mergeRaw(raw(3, 1));
  assert.equal(t.slices.length, 3, 'second 3 waits for the newcomer');
  late.merge(raw(3, 2));
  assert.deepEqual(series(t).at(-1), [3, 3]);
  late.merge(raw(4, 2));
  t.mergeRaw(raw(4, 1));
  assert.deepEqual(series(t), [
    [0, 1],
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 3],
  ]);
});

test('a join below the seconds already out counts from the first one not out', () => {
  const t = new Timeline(0, 0, 2);
  for (let k = 0; k < 3; k++) {
    t.mergeRaw(raw(k, 1));
    t.mergeRaw(raw(k, 1));
  }
  const late = t.addReporter(1);
  assert.equal(late.fromK, 3);
  late.merge(raw(2, 5)); // a second already summarised: dropped
  t.mergeRaw(raw(3, 1));
  t.mergeRaw(raw(3, 1));
  assert.equal(t.slices.length, 3, 'second 3 waits for the newcomer');
  late.merge(raw(3, 1));
  assert.deepEqual(series(t), [
    [0, 2],
    [1, 2],
    [2, 2],
    [3, 3],
  ]);
});

test('joins, then drops, in any order: the series stays in order and complete', () => {
  // every order of: two late reporters join at seconds 2 and 4, then the first reporter, the
  // first late one and the second late one leave (at seconds 5, 6 and 7, in each permutation)
  const leavers = ['first', 'lateA', 'lateB'] as const;
  const orders: (typeof leavers)[number][][] = [];
  const permute = (rest: (typeof leavers)[number][], done: (typeof leavers)[number][]) => {
    if (rest.length === 0) orders.push(done);
    for (const x of rest)
      permute(
        rest.filter((y) => y !== x),
        [...done, x],
      );
  };
  permute([...leavers], []);
  assert.equal(orders.length, 6);
  for (const order of orders) {
    for (const joinOrder of [
      ['A', 'B'],
      ['B', 'A'],
    ]) {
      const t = new Timeline(0, 0, 1);
      const joins: Record<string, ReturnType<Timeline['addReporter']> | undefined> = {};
      const here = new Set(['first']);
      const expected: [number, number][] = [];
      const END = 9;
      for (let k = 0; k < END; k++) {
        // joins happen at the start of seconds 2 and 4 (each late reporter's first second)
        if (k === 2) {
          joins[`late${joinOrder[0]}`] = t.addReporter(k);
          here.add(`late${joinOrder[0]}`);
        }
        if (k === 4) {
          joins[`late${joinOrder[1]}`] = t.addReporter(k);
          here.add(`late${joinOrder[1]}`);
        }
        // a leaver at second 5 + i sends nothing from then on
        const leaving = order[k - 5];
        if (leaving !== undefined) {
          if (leaving === 'first') t.dropReporter();
          else joins[leaving]?.drop();
          here.delete(leaving);
        }
        let total = 0;
        // the late ones send their (empty) past first, as a new worker does, then second k
        for (const name of ['lateA', 'lateB'] as const) {
          const r = joins[name];
          if (r === undefined || !here.has(name)) continue;
          if (k === r.fromK) for (let j = 0; j < k; j++) r.merge(raw(j, 0));
          r.merge(raw(k, 2));
          total += 2;
        }
        if (here.has('first')) {
          t.mergeRaw(raw(k, 1));
          total += 1;
        }
        if (here.size > 0) expected.push([k, total]);
        const label = `leave ${order.join(',')}, join ${joinOrder.join(',')}, second ${k}`;
        // nothing stalls: every second with a reporter left is out as soon as they all sent it
        assert.deepEqual(series(t), expected, label);
      }
      t.flush();
      assert.deepEqual(series(t), expected);
    }
  }
});

test('a second pending when a late reporter leaves goes out with what the others sent', () => {
  const t = new Timeline(0, 0, 1);
  const late = t.addReporter(0);
  t.mergeRaw(raw(0, 1));
  assert.equal(t.slices.length, 0);
  late.drop();
  late.merge(raw(0, 5)); // after its drop: ignored
  assert.deepEqual(series(t), [[0, 1]]);
  late.drop(); // twice: no effect
  t.mergeRaw(raw(1, 1));
  assert.deepEqual(series(t), [
    [0, 1],
    [1, 1],
  ]);
});
