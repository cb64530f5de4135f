/**
 * The command record: one fixed-size (48-byte) little-endian binary record per matcher
 * input. The same layout is used in the input log (sequencing/input-log-format.ts) and in
 * the shared-memory rings between the router and a worker shard (routing/ring-buffer.ts).
 *
 *   offset size type  field
 *        0    1 u8    kind        1 NEW_ORDER, 2 CANCEL, 3 SET_LAST_PRICE (>= 0xf0: ring control only)
 *        1    1 u8    side        NEW_ORDER: Side (0 buy, 1 sell); else 0
 *        2    1 u8    type        NEW_ORDER: OrderType (0 limit, 1 market, 2 stop); CANCEL: the
 *                                 CancelReason (0 or 1 the owner's, 4 the kill switch's); else 0
 *        3    1 u8    reserved    0
 *        4    4 i32   book        NEW_ORDER, SET_LAST_PRICE: instrument index; else 0
 *        8    8 f64   seq         sequence number (exact integer, 1, 2, 3, ... gapless per log)
 *       16    8 f64   timestamp   epoch microseconds (exact integer) when the command was sequenced
 *       24    8 f64   price/id    NEW_ORDER, SET_LAST_PRICE: price in ticks; CANCEL: the order id
 *       32    8 f64   qty         NEW_ORDER: quantity in lots; else 0
 *       40    4 i32   account     NEW_ORDER: dense account index; else 0
 *       44    4 u32   payload     byte length of the variable-length payload that follows the
 *                                 record in a log (0 = none; rings never carry one), padded to 8
 *
 * Payloads (input log version 2 only): NEW_ORDER: u8 account-name length, the name, u8
 * clientOrderId length (0 = none), the clientOrderId (printable ASCII); SET_LIMITS: the
 * validated risk limits as UTF-8 JSON.
 *
 * Every byte is written on encode (reserved bytes zeroed) so equal commands give equal
 * bytes and equal CRCs. Encoding and decoding write into caller-owned buffers and records:
 * nothing is allocated.
 */

export const COMMAND_RECORD_SIZE = 48;

export const CommandKind = {
  NEW_ORDER: 1,
  CANCEL: 2,
  SET_LAST_PRICE: 3,
  /** The risk limits now in force (PUT /limits), JSON payload; only in a log, never in a ring. */
  SET_LIMITS: 4,
  /** Ring-only control records (never in a log): snapshot request, log flush, shutdown. */
  CTL_SNAPSHOT: 0xf0,
  CTL_FLUSH: 0xf1,
  CTL_CLOSE: 0xf2,
} as const;
export type CommandKind = (typeof CommandKind)[keyof typeof CommandKind];

export function isLoggableKind(kind: number): boolean {
  return (
    kind === CommandKind.NEW_ORDER ||
    kind === CommandKind.CANCEL ||
    kind === CommandKind.SET_LAST_PRICE ||
    kind === CommandKind.SET_LIMITS
  );
}

/** Padded size of a payload of `len` bytes. */
export function paddedPayload(len: number): number {
  return (len + 7) & ~7;
}

export function readPayloadLength(v: DataView, off: number): number {
  return v.getUint32(off + 44, true);
}

/** A decoded command. Mutable on purpose: decode into one preallocated instance. */
export class CommandRecord {
  kind = 0;
  seq = 0;
  timestamp = 0;
  book = 0;
  side = 0;
  type = 0;
  priceTicks = 0;
  qty = 0;
  account = 0;
  /** CANCEL only. */
  orderId = 0;

  copyFrom(o: CommandRecord): this {
    this.kind = o.kind;
    this.seq = o.seq;
    this.timestamp = o.timestamp;
    this.book = o.book;
    this.side = o.side;
    this.type = o.type;
    this.priceTicks = o.priceTicks;
    this.qty = o.qty;
    this.account = o.account;
    this.orderId = o.orderId;
    return this;
  }
}

function writeCommon(v: DataView, off: number, kind: number, side: number, type: number, book: number): void {
  v.setUint8(off, kind);
  v.setUint8(off + 1, side);
  v.setUint8(off + 2, type);
  v.setUint8(off + 3, 0);
  v.setInt32(off + 4, book, true);
}

