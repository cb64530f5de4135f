/**
 * The order status transition table (every pair of the matrix, plus unknown codes) and
 * the status event sequences the matching engine reports for typical lifecycles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelResult } from '../src/book/engine-types.ts';
import { CancelReason, OrderType, Side } from '../src/domain/enums.ts';
import {
  canTransition,
  isTerminal,
  ORDER_STATUS_NAMES,
  OrderStatus as S,
  transition,
} from '../src/domain/order-status.ts';
import { TradingError, TradingErrorCode } from '../src/errors.ts';
import { Fixture } from './support/engine-fixture.ts';

const ALL = [S.NONE, S.NEW, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.REJECTED, S.PENDING];

/** The legal transitions, written out independently of the table under test. */
const LEGAL = new Set([
  'none->new',
  'none->pending',
  'none->rejected',
  'pending->new',
  'pending->cancelled',
  'new->partially_filled',
  'new->filled',
  'new->cancelled',
  'partially_filled->partially_filled',
  'partially_filled->filled',
  'partially_filled->cancelled',
]);

const name = (s: number) => ORDER_STATUS_NAMES[s];
const { NONE } = CancelReason;

function assertIllegal(from: number, to: number): void {
  assert.equal(canTransition(from, to), false, `${from} -> ${to} must be illegal`);
  assert.throws(
    () => transition(from, to),
    (err: unknown) => err instanceof TradingError && err.code === TradingErrorCode.ILLEGAL_TRANSITION,
    `${from} -> ${to} must throw TRD_ERR_ILLEGAL_TRANSITION`,
  );
}

