import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable, ProtocolErrorCode } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { OrderType, Side } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { TradingErrorCode } from '../src/errors.ts';
import { LocalShard } from '../src/routing/local-shard.ts';
import { OrderRouter, Router } from '../src/routing/router.ts';
import { CommandKind } from '../src/sequencing/command-codec.ts';
import { FlatRecorder } from './support/command-stream.ts';

const instruments = new InstrumentTable();
const idx = (s: string) => instruments.get(s).index;
const invalid = (e: { code?: string }) => e.code === TradingErrorCode.INVALID_CONFIG;

describe('Router', () => {
  it('maps book -> book % shardCount by default', () => {
    const r = new Router({ shardCount: 4, instruments });
    for (let b = 0; b < instruments.size; b++) assert.equal(r.shardOf(b), b % 4);
    assert.equal(r.shardOfSymbol('SYM5'), 1);
    assert.deepEqual(r.booksOf(3).slice(0, 3), [3, 7, 11]);
    // Out-of-table or bad books still land on a valid shard (the engine refuses them).
    for (const b of [1000, -1, Number.NaN, 2.5]) assert.ok(r.shardOf(b) >= 0 && r.shardOf(b) < 4);
  });

  it('honours an explicit symbol -> shard map (object or Map)', () => {
    const r = new Router({ shardCount: 3, instruments, symbolShards: { AAPL: 2, MSFT: 2, SYM0: 1 } });
    assert.equal(r.shardOfSymbol('AAPL'), 2);
    assert.equal(r.shardOfSymbol('MSFT'), 2);
    assert.equal(r.shardOf(0), 1);
    assert.equal(r.shardOf(1), 1 % 3);
    const m = new Router({ shardCount: 2, symbolShards: new Map([['TSLA', 0]]) });
    assert.equal(m.shardOfSymbol('TSLA'), 0);
    assert.ok(m.booksOf(0).includes(idx('TSLA')));
    assert.throws(
      () => r.shardOfSymbol('NOPE'),
      (e: { code?: string }) => e.code === ProtocolErrorCode.UNKNOWN_SYMBOL,
    );
  });

  it('refuses bad configurations with TRD_ERR_INVALID_CONFIG', () => {
    assert.throws(() => new Router({ shardCount: 0 }), invalid);
    assert.throws(() => new Router({ shardCount: 1.5 }), invalid);
    assert.throws(() => new Router({ shardCount: 2, symbolShards: { NOPE: 0 } }), invalid);
    assert.throws(() => new Router({ shardCount: 2, symbolShards: { AAPL: 2 } }), invalid);
  });
});

describe('OrderRouter over LocalShards', () => {
  it('sends each command to the shard owning its book and summarises the order', () => {
    const router = new Router({ shardCount: 2, instruments });
    const recs = [new FlatRecorder(), new FlatRecorder()];
    const shards = recs.map(
      (rec, i) => new LocalShard(new MatchingEngine(instruments, { listener: rec }), { index: i }),
    );
    const or = new OrderRouter(router, shards);
    const AAPL = idx('AAPL'); // 50 -> shard 0
    const GOOGL = idx('GOOGL'); // 51 -> shard 1
    assert.equal(or.shardFor(AAPL), shards[0]);

    const maker = or.submit(AAPL, Side.SELL, OrderType.LIMIT, 10_000, 10, 1).clone();
    assert.deepEqual(
      [maker.kind, maker.seq, maker.status, maker.filledQty, maker.remainingQty, maker.trades],
      [CommandKind.NEW_ORDER, 1, OrderStatus.NEW, 0, 10, 0],
    );
    const taker = or.submit(AAPL, Side.BUY, OrderType.LIMIT, 10_001, 4, 2).clone();
    assert.deepEqual(
      [taker.seq, taker.status, taker.filledQty, taker.filledNotional, taker.remainingQty, taker.trades],
      [2, OrderStatus.FILLED, 4, 40_000, 0, 1],
    );
    const other = or.submit(GOOGL, Side.BUY, OrderType.MARKET, 0, 3, 2).clone();
    assert.deepEqual(
      [other.seq, other.status, other.trades],
      [1, OrderStatus.CANCELLED, 0],
      'own sequence per shard',
    );
    assert.equal(recs[1].tradeCount, 0);
    assert.equal(recs[0].tradeCount, 1);

    const stop = or.submit(AAPL, Side.BUY, OrderType.STOP, 10_005, 2, 3).clone();
    assert.equal(stop.status, OrderStatus.PENDING);
    const fire = or.setLastPrice(AAPL, 10_006).clone();
    assert.deepEqual(
      [fire.kind, fire.result, fire.trades],
      [CommandKind.SET_LAST_PRICE, 0, 1],
      'the fired stop traded',
    );

    const cancel = or.cancel(AAPL, maker.result);
    assert.deepEqual(
      [cancel.result, cancel.status, cancel.filledQty, cancel.remainingQty],
      [0, OrderStatus.CANCELLED, 6, 4],
    );
    assert.equal(or.cancel(AAPL, maker.result).result, 1, 'NOT_FOUND the second time');

    const bad = or.submit(AAPL, Side.BUY, OrderType.LIMIT, 10_000, 0, 1);
    assert.deepEqual([bad.result < 0, bad.status], [true, OrderStatus.REJECTED]);
    const badLast = shards[0].setLastPrice(999, 10);
    assert.deepEqual([badLast.seq < 1, badLast.result < 0], [true, true], 'refused before sequencing');
    assert.throws(() => new OrderRouter(router, [shards[0]]), invalid);
  });
});
