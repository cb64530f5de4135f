/**
 * Decoding an order-entry body (`POST /orders`, `POST /check`) into integer form:
 * `{"symbol","side","type","quantity","price","clientOrderId"?,"account"?}`. The first
 * problem found is thrown as a ProtocolError naming the field (400 on the wire). A field the
 * order does not take is refused too: a misspelt `clientOrderID` or `Account` ignored would
 * place an order without its de-duplication, or on the key's first account.
 */
import { type Instrument, type InstrumentTable, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import { OrderType, Side } from '../domain/enums.ts';
import { ID_RULE, isWellFormedId } from '../domain/well-formed-id.ts';
import { inexactMembersOf, inexactNumber } from '../http/exact-numbers.ts';
import { refuseUnknownFields } from '../http/request-fields.ts';

export interface OrderRequest {
  inst: Instrument;
  side: Side;
  type: OrderType;
  /** Limit price or stop trigger in ticks; 0 for market orders. */
  priceTicks: number;
  /** The price as sent, when it was off the tick grid and rounded to priceTicks. */
  priceAsked?: number;
  lots: number;
  clientOrderId: string | undefined;
  account: string;
}

// Maps, not object literals: `SIDES["__proto__"]` or `TYPES["constructor"]` on a plain object
// is an inherited value, not undefined, and such an order reached the engine and its journal.
const SIDES: ReadonlyMap<string, Side> = new Map([
  ['buy', Side.BUY],
  ['sell', Side.SELL],
]);
const TYPES: ReadonlyMap<string, OrderType> = new Map([
  ['limit', OrderType.LIMIT],
  ['market', OrderType.MARKET],
  ['stop', OrderType.STOP],
]);
const FIELDS = new Set(['symbol', 'side', 'type', 'quantity', 'price', 'clientOrderId', 'account']);

function invalid(field: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message, field);
}

function missing(field: string, message = `${field} is required`): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.MISSING_FIELD, message, field);
}

export function parseOrderRequest(
  body: unknown,
  instruments: InstrumentTable,
  defaultAccount: string,
): OrderRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProtocolError(ProtocolErrorCode.MALFORMED_JSON, 'the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  refuseUnknownFields(
    b,
    FIELDS,
    'an order takes symbol, side, type, quantity, price, clientOrderId and account',
  );
  if (b.symbol === undefined || b.symbol === null) throw missing('symbol');
  if (typeof b.symbol !== 'string') throw invalid('symbol', 'symbol must be a string');
  const inst = instruments.get(b.symbol);
  if (b.side === undefined || b.side === null) throw missing('side');
  const side = typeof b.side === 'string' ? SIDES.get(b.side) : undefined;
  if (side === undefined) throw invalid('side', 'side must be "buy" or "sell"');
  if (b.type === undefined || b.type === null) throw missing('type');
  const type = typeof b.type === 'string' ? TYPES.get(b.type) : undefined;
  if (type === undefined) throw invalid('type', 'type must be "limit", "market" or "stop"');
  if (b.quantity === undefined || b.quantity === null) throw missing('quantity');
  if (typeof b.quantity !== 'number') throw invalid('quantity', 'quantity must be a number');
  // a literal JSON.parse read as another number (`1.0000000000000000001`): refused, not rounded
  const loose = inexactMembersOf(b);
  if (loose?.has('quantity') === true) throw inexactNumber('quantity', loose.get('quantity')!, b.quantity);
  const lots = instruments.qtyToLots(inst, b.quantity, 'quantity');
  let priceTicks = 0;
  let priceAsked: number | undefined;
  if (type === OrderType.MARKET) {
    if (b.price !== undefined && b.price !== null) {
      throw invalid('price', 'a market order takes no price (send null or leave it out)');
    }
  } else {
    const what =
      type === OrderType.STOP ? 'a stop order needs price (its trigger)' : 'a limit order needs price';
    if (b.price === undefined || b.price === null) throw missing('price', what);
    if (typeof b.price !== 'number') throw invalid('price', 'price must be a number or null');
    if (loose?.has('price') === true) throw inexactNumber('price', loose.get('price')!, b.price);
    // Rounded on the passive side: buy limits down, sell limits up; a stop's trigger so it
    // fires no earlier than asked (buy stops up, sell stops down).
    const up = (side === Side.SELL) === (type === OrderType.LIMIT);
    priceTicks = instruments.orderPriceToTicks(inst, b.price, up, 'price');
    if (inst.price.fromSteps(priceTicks) !== b.price) priceAsked = b.price;
  }
  let clientOrderId: string | undefined;
  if (b.clientOrderId !== undefined && b.clientOrderId !== null) {
    if (typeof b.clientOrderId !== 'string' || !isWellFormedId(b.clientOrderId)) {
      throw invalid('clientOrderId', `clientOrderId must be ${ID_RULE}`);
    }
    clientOrderId = b.clientOrderId;
  }
  let account = defaultAccount;
  if (b.account !== undefined && b.account !== null) {
    if (typeof b.account !== 'string' || !isWellFormedId(b.account)) {
      throw invalid('account', `account must be ${ID_RULE}`);
    }
    account = b.account;
  }
  const req: OrderRequest = { inst, side, type, priceTicks, lots, clientOrderId, account };
  if (priceAsked !== undefined) req.priceAsked = priceAsked;
  return req;
}
