/**
 * What a shard answers for one command, and its fixed-size (48-byte) little-endian record
 * for the result ring of a worker shard:
 *
 *   offset size type  field
 *        0    1 u8    kind            the command's kind (sequencing/command-codec.ts)
 *        1    1 u8    status          final OrderStatus of the command's order (0 = none/unknown)
 *        2    2 u16   reserved        0
 *        4    4 u32   trades          trades of the command's order (SET_LAST_PRICE: all its trades)
 *        8    8 f64   seq             the sequence number the shard gave the command
 *       16    8 f64   result          NEW_ORDER: order id (> 0) or SubmitError (< 0);
 *                                     CANCEL: CancelResult; SET_LAST_PRICE: 0
 *       24    8 f64   filledQty       lots filled so far
 *       32    8 f64   filledNotional  sum of price ticks x lots filled
 *       40    8 f64   remainingQty    lots still open (0 once terminal)
 */

export const RESULT_RECORD_SIZE = 48;

export class ShardResult {
  kind = 0;
  seq = 0;
  result = 0;
  status = 0;
  filledQty = 0;
  filledNotional = 0;
  remainingQty = 0;
  trades = 0;

  copyFrom(o: ShardResult): this {
    this.kind = o.kind;
    this.seq = o.seq;
    this.result = o.result;
    this.status = o.status;
    this.filledQty = o.filledQty;
    this.filledNotional = o.filledNotional;
    this.remainingQty = o.remainingQty;
    this.trades = o.trades;
    return this;
  }

  clone(): ShardResult {
    return new ShardResult().copyFrom(this);
  }
}

export function encodeResult(v: DataView, off: number, r: ShardResult): void {
  v.setUint8(off, r.kind);
  v.setUint8(off + 1, r.status);
  v.setUint16(off + 2, 0, true);
  v.setUint32(off + 4, r.trades, true);
  v.setFloat64(off + 8, r.seq, true);
  v.setFloat64(off + 16, r.result, true);
  v.setFloat64(off + 24, r.filledQty, true);
  v.setFloat64(off + 32, r.filledNotional, true);
  v.setFloat64(off + 40, r.remainingQty, true);
}

export function decodeResult(v: DataView, off: number, out: ShardResult): ShardResult {
  out.kind = v.getUint8(off);
  out.status = v.getUint8(off + 1);
  out.trades = v.getUint32(off + 4, true);
  out.seq = v.getFloat64(off + 8, true);
  out.result = v.getFloat64(off + 16, true);
  out.filledQty = v.getFloat64(off + 24, true);
  out.filledNotional = v.getFloat64(off + 32, true);
  out.remainingQty = v.getFloat64(off + 40, true);
  return out;
}
