/**
 * The market-data tick (docs/spec.md, "market-data, port 5001") and its hot-path validator.
 *
 *   {"type":"tick","symbol":"SYM0","price":100.1,"volume":1000,"timestamp":1732280000.123}
 *   optional "bid" and "ask" (decimals on the price grid; null or absent = not carried)
 *
 * `timestamp` is seconds since the epoch as a float (Python's `time.time()`).
 *
 * Validation never throws: it returns `null` and fills a reused `ValidTick`, or returns a
 * coded `TickProblem` (code, field, message); only the failure path allocates. Raw numbers
 * travel in the ValidTick's fields, never as call arguments: V8 boxes a double passed to a
 * function it does not inline, so argument passing would allocate per tick.
 *
 * Prices from float feeds carry binary noise (`100.0 + 3 * 0.1` is 100.30000000000001),
 * so market data snaps a price to the grid when it lies within 1e-9 of a tick (plus a
 * 1e-12 relative allowance): far below any real off-grid price, far above float noise.
 * A price genuinely between two ticks (100.005 on a 0.01 grid) is PRT_ERR_PRICE_OFF_TICK.
 */
import { ProtocolErrorCode } from '../errors.ts';
import type { Instrument, InstrumentTable } from '../instruments.ts';
import { quoteValue } from '../util/quote-value.ts';

export interface Tick {
  type: 'tick';
  symbol: string;
  price: number;
  volume: number;
  /** Seconds since the epoch (float). */
  timestamp: number;
  bid?: number | null;
  ask?: number | null;
}

export interface TickProblem {
  code: ProtocolErrorCode;
  /** The offending field; absent when the problem is the whole message. */
  field?: string;
  message: string;
}

/**
 * A tick being validated: the raw numbers go in (`price`, `volume`, `timestamp`, `bid`,
 * `ask`; NaN = bid/ask not carried), the validator fills the rest. One instance is reused.
 */
export class ValidTick {
  price = Number.NaN;
  volume = Number.NaN;
  /** Epoch seconds. */
  timestamp = Number.NaN;
  bid = Number.NaN;
  ask = Number.NaN;
  instrument: Instrument | undefined = undefined;
  /** Instrument index (dense). */
  book = 0;
  priceTicks = 0;
  /** Best bid / ask in ticks, or -1 when the tick does not carry it. */
  bidTicks = -1;
  askTicks = -1;
}

/** Largest accepted timestamp: year 5138 in seconds (milliseconds would exceed it). */
export const MAX_TICK_TIMESTAMP = 1e11;

/**
 * Largest accepted volume (2^53 - 1): the per-symbol sums of volume and price x volume stay
 * finite, where one tick of 1e308 made them Infinity (volume and VWAP null from then on).
 */
export const MAX_TICK_VOLUME = Number.MAX_SAFE_INTEGER;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Ticks for a price snapped to the grid, or -1 when it is not a positive on-grid price within range. */
export function snapPriceToTicks(inst: Instrument, price: number): number {
  const q = (price * POW10[inst.price.decimals]) / inst.price.stepUnits;
  const ticks = Math.round(q);
  const err = q - ticks;
  const tol = 1e-9 + q * 1e-12;
  if (!(err <= tol && err >= -tol)) return -1;
  if (ticks < inst.minPriceTicks || ticks > inst.maxPriceTicks) return -1;
  return ticks;
}

const PRICE = 0;
const BID = 1;
const ASK = 2;

/** snapPriceToTicks on a field of `t`, read here so no double crosses a call (no boxing). */
function snapField(inst: Instrument, t: ValidTick, which: number): number {
  const x = which === PRICE ? t.price : which === BID ? t.bid : t.ask;
  const q = (x * POW10[inst.price.decimals]) / inst.price.stepUnits;
  const ticks = Math.round(q);
  const err = q - ticks;
  const tol = 1e-9 + q * 1e-12;
  if (!(err <= tol && err >= -tol)) return -1;
  if (ticks < inst.minPriceTicks || ticks > inst.maxPriceTicks) return -1;
  return ticks;
}

/** The exact decimal of `ticks` (same value as `inst.price.fromSteps`, without strings). */
export function ticksToDecimal(inst: Instrument, ticks: number): number {
  return (ticks * inst.price.stepUnits) / POW10[inst.price.decimals];
}

/** JSON text of an untrusted value for a message, cut to 64 characters. */
const quote = (v: unknown): string => quoteValue(v);

function problem(code: ProtocolErrorCode, message: string, field?: string): TickProblem {
  return field === undefined ? { code, message } : { code, message, field };
}

/** Why `x` is not a valid price for `inst` (called only once snapPriceToTicks refused it). */
function priceProblem(inst: Instrument, x: number, field: string): TickProblem {
  if (!Number.isFinite(x))
    return problem(ProtocolErrorCode.NOT_FINITE, `${field} must be a finite number`, field);
  if (x <= 0) return problem(ProtocolErrorCode.NOT_POSITIVE, `${field} must be > 0 (got ${x})`, field);
  const q = (x * POW10[inst.price.decimals]) / inst.price.stepUnits;
  const ticks = Math.round(q);
  if (ticks >= inst.minPriceTicks && ticks <= inst.maxPriceTicks) {
    return problem(
      ProtocolErrorCode.PRICE_OFF_TICK,
      `${field} ${x} is not a multiple of the tick size ${inst.price.step} for ${inst.symbol}`,
      field,
    );
  }
  const lo = ticksToDecimal(inst, inst.minPriceTicks);
  const hi = ticksToDecimal(inst, inst.maxPriceTicks);
  return problem(
    ProtocolErrorCode.OUT_OF_RANGE,
    `${field} ${x} is outside [${lo}, ${hi}] for ${inst.symbol}`,
    field,
  );
}

