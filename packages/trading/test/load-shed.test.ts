/**
 * The order-entry shedding rule (guards/load-shed.ts) on a manual clock: an order is refused
 * when the loop is already past the probe's due time by more than maxQueueMs (maxLagMs in
 * sustained overload: consecutive late probes, held after the last).
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

test('sustained lag: after consecutive late probes the threshold drops to maxLagMs, held holdMs after the last late probe', () => {
  const c = clocked({ maxLagMs: 50, consecutive: 3, holdMs: 200, maxQueueMs: 100 });
  c.probeAfter(10 + 60);
  c.probeAfter(10 + 60);
  assert.equal(c.shed.shedding, false, 'two late probes: not yet');
  c.advance(70); // 60 ms past due: under maxQueueMs
  assert.equal(c.shed.refuse(), false);
  c.probeAfter(0); // the third late probe
  assert.equal(c.shed.shedding, true);
  c.advance(30); // 20 ms past due: taken even in sustained overload (read early in its iteration)
  assert.equal(c.shed.refuse(), false);
  c.advance(40); // 60 ms past due: refused now (over maxLagMs)
  assert.equal(c.shed.refuse(), true);
  assert.equal(c.shed.shedLate, 0, 'counted as sustained');
  c.probeAfter(0); // late again: the hold restarts
  for (let i = 0; i < 19; i++) c.probeAfter(10); // 190 ms of on-time probes
  assert.equal(c.shed.shedding, true, 'still within the hold');
  c.probeAfter(10);
  c.probeAfter(10);
  assert.equal(c.shed.shedding, false, 'past the hold with on-time probes');
  c.advance(70); // 60 ms past due: under maxQueueMs again
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
