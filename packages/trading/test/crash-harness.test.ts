/**
 * The crash harness, quick form (the long form: packages/trading/bench/crash.bench.ts): a
 * real `tickstorm serve execution-engine` killed with SIGKILL at random moments while
 * limit, market and stop orders and cancels with clientOrderIds flow over several
 * connections. Nothing acknowledged is lost or goes back in state after a restart, the
 * recovered state hash equals a fresh replay of the journal, and a simulated power loss
 * (active logs cut at their last fdatasync) keeps every acknowledged order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCrashHarness } from '../bench/crash-harness.ts';

describe('crash harness (quick form)', () => {
  test('kill -9 cycles lose no acknowledged order', { timeout: 180_000 }, async () => {
    const res = await runCrashHarness({
      cycles: 3,
      rate: 400,
      connections: 4,
      runMs: [300, 1200],
      seed: 7,
      snapshotMs: 500,
    });
    assert.deepEqual(res.failures, []);
    assert.equal(res.cycles, 3);
    assert.ok(res.acknowledged > 100, `${res.acknowledged} orders acknowledged`);
    assert.equal(res.lost, 0);
    assert.equal(res.lostPowerLoss, 0);
    assert.equal(res.hashMismatches, 0);
    assert.ok(res.duplicateChecks > 0);
  });
});