function amountProblem(x: number, field: string): TickProblem {
  if (!Number.isFinite(x))
    return problem(ProtocolErrorCode.NOT_FINITE, `${field} must be a finite number`, field);
  if (x <= 0) return problem(ProtocolErrorCode.NOT_POSITIVE, `${field} must be > 0 (got ${x})`, field);
  return problem(
    ProtocolErrorCode.OUT_OF_RANGE,
    field === 'volume'
      ? `volume ${x} is too large: at most ${MAX_TICK_VOLUME}`
      : `${field} ${x} is too large: seconds since the epoch expected, not milliseconds`,
    field,
  );
}

/**
 * Checks the raw numbers in `t` (`price`, `volume`, `timestamp`, `bid`, `ask`) for `inst` and
 * fills `instrument`, `book`, `priceTicks`, `bidTicks`, `askTicks`. Shared by the JSON
 * validator and the binary batch decoder. Allocates only when it returns a problem.
 */
export function validateTickFields(inst: Instrument, t: ValidTick): TickProblem | null {
  const priceTicks = snapField(inst, t, PRICE);
  if (priceTicks < 0) return priceProblem(inst, t.price, 'price');
  const volume = t.volume;
  if (!(volume > 0 && volume <= MAX_TICK_VOLUME)) return amountProblem(volume, 'volume');
  const ts = t.timestamp;
  if (!(ts > 0 && ts <= MAX_TICK_TIMESTAMP)) return amountProblem(ts, 'timestamp');
  let bidTicks = -1;
  if (!Number.isNaN(t.bid)) {
    bidTicks = snapField(inst, t, BID);
    if (bidTicks < 0) return priceProblem(inst, t.bid, 'bid');
  }
  let askTicks = -1;
  if (!Number.isNaN(t.ask)) {
    askTicks = snapField(inst, t, ASK);
    if (askTicks < 0) return priceProblem(inst, t.ask, 'ask');
  }
  // a crossed quote is a broken feed: applied, every reader would see bid > ask
  if (askTicks >= 0 && bidTicks > askTicks) {
    return problem(
      ProtocolErrorCode.CROSSED_QUOTE,
      `bid ${t.bid} is above ask ${t.ask} for ${inst.symbol} (a crossed quote)`,
      'bid',
    );
  }
  t.instrument = inst;
  t.book = inst.index;
  t.priceTicks = priceTicks;
  t.bidTicks = bidTicks;
  t.askTicks = askTicks;
  return null;
}

function numberField(t: Record<string, unknown>, field: string): number | TickProblem {
  const v = t[field];
  if (typeof v === 'number') return v;
  if (v === undefined) return problem(ProtocolErrorCode.MISSING_FIELD, `${field} is required`, field);
  return problem(ProtocolErrorCode.INVALID_FIELD, `${field} must be a number (got ${typeof v})`, field);
}

function optionalPrice(t: Record<string, unknown>, field: string): number | TickProblem {
  const v = t[field];
  if (v === undefined || v === null) return Number.NaN;
  if (typeof v === 'number') return v;
  return problem(
    ProtocolErrorCode.INVALID_FIELD,
    `${field} must be a number or null (got ${typeof v})`,
    field,
  );
}

/** Validates one parsed JSON value as a tick against `instruments`, filling `out` on success. */
export function validateTick(
  value: unknown,
  instruments: InstrumentTable,
  out: ValidTick,
): TickProblem | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return problem(ProtocolErrorCode.INVALID_FIELD, 'a tick must be a JSON object');
  }
  const t = value as Record<string, unknown>;
  const type = t.type;
  if (type !== 'tick') {
    if (type === undefined) return problem(ProtocolErrorCode.MISSING_FIELD, 'type is required', 'type');
    return problem(ProtocolErrorCode.INVALID_FIELD, `unknown message type ${quote(type)}`, 'type');
  }
  const symbol = t.symbol;
  if (typeof symbol !== 'string') {
    if (symbol === undefined) return problem(ProtocolErrorCode.MISSING_FIELD, 'symbol is required', 'symbol');
    return problem(ProtocolErrorCode.INVALID_FIELD, 'symbol must be a string', 'symbol');
  }
  const inst = instruments.find(symbol);
  if (inst === undefined) {
    return problem(ProtocolErrorCode.UNKNOWN_SYMBOL, instruments.unknownSymbolMessage(symbol), 'symbol');
  }
  const price = numberField(t, 'price');
  if (typeof price !== 'number') return price;
  const volume = numberField(t, 'volume');
  if (typeof volume !== 'number') return volume;
  const timestamp = numberField(t, 'timestamp');
  if (typeof timestamp !== 'number') return timestamp;
  const bid = optionalPrice(t, 'bid');
  if (typeof bid !== 'number') return bid;
  const ask = optionalPrice(t, 'ask');
  if (typeof ask !== 'number') return ask;
  out.price = price;
  out.volume = volume;
  out.timestamp = timestamp;
  out.bid = bid;
  out.ask = ask;
  return validateTickFields(inst, out);
}