describe('order status transition table', () => {
  it('has exactly the seven wire statuses', () => {
    assert.deepEqual(ALL.map(name), [
      'none',
      'new',
      'partially_filled',
      'filled',
      'cancelled',
      'rejected',
      'pending',
    ]);
  });

  it('accepts every legal transition and refuses every other pair of the 7 x 7 matrix', () => {
    let legal = 0;
    for (const from of ALL) {
      for (const to of ALL) {
        if (LEGAL.has(`${name(from)}->${name(to)}`)) {
          assert.equal(canTransition(from, to), true, `${name(from)} -> ${name(to)}`);
          assert.equal(transition(from, to), to);
          legal++;
        } else {
          assertIllegal(from, to);
        }
      }
    }
    assert.equal(legal, LEGAL.size);
  });

  it('the error names both statuses', () => {
    assert.throws(() => transition(S.FILLED, S.NEW), /filled -> new/);
  });

  it('refuses unknown status codes on either side (no aliasing into another row)', () => {
    for (const bad of [-7, -6, -1, 7, 8, 9, 13, 49, 255, 0.5, 6.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      for (const ok of ALL) {
        assertIllegal(bad, ok);
        assertIllegal(ok, bad);
      }
    }
  });

  it('terminal statuses are filled, cancelled and rejected, and have no way out', () => {
    for (const s of ALL) {
      const terminal = s === S.FILLED || s === S.CANCELLED || s === S.REJECTED;
      assert.equal(isTerminal(s), terminal, name(s));
      if (terminal) for (const to of ALL) assert.equal(canTransition(s, to), false);
    }
  });
});

describe('engine status events for typical lifecycles', () => {
  it('new -> partially_filled -> partially_filled -> filled for a resting maker', () => {
    const f = new Fixture();
    const maker = f.sell(100, 10, 7);
    f.buy(100, 3);
    f.buy(101, 3);
    f.market(Side.BUY, 4);
    assert.deepEqual(f.statusesOf(maker), [
      [S.NONE, S.NEW, NONE, 0, 10],
      [S.NEW, S.PARTIALLY_FILLED, NONE, 3, 7],
      [S.PARTIALLY_FILLED, S.PARTIALLY_FILLED, NONE, 6, 4],
      [S.PARTIALLY_FILLED, S.FILLED, NONE, 10, 0],
    ]);
    const last = f.rec.statuses().filter((s) => s.id === maker)[3];
    assert.deepEqual(
      [last.book, last.side, last.account, last.notional],
      [0, Side.SELL, 7, 1000],
      'book, side, account and notional (ticks x lots) of the event',
    );
  });

  it('a taker reports new first, then the trades with each maker status, then its own outcome', () => {
    const f = new Fixture();
    const m1 = f.sell(100, 2);
    const m2 = f.sell(101, 5);
    f.clear();
    const t = f.buy(101, 4);
    assert.deepEqual(
      f.rec.events.map((e) =>
        e.kind === 'trade' ? `trade ${e.makerId}` : `${e.id} ${name(e.prev)}->${name(e.status)}`,
      ),
      [
        `${t} none->new`,
        `trade ${m1}`,
        `${m1} new->filled`,
        `trade ${m2}`,
        `${m2} new->partially_filled`,
        `${t} new->filled`,
      ],
    );
    assert.equal(f.rec.statuses().at(-1)?.notional, 2 * 100 + 2 * 101);
  });

  it('a limit taker that partially fills rests as partially_filled, then is cancelled by the user', () => {
    const f = new Fixture();
    f.sell(100, 2);
    const t = f.buy(100, 5);
    assert.equal(f.engine.bestBid(0), 100);
    assert.equal(f.engine.cancel(t), CancelResult.CANCELLED);
    assert.deepEqual(f.statusesOf(t), [
      [S.NONE, S.NEW, NONE, 0, 5],
      [S.NEW, S.PARTIALLY_FILLED, NONE, 2, 3],
      [S.PARTIALLY_FILLED, S.CANCELLED, CancelReason.USER, 2, 3],
    ]);
  });

  it('new -> cancelled for a resting order cancelled by the user', () => {
    const f = new Fixture();
    const id = f.buy(99, 4);
    assert.equal(f.engine.cancel(id), CancelResult.CANCELLED);
    assert.deepEqual(f.statusesOf(id), [
      [S.NONE, S.NEW, NONE, 0, 4],
      [S.NEW, S.CANCELLED, CancelReason.USER, 0, 4],
    ]);
  });

  it('pending -> new -> filled for a stop', () => {
    const f = new Fixture();
    f.sell(100, 10);
    const stop = f.stop(Side.BUY, 100, 6);
    f.engine.setLastPrice(0, 100);
    assert.deepEqual(f.statusesOf(stop), [
      [S.NONE, S.PENDING, NONE, 0, 6],
      [S.PENDING, S.NEW, NONE, 0, 6],
      [S.NEW, S.FILLED, NONE, 6, 0],
    ]);
  });

  it('a market order with no liquidity: new -> cancelled (no_liquidity), never rests', () => {
    const f = new Fixture();
    const id = f.market(Side.SELL, 9);
    assert.ok(id > 0);
    assert.deepEqual(f.statusesOf(id), [
      [S.NONE, S.NEW, NONE, 0, 9],
      [S.NEW, S.CANCELLED, CancelReason.NO_LIQUIDITY, 0, 9],
    ]);
    assert.equal(f.engine.liveOrders, 0);
    assert.equal(f.engine.bestAsk(0), 0);
  });

  it('a market order that partially fills cancels its remainder (IOC) with no_liquidity', () => {
    const f = new Fixture();
    f.buy(100, 3);
    const id = f.market(Side.SELL, 9);
    assert.deepEqual(f.statusesOf(id).at(-1), [S.NEW, S.CANCELLED, CancelReason.NO_LIQUIDITY, 3, 6]);
    assert.equal(f.engine.liveOrders, 0);
  });

  it('a refused submit reports nothing and creates nothing', () => {
    const f = new Fixture();
    assert.ok(f.engine.submit(0, Side.BUY, OrderType.LIMIT, 0, 1, 0) < 0);
    assert.equal(f.rec.events.length, 0);
    assert.equal(f.engine.liveOrders, 0);
  });
});
