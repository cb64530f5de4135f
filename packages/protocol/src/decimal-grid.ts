/**
 * Exact conversion between JSON decimals and integer steps (price ticks, quantity lots).
 *
 * A JS number is parsed through its shortest round-trip decimal text (`String(x)`),
 * so `100.1` is the decimal 100.1, not 100.09999999999999. The decimal must lie on the
 * grid (a whole number of steps) and within range; otherwise a coded ProtocolError
 * names the field. Conversion happens at the edge only: inside, prices are integer
 * ticks and quantities integer lots.
 *
 * Round trips are exact: `fromSteps(toSteps(x)) === x` for every accepted `x`, and
 * `toSteps(fromSteps(n)) === n` for every `n` in range. To keep the second one true,
 * a grid with decimals allows at most 15 significant digits (every such decimal
 * survives a trip through a double); an integer grid allows up to 2^53 - 1.
 */
import { ProtocolError, ProtocolErrorCode } from './errors.ts';

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;
const MAX_DECIMAL_UNITS = 999_999_999_999_999;

export interface GridUnits {
  /** Digits after the decimal point that one unit stands for. */
  readonly decimals: number;
  /** The step, in units of 10^-decimals. */
  readonly stepUnits: number;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** Parses a non-negative decimal into integer units of 10^-decimals, or returns -1 when it has finer digits, -2 when too large. */
export function decimalToUnits(x: number, decimals: number, maxUnits: number): number {
  // Fast path, same answer as the text path below: u / 10^d is the double nearest the
  // decimal u x 10^-d, so when it equals x that decimal round-trips to x; within 15
  // significant digits (16 for integers below 2^53) no other decimal does, so it is x's value.
  const scale = POW10[decimals];
  const u = Math.round(x * scale);
  if (u <= maxUnits && u / scale === x) return u;
  const m = DECIMAL_RE.exec(String(x));
  if (m === null) return -2;
  const intPart = m[1];
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  let digits = intPart + frac;
  const shift = exp - frac.length + decimals;
  if (shift < 0) {
    const cut = digits.length + shift;
    const dropped = cut > 0 ? digits.slice(cut) : digits;
    if (/[^0]/.test(dropped)) return -1;
    digits = cut > 0 ? digits.slice(0, cut) : '0';
  } else if (shift > 0) {
    if (digits.replace(/^0+/, '').length + shift > 16) return -2;
    digits += '0'.repeat(shift);
  }
  digits = digits.replace(/^0+(?=\d)/, '');
  if (digits.length > 16) return -2;
  const units = Number(digits);
  return units > maxUnits ? -2 : units;
}

/**
 * Like decimalToUnits, but finer digits are cut off (toward zero) instead of refused:
 * the whole units below `x`, and whether anything was cut. Units -2 when too large.
 */
export function decimalToUnitsCut(
  x: number,
  decimals: number,
  maxUnits: number,
): { units: number; cut: boolean } {
  const exact = decimalToUnits(x, decimals, maxUnits);
  if (exact !== -1) return { units: exact, cut: false };
  const m = DECIMAL_RE.exec(String(x));
  if (m === null) return { units: -2, cut: false };
  const frac = m[2] ?? '';
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  // Only reached with a negative shift (finer digits than the grid): cut them.
  const digits = m[1] + frac;
  const cutAt = digits.length + exp - frac.length + decimals;
  const kept = cutAt > 0 ? digits.slice(0, cutAt).replace(/^0+(?=\d)/, '') : '0';
  if (kept.length > 16) return { units: -2, cut: true };
  const units = Number(kept);
  return units > maxUnits ? { units: -2, cut: true } : { units, cut: true };
}

/** Formats integer units of 10^-decimals as the JS number with exactly that decimal value. */
export function unitsToDecimal(units: number, decimals: number): number {
  // Dividing two exact integers is correctly rounded: the same double as parsing the text.
  if (decimals <= 22) return units / POW10[decimals];
  const s = String(units).padStart(decimals + 1, '0');
  return Number(`${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`);
}

/**
 * A running sum of decimals (fractional tick volumes) without its binary float noise: 0.1 + 0.2
 * is 0.30000000000000004 as a double, answered 0.3. Whole numbers are returned as they are;
 * others are cut to 15 significant digits, the most every double holds exactly.
 */
export function sumWithoutNoise(x: number): number {
  return Number.isInteger(x) || !Number.isFinite(x) ? x : Number(x.toPrecision(15));
}

/** Number of decimal places in the shortest text of a positive step such as 0.01 or 0.25. */
export function decimalsOf(step: number): number {
  const m = DECIMAL_RE.exec(String(step));
  if (m === null || !(step > 0)) return -1;
  const frac = (m[2] ?? '').length;
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  return Math.max(0, frac - exp);
}

export class DecimalGrid implements GridUnits {
  readonly decimals: number;
  readonly stepUnits: number;
  readonly step: number;
  /** Largest number of steps representable exactly (decimal round trips preserved). */
  readonly maxSteps: number;
  private readonly maxUnits: number;
  private readonly offGridCode: ProtocolErrorCode;

