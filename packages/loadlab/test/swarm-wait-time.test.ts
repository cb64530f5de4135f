/** Locust's wait_time helpers: ranges, pacing from the task's start, throughput, bad values. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@tickstorm/protocol';
import {
  between,
  constant,
  constant_pacing,
  constant_throughput,
  constantPacing,
  constantThroughput,
  nowSec,
} from '../src/swarm/wait-time.ts';

const user = (taskStartedSec = nowSec(), random = seededRandom(7)) => ({ random, taskStartedSec });

/**
 * A pacing wait counts from the clock: the time between the test's reading and the wait's own
 * is taken off it. That is microseconds on an idle box, but a preempted thread on a loaded one
 * loses 10 ms and more, so the bounds below are that measured time, not a fixed margin.
 */
function timed<T>(f: () => T): { value: T; tookSec: number } {
  const t0 = nowSec();
  const value = f();
  return { value, tookSec: nowSec() - t0 };
}
const EPS = 1e-9;

describe('wait_time helpers', () => {
  test('between(a, b): every wait in [a, b], mean near the middle, both ends reached', () => {
    const w = between(0.5, 1.5);
    const u = user();
    let sum = 0;
    let lo = 2;
    let hi = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = w(u);
      assert.ok(s >= 0.5 && s <= 1.5, `wait ${s}`);
      sum += s;
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
    }
    assert.ok(Math.abs(sum / 20_000 - 1) < 0.01, `mean ${sum / 20_000}`);
    assert.ok(lo < 0.51 && hi > 1.49, `range ${lo}..${hi}`);
  });

  test('constant(s) is s', () => {
    assert.equal(constant(2)(user()), 2);
    assert.equal(constant(0)(user()), 0);
  });

  test('constant_pacing(s): s minus the time the task took, never below 0', () => {
    const w = constantPacing(1);
    const { value: fast, tookSec } = timed(() => w(user(nowSec() - 0.25)));
    assert.ok(fast >= 0.75 - tookSec - EPS && fast <= 0.75, `after a 0.25 s task: ${fast}`);
    assert.equal(w(user(nowSec() - 3)), 0);
    assert.equal(constant_pacing, constantPacing);
  });

  test('constant_pacing counts from the previous call (Locust): time short of the last wait is added back', () => {
    const w = constantPacing(1);
    const t0 = nowSec();
    const u = user(t0 - 0.25);
    const first = w(u);
    const t1 = nowSec();
    // called again at once: the 0.75 s wait has not passed, so the period restarts after it
    const second = w(u);
    const t2 = nowSec();
    assert.ok(first >= 0.75 - (t1 - t0) - EPS && first <= 0.75, `first wait ${first}`);
    // at most t2 - t0 passed from the first call to the second
    assert.ok(second >= first + 1 - (t2 - t0) - EPS && second <= first + 1, `second wait ${second}`);
    // each user keeps its own pacing state
    const c = timed(() => w(user(nowSec())));
    assert.ok(c.value >= 1 - c.tookSec - EPS && c.value <= 1, `a new user: ${c.value}`);
  });

  test('constant_throughput(n) paces tasks 1/n s apart', () => {
    const w = constantThroughput(10);
    const { value: s, tookSec } = timed(() => w(user(nowSec())));
    assert.ok(s >= 0.1 - tookSec - EPS && s <= 0.1, `wait ${s}`);
    assert.equal(constant_throughput, constantThroughput);
  });

  test('bad values are refused with the helper named', () => {
    assert.throws(() => between(2, 1), /between\(2, 1\): the maximum is below the minimum/);
    assert.throws(() => between(-1, 1), /between needs a finite number of seconds >= 0/);
    assert.throws(() => constant(Number.NaN), /constant needs/);
    assert.throws(() => constantPacing(-0.1), /constant_pacing needs/);
    assert.throws(() => constantThroughput(0), /constant_throughput needs a finite rate > 0/);
  });
});