export function encodeNewOrder(
  v: DataView,
  off: number,
  seq: number,
  timestamp: number,
  book: number,
  side: number,
  type: number,
  priceTicks: number,
  qty: number,
  account: number,
): void {
  writeCommon(v, off, CommandKind.NEW_ORDER, side, type, book);
  v.setFloat64(off + 8, seq, true);
  v.setFloat64(off + 16, timestamp, true);
  v.setFloat64(off + 24, priceTicks, true);
  v.setFloat64(off + 32, qty, true);
  v.setInt32(off + 40, account, true);
  v.setUint32(off + 44, 0, true);
}

export function encodeCancel(
  v: DataView,
  off: number,
  seq: number,
  timestamp: number,
  orderId: number,
  reason = 0,
): void {
  writeCommon(v, off, CommandKind.CANCEL, 0, reason, 0);
  v.setFloat64(off + 8, seq, true);
  v.setFloat64(off + 16, timestamp, true);
  v.setFloat64(off + 24, orderId, true);
  v.setFloat64(off + 32, 0, true);
  v.setInt32(off + 40, 0, true);
  v.setUint32(off + 44, 0, true);
}

export function encodeSetLastPrice(
  v: DataView,
  off: number,
  seq: number,
  timestamp: number,
  book: number,
  priceTicks: number,
): void {
  writeCommon(v, off, CommandKind.SET_LAST_PRICE, 0, 0, book);
  v.setFloat64(off + 8, seq, true);
  v.setFloat64(off + 16, timestamp, true);
  v.setFloat64(off + 24, priceTicks, true);
  v.setFloat64(off + 32, 0, true);
  v.setInt32(off + 40, 0, true);
  v.setUint32(off + 44, 0, true);
}

/** A control record (ring only): kind plus an optional 32-bit argument in the book field. */
export function encodeControl(v: DataView, off: number, kind: number, arg = 0): void {
  writeCommon(v, off, kind, 0, 0, arg);
  for (let i = 8; i < COMMAND_RECORD_SIZE; i += 4) v.setUint32(off + i, 0, true);
}

/** Encodes any record from its decoded form (the kind decides which fields count). */
export function encodeCommand(v: DataView, off: number, r: CommandRecord): void {
  switch (r.kind) {
    case CommandKind.NEW_ORDER:
      encodeNewOrder(v, off, r.seq, r.timestamp, r.book, r.side, r.type, r.priceTicks, r.qty, r.account);
      break;
    case CommandKind.CANCEL:
      encodeCancel(v, off, r.seq, r.timestamp, r.orderId, r.type);
      break;
    case CommandKind.SET_LAST_PRICE:
      encodeSetLastPrice(v, off, r.seq, r.timestamp, r.book, r.priceTicks);
      break;
    default:
      encodeControl(v, off, r.kind, r.book);
  }
}

export function readKind(v: DataView, off: number): number {
  return v.getUint8(off);
}

export function readSeq(v: DataView, off: number): number {
  return v.getFloat64(off + 8, true);
}

/** Overwrites the sequence number of an encoded record. */
export function writeSeq(v: DataView, off: number, seq: number): void {
  v.setFloat64(off + 8, seq, true);
}

/** Decodes into `out` (fields the kind does not use are zero) and returns it. */
export function decodeCommand(v: DataView, off: number, out: CommandRecord): CommandRecord {
  const kind = v.getUint8(off);
  out.kind = kind;
  out.side = v.getUint8(off + 1);
  out.type = v.getUint8(off + 2);
  out.book = v.getInt32(off + 4, true);
  out.seq = v.getFloat64(off + 8, true);
  out.timestamp = v.getFloat64(off + 16, true);
  const a = v.getFloat64(off + 24, true);
  if (kind === CommandKind.CANCEL) {
    out.orderId = a;
    out.priceTicks = 0;
  } else {
    out.orderId = 0;
    out.priceTicks = a;
  }
  out.qty = v.getFloat64(off + 32, true);
  out.account = v.getInt32(off + 40, true);
  return out;
}

/** Microseconds since the epoch as an exact integer (sub-millisecond resolution). */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
