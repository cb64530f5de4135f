/**
 * Property tests (fast-check): after EVERY command of arbitrary sequences the books are
 * uncrossed, levels aggregate their orders exactly, FIFO holds within a level, best
 * bid/ask are the true extremes, no triggerable stop is left pending, every event is a
 * legal transition, and quantity is conserved (see support/book-invariants.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import fc from 'fast-check';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { checkInvariants, LedgerListener } from './support/book-invariants.ts';
import { type Command, commandsArb, submitArgs } from './support/command-arbitraries.ts';

const instruments = new InstrumentTable([
  { symbol: 'A', tickSize: 0.01, lotSize: 1 },
  { symbol: 'B', tickSize: 0.25, lotSize: 1 },
]);

function run(cmds: Command[], ladderTicks: number): { ledger: LedgerListener; engine: MatchingEngine } {
  const ledger = new LedgerListener();
  const engine = new MatchingEngine(instruments, { listener: ledger, ladderTicks, initialCapacity: 16 });
  const ids: number[] = [];
  checkInvariants(engine, ledger);
  for (const c of cmds) {
    const args = submitArgs(c);
    if (args !== null) {
      const id = engine.submit(...args);
      assert.ok(id > 0, `submit ${JSON.stringify(c)} refused: ${id}`);
      ids.push(id);
    } else if (c.k === 'cancel') {
      if (ids.length > 0) engine.cancel(ids[c.pick % ids.length]);
    } else if (c.k === 'last') {
      engine.setLastPrice(c.book, c.price);
    }
    checkInvariants(engine, ledger);
  }
  return { ledger, engine };
}

describe('book invariants after every command', () => {
  for (const ladderTicks of [1024, 16_384]) {
    it(`hold for arbitrary command sequences (ladderTicks ${ladderTicks})`, () => {
      let trades = 0;
      fc.assert(
        fc.property(commandsArb(120), (cmds) => {
          trades += run(cmds, ladderTicks).ledger.trades;
        }),
        { numRuns: 1_000, seed: 7_700 + ladderTicks },
      );
      assert.ok(trades > 10_000, `only ${trades} trades`);
    });
  }

  it('hold on a long sequence that grows the pool and the far levels', () => {
    let maxCapacity = 0;
    let maxLevelIds = 0;
    fc.assert(
      fc.property(commandsArb(4_000, 2_000), (cmds) => {
        const { engine } = run(cmds, 1024);
        maxCapacity = Math.max(maxCapacity, engine.pool.capacity);
        for (const b of engine.books) maxLevelIds = Math.max(maxLevelIds, b.levels.head.length);
      }),
      // No shrinking here (thousands of commands would take minutes): the short sequences above shrink.
      { numRuns: 8, seed: 99, endOnFailure: true },
    );
    assert.ok(maxCapacity > 16, 'the pool never grew');
    assert.ok(maxLevelIds > 1024 + 16, 'the far levels never grew beyond their first 16');
  });
});
