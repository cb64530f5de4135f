import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderType, Side } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { decodeResult, encodeResult, RESULT_RECORD_SIZE, ShardResult } from '../src/routing/shard-result.ts';
import {
  COMMAND_RECORD_SIZE,
  CommandKind,
  CommandRecord,
  decodeCommand,
  encodeCancel,
  encodeCommand,
  encodeNewOrder,
  encodeSetLastPrice,
  readKind,
  readSeq,
  writeSeq,
} from '../src/sequencing/command-codec.ts';

function view(records: number): DataView {
  return new DataView(new ArrayBuffer(records * COMMAND_RECORD_SIZE));
}

describe('command codec', () => {
  it('round-trips NEW_ORDER with the documented little-endian layout', () => {
    const v = view(2);
    const off = COMMAND_RECORD_SIZE; // second slot
    encodeNewOrder(
      v,
      off,
      9_007_199_254_740_991,
      1_732_280_000_123_456,
      54,
      Side.SELL,
      OrderType.STOP,
      123_456_789_012,
      7,
      1234,
    );
    assert.equal(v.getUint8(off), CommandKind.NEW_ORDER);
    assert.equal(v.getUint8(off + 1), Side.SELL);
    assert.equal(v.getUint8(off + 2), OrderType.STOP);
    assert.equal(v.getInt32(off + 4, true), 54);
    assert.equal(v.getFloat64(off + 8, true), 9_007_199_254_740_991);
    assert.equal(v.getFloat64(off + 24, true), 123_456_789_012);
    assert.equal(v.getInt32(off + 40, true), 1234);
    assert.equal(readKind(v, off), CommandKind.NEW_ORDER);
    assert.equal(readSeq(v, off), 9_007_199_254_740_991);
    const r = decodeCommand(v, off, new CommandRecord());
    assert.deepEqual(
      { ...r },
      {
        kind: CommandKind.NEW_ORDER,
        seq: 9_007_199_254_740_991,
        timestamp: 1_732_280_000_123_456,
        book: 54,
        side: Side.SELL,
        type: OrderType.STOP,
        priceTicks: 123_456_789_012,
        qty: 7,
        account: 1234,
        orderId: 0,
      },
    );
    // The first slot is untouched.
    assert.equal(readKind(v, 0), 0);
  });

  it('round-trips CANCEL and SET_LAST_PRICE and zeroes unused fields', () => {
    const v = view(1);
    new Uint8Array(v.buffer).fill(0xff); // stale bytes from an earlier record
    encodeCancel(v, 0, 5, 6, 3 * 16_777_216 + 17);
    const r = decodeCommand(v, 0, new CommandRecord());
    assert.equal(r.kind, CommandKind.CANCEL);
    assert.equal(r.orderId, 3 * 16_777_216 + 17);
    assert.equal(r.priceTicks, 0);
    assert.deepEqual([r.seq, r.timestamp, r.book, r.side, r.type, r.qty, r.account], [5, 6, 0, 0, 0, 0, 0]);
    new Uint8Array(v.buffer).fill(0xff);
    encodeSetLastPrice(v, 0, 8, 9, 3, 10_050);
    decodeCommand(v, 0, r);
    assert.deepEqual([r.kind, r.seq, r.timestamp, r.book, r.priceTicks, r.orderId], [3, 8, 9, 3, 10_050, 0]);
    assert.equal(v.getUint8(3), 0);
    assert.equal(v.getUint32(44, true), 0);
  });

  it('encodes a decoded record back to identical bytes; writeSeq patches only the seq', () => {
    const a = view(1);
    encodeNewOrder(a, 0, 1, 2, 3, Side.BUY, OrderType.LIMIT, 10_000, 5, -1);
    const rec = decodeCommand(a, 0, new CommandRecord());
    assert.equal(rec.account, -1);
    const b = view(1);
    encodeCommand(b, 0, rec);
    assert.deepEqual(new Uint8Array(b.buffer), new Uint8Array(a.buffer));
    writeSeq(b, 0, 42);
    assert.equal(decodeCommand(b, 0, rec).seq, 42);
    assert.equal(rec.priceTicks, 10_000);
  });

  it('round-trips a shard result record', () => {
    const v = new DataView(new ArrayBuffer(RESULT_RECORD_SIZE));
    const r = new ShardResult();
    Object.assign(r, {
      kind: CommandKind.NEW_ORDER,
      seq: 77,
      result: -3,
      status: OrderStatus.PARTIALLY_FILLED,
      filledQty: 12,
      filledNotional: 120_600,
      remainingQty: 8,
      trades: 3,
    });
    encodeResult(v, 0, r);
    assert.deepEqual({ ...decodeResult(v, 0, new ShardResult()) }, { ...r });
    assert.deepEqual({ ...r.clone() }, { ...r });
  });
});
