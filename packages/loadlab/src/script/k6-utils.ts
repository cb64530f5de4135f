/**
 * k6's jslib k6-utils (`https://jslib.k6.io/k6-utils/VERSION/index.js`, mapped to this file and
 * never fetched; also `k6-utils`): the helpers k6 scripts import most.
 *
 *   import { randomIntBetween, randomItem, randomString, uuidv4, findBetween } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
 */
import { randomUUID } from 'node:crypto';

/** An integer in [min, max], both included. */
export function randomIntBetween(min: number, max: number): number {
  if (!Number.isFinite(min) || !Number.isFinite(max))
    throw new TypeError('randomIntBetween(): takes two numbers');
  const lo = Math.ceil(Math.min(min, max));
  const hi = Math.floor(Math.max(min, max));
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/** One element of `array`, chosen at random. */
export function randomItem<T>(array: readonly T[]): T {
  if (!Array.isArray(array) || array.length === 0)
    throw new TypeError('randomItem(): takes a non-empty array');
  return array[Math.floor(Math.random() * array.length)];
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';

/** `length` characters drawn from `charset` (default, as k6-utils': lowercase letters). */
export function randomString(length: number, charset = LOWER): string {
  if (!Number.isInteger(length) || length < 0)
    throw new TypeError('randomString(): the length is an integer >= 0');
  if (typeof charset !== 'string' || charset === '')
    throw new TypeError('randomString(): the charset is a non-empty string');
  let s = '';
  for (let i = 0; i < length; i++) s += charset[Math.floor(Math.random() * charset.length)];
  return s;
}

/** A random (version 4) UUID; `secure` draws it from the crypto source (both do here). */
export function uuidv4(_secure = false): string {
  return randomUUID();
}

/**
 * The text between `left` and `right` in `content` (the first; `repeat`: every one, as an
 * array); null when there is none (k6-utils 1.4's answer, with or without `repeat`).
 */
export function findBetween(
  content: string,
  left: string,
  right: string,
  repeat = false,
): string | string[] | null {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const a = content.indexOf(left, from);
    if (a < 0) break;
    const b = content.indexOf(right, a + left.length);
    if (b < 0) break;
    out.push(content.slice(a + left.length, b));
    if (!repeat) return out[0];
    from = b + right.length;
  }
  return out.length > 0 ? out : null;
}
