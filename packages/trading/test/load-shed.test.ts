/**
 * The order-entry shedding rule (guards/load-shed.ts) on a manual clock: sustained lag
 * (consecutive late probes, held after the last), and a request's own wait (the loop already
 * past the probe's due time by more than maxQueueMs) refusing at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadShed } from '../src/guards/load-shed.ts';

function clocked(opts: Partial<ConstructorParameters<typeof LoadShed>[0]> = {}) {
  let t = 1_000;
  const shed = new LoadShed({ manual: true, now: () => t, ...opts });
  return {
    shed,
    /** Advances the clock by `ms`, then runs the probe (as the timer would, late by whatever passed). */
    probeAfter(ms: number) {
      t += ms;
      shed.probe();
    },
    advance(ms: number) {
      t += ms;
    },
  };
}

test('on time: nothing is refused', () => {
  const c = clocked();
  for (let i = 0; i < 20; i++) {
    c.probeAfter(10);
    c.advance(5);
    assert.equal(c.shed.refuse(), false);
  }
  assert.equal(c.shed.shed, 0);
});

test('one long iteration: orders handled past maxQueueMs are refused, the earlier ones taken; the next on-time iteration takes all', () => {
  const c = clocked({ maxQueueMs: 100 });
  c.probeAfter(10); // due again at +10
  c.advance(50); // 40 ms past due: waited less than 100 ms
  assert.equal(c.shed.refuse(), false);
  c.advance(70); // 110 ms past due
  assert.equal(c.shed.refuse(), true);
  assert.equal(c.shed.refuse(), true);
  assert.equal(c.shed.shed, 2);
  assert.equal(c.shed.shedLate, 2);
  assert.equal(c.shed.shedding, false, 'one late probe is not sustained overload');
  c.probeAfter(0); // the probe finally runs (late), then the loop is on time
  c.probeAfter(10);
  assert.equal(c.shed.refuse(), false);
});

test('sustained lag: consecutive late probes shed every order, held holdMs after the last late probe', () => {
  const c = clocked({ maxLagMs: 50, consecutive: 3, holdMs: 200, maxQueueMs: 1_000 });
  c.probeAfter(10 + 60);
  c.probeAfter(10 + 60);
  assert.equal(c.shed.shedding, false, 'two late probes: not yet');
  c.probeAfter(10 + 60);
  assert.equal(c.shed.shedding, true);
  assert.equal(c.shed.refuse(), true, 'refused although this iteration is on time');
  c.probeAfter(10); // on time, but within the hold
  assert.equal(c.shed.refuse(), true);
  for (let i = 0; i < 19; i++) c.probeAfter(10); // 200 ms since the last late probe
  assert.equal(c.shed.shedding, true, 'still within the hold');
  c.probeAfter(10);
  c.probeAfter(10);
  assert.equal(c.shed.shedding, false, 'past the hold with on-time probes');
  c.probeAfter(10);
  assert.equal(c.shed.refuse(), false);
});

test('a late probe between on-time ones resets the count', () => {
  const c = clocked({ maxLagMs: 50, consecutive: 3, maxQueueMs: 1_000 });
  c.probeAfter(70);
  c.probeAfter(70);
  c.probeAfter(10);
  c.probeAfter(70);
  assert.equal(c.shed.shedding, false);
});

test('stopped: nothing is refused any more', () => {
  const c = clocked({ maxQueueMs: 100 });
  c.advance(500);
  assert.equal(c.shed.refuse(), true);
  c.shed.stop();
  assert.equal(c.shed.refuse(), false);
});
