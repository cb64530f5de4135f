/**
 * The answer when a routed request's owner cannot answer: 503 TRD_ERR_OWNER_UNAVAILABLE with
 * Retry-After: 1 and the symbol named, at once when nobody serves the symbol (the owner is
 * down: BUS_NO_RESPONDERS) or this engine's bus is away (BUS_CLOSED). A submit that timed
 * out may have been applied by the owner: the answer says its fate is unknown and that a
 * retry with the same clientOrderId is safe (the owner de-duplicates it: 409 naming the order).
 */
import { BusError } from '../bus/bus.ts';
import { httpStatusOf, TradingErrorCode } from '../errors.ts';
import { errorBody } from '../http/http-app.ts';
import type { GatewayReply } from '../orders/order-gateway.ts';

export type RoutedOp = 'submit' | 'get' | 'cancel' | 'book' | 'list' | 'halt' | 'resume' | 'owner';

/** The reply for `err` (a BusError; anything else is rethrown). */
export function ownerUnavailable(
  err: unknown,
  symbol: string,
  op: RoutedOp,
  timeoutMs: number,
): GatewayReply {
  if (!(err instanceof BusError)) throw err;
  if (err.code === 'BUS_HANDLER_FAILED') {
    const code = TradingErrorCode.INTERNAL;
    return {
      status: httpStatusOf(code),
      body: errorBody(code, `the execution engine that owns ${symbol} failed: ${err.message}`),
    };
  }
  let message: string;
  if (err.code === 'BUS_TIMEOUT') {
    const head = `the execution engine that owns ${symbol} did not answer within ${timeoutMs} ms`;
    if (op === 'submit')
      message = `${head}: the order's fate is unknown; retry with the same clientOrderId (a duplicate is answered 409 naming the order)`;
    else if (op === 'cancel')
      message = `${head}: the cancel's fate is unknown; GET the order (or retry the cancel) to learn it`;
    else message = `${head}; retry later`;
  } else {
    message = `the execution engine that owns ${symbol} is unavailable (${err.message}); nothing was done, retry later`;
  }
  const code = TradingErrorCode.OWNER_UNAVAILABLE;
  return {
    status: httpStatusOf(code),
    headers: { 'retry-after': '1' },
    body: { ...errorBody(code, message, 'symbol'), symbol },
  };
}