  constructor(step: number, offGridCode: ProtocolErrorCode = ProtocolErrorCode.PRICE_OFF_TICK) {
    const decimals = typeof step === 'number' ? decimalsOf(step) : -1;
    if (decimals < 0 || decimals > 12) {
      throw new ProtocolError(
        ProtocolErrorCode.INVALID_INSTRUMENT,
        `step ${step} must be a positive decimal with at most 12 decimals`,
      );
    }
    this.decimals = decimals;
    this.step = step;
    this.maxUnits = decimals === 0 ? Number.MAX_SAFE_INTEGER : MAX_DECIMAL_UNITS;
    this.stepUnits = decimalToUnits(step, decimals, this.maxUnits);
    if (this.stepUnits < 1) {
      throw new ProtocolError(ProtocolErrorCode.INVALID_INSTRUMENT, `step ${step} is too large`);
    }
    this.maxSteps = Math.floor(this.maxUnits / this.stepUnits);
    this.offGridCode = offGridCode;
  }

  /** Steps for `x`, throwing a coded ProtocolError naming `field` when `x` is not a positive on-grid decimal in range. */
  toSteps(x: number, field: string): number {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ProtocolError(ProtocolErrorCode.NOT_FINITE, `${field} must be a finite number`, field);
    }
    if (x <= 0) throw new ProtocolError(ProtocolErrorCode.NOT_POSITIVE, `${field} must be > 0`, field);
    const units = decimalToUnits(x, this.decimals, this.maxUnits);
    if (units === -2) {
      throw new ProtocolError(
        ProtocolErrorCode.OUT_OF_RANGE,
        `${field} ${x} is too large: at most ${this.fromSteps(this.maxSteps)}`,
        field,
      );
    }
    if (units === -1 || units % this.stepUnits !== 0) {
      throw new ProtocolError(this.offGridCode, `${field} ${x} is not a multiple of ${this.step}`, field);
    }
    return units / this.stepUnits;
  }

  /**
   * Steps for `x` rounded to the grid: down (toward zero) or up when `x` lies between two
   * steps, exact otherwise. The same errors as toSteps for non-finite, non-positive and
   * too-large values; the result may be 0 (below one step, rounded down) or above
   * maxSteps, for the caller's range check to refuse.
   */
  roundToSteps(x: number, field: string, up: boolean): number {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ProtocolError(ProtocolErrorCode.NOT_FINITE, `${field} must be a finite number`, field);
    }
    if (x <= 0) throw new ProtocolError(ProtocolErrorCode.NOT_POSITIVE, `${field} must be > 0`, field);
    const { units, cut } = decimalToUnitsCut(x, this.decimals, this.maxUnits);
    if (units === -2) {
      throw new ProtocolError(
        ProtocolErrorCode.OUT_OF_RANGE,
        `${field} ${x} is too large: at most ${this.fromSteps(this.maxSteps)}`,
        field,
      );
    }
    const rem = units % this.stepUnits;
    const down = (units - rem) / this.stepUnits;
    return up && (cut || rem !== 0) ? down + 1 : down;
  }

  /** The decimal for a whole number of steps. */
  fromSteps(steps: number): number {
    return unitsToDecimal(steps * this.stepUnits, this.decimals);
  }
}
