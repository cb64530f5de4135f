/**
 * A number JSON.parse reads as another one: `"price": 100.000000000000000001` has more digits
 * than a double holds and is read as 100, silently, before any check sees it. For an object
 * body, the members whose number literal does not survive the trip to a double and back are
 * noted beside the parsed value (`inexactMembersOf`), for the routes whose fields must be exact
 * (an order's price and quantity: ../orders/order-request.ts) to refuse, naming the field.
 *
 * A literal survives when it is the double it reads as, printed to as many significant digits
 * as the literal has (`x.toPrecision(k)`): a shortest form (`100.1`, `0.30000000000000004`),
 * trailing zeros (`100.10`), an exponent (`1.001e2`), and printf's `%.17g` of a double
 * (`100.09999999999999`, which a C client prints for 100.1 and means as 100.1) do;
 * `100.000000000000000001` (read as 100) and `1.0000000000000003` (read as
 * 1.0000000000000002) do not: those digits were never a double's. A literal of at most 15
 * digits always survives, so the literals are looked at only when the scan every body gets
 * (./json-text-scan.ts) saw a longer one.
 */
import { cutText, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import { longNumberSeen, walkMembers } from './json-text-scan.ts';

/** Inexact members (name -> literal as sent) of the object bodies that have any. */
const inexact = new WeakMap<object, Map<string, string>>();
/** Whether any body was ever noted: until then an order's look-up is a test of this flag. */
let anyNoted = false;

/**
 * Notes the top-level members of `value` (the object parsed from `text`) whose number literal
 * does not survive; call right after json-text-scan's countNames ran over `text`.
 */
export function noteInexactMembers(text: string, value: object): void {
  if (!longNumberSeen) return;
  const found = inexactMembers(text);
  if (found === undefined) return;
  inexact.set(value, found);
  anyNoted = true;
}

/** `body`'s inexact members (name -> literal as sent), if it has any (one lookup for all fields). */
export function inexactMembersOf(body: object): ReadonlyMap<string, string> | undefined {
  return anyNoted ? inexact.get(body) : undefined;
}

/**
 * `body`'s inexact members as plain JSON, for a body sent on to another process over the bus
 * (the api's /api/trade/execute, served apart): serialised, the body carries only the doubles,
 * and the owner would place `100.000000000000000001` as 100.
 */
export function inexactWire(body: unknown): Record<string, string> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const found = inexactMembersOf(body);
  return found === undefined ? undefined : Object.fromEntries(found);
}

/** Notes on `body` (received over the bus) the inexact members its sender noted (inexactWire). */
export function noteInexactWire(body: unknown, wire: unknown): void {
  if (typeof body !== 'object' || body === null || typeof wire !== 'object' || wire === null) return;
  const found = new Map<string, string>();
  for (const [name, literal] of Object.entries(wire)) {
    if (typeof literal === 'string') found.set(name, literal);
  }
  if (found.size === 0) return;
  inexact.set(body, found);
  anyNoted = true;
}

/** 400 PRT_ERR_INVALID_FIELD naming `field`, whose literal JSON.parse read as `read`. */
export function inexactNumber(field: string, literal: string, read: unknown): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.INVALID_FIELD,
    `${field} ${cutText(literal, 40)} has more digits than a double holds and would be read as ${String(read)}: send at most 15 significant digits`,
    field,
  );
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The top-level members of the object `text` whose number literal does not survive. */
function inexactMembers(text: string): Map<string, string> | undefined {
  let found: Map<string, string> | undefined;
  walkMembers(text, (name, end, _object, under) => {
    // a top-level member (under: the object itself only); its value after the ':' and blanks
    if (under.length !== 1) return false;
    let i = end + 1;
    let c = text.charCodeAt(i);
    while (c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++i);
    if (c !== 0x2d && (c < 0x30 || c > 0x39)) return false;
    NUMBER.lastIndex = i;
    const literal = NUMBER.exec(text)?.[0] ?? '';
    if (literal.length > 15 && !survives(literal)) (found ??= new Map()).set(name, literal);
    return false;
  });
  return found;
}

/**
 * Whether JSON.parse reads `literal` as the number it says, to the digits it gives (infinite
 * ones are left to the field's check).
 */
export function survives(literal: string): boolean {
  const x = Number(literal);
  if (!Number.isFinite(x)) return true;
  const key = decimalKey(literal);
  if (key === '0') return x === 0;
  const digits = key.indexOf('e') - (key.charCodeAt(0) === 0x2d ? 1 : 0);
  return key === decimalKey(x.toPrecision(Math.min(digits, 100)));
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A decimal's value as `sign digits e exponent`, digits without leading or trailing zeros. */
function decimalKey(s: string): string {
  const m = DECIMAL.exec(s);
  if (m === null) return s;
  const int = m[2]!;
  const all = int + (m[3] ?? '');
  // value = 0.<all> x 10^(exp + int.length)
  let exp = Number(m[4] ?? 0) + int.length;
  let from = 0;
  while (from < all.length && all.charCodeAt(from) === 0x30) {
    from++;
    exp--;
  }
  let to = all.length;
  while (to > from && all.charCodeAt(to - 1) === 0x30) to--;
  if (from === to) return '0';
  return `${m[1]}${all.slice(from, to)}e${exp}`;
}
