/**
 * `tickstorm/encoding` (k6's `k6/encoding`): base64.
 *
 *   import encoding from 'k6/encoding';
 *   const auth = `Basic ${encoding.b64encode('user:pass')}`;
 *
 * Encodings as k6's: 'std' (default, padded), 'rawstd' (no padding), 'url' (URL-safe, padded),
 * 'rawurl' (URL-safe, no padding). b64decode returns an ArrayBuffer (format 'b' or none), or
 * text with format 's'.
 */
type Variant = 'std' | 'rawstd' | 'url' | 'rawurl';
const VARIANTS = ['std', 'rawstd', 'url', 'rawurl'];

function variant(v: string | undefined, fn: string): Variant {
  const e = v === undefined || v === '' ? 'std' : v;
  if (!VARIANTS.includes(e))
    throw new TypeError(`${fn}(): encoding is one of ${VARIANTS.join(', ')}, not ${JSON.stringify(v)}`);
  return e as Variant;
}

function bytes(input: string | ArrayBuffer | ArrayBufferView, fn: string): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (input instanceof ArrayBuffer) return Buffer.from(input);
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${fn}(): takes a string or an ArrayBuffer`);
}

export function b64encode(input: string | ArrayBuffer | ArrayBufferView, encoding?: string): string {
  const e = variant(encoding, 'b64encode');
  const b = bytes(input, 'b64encode');
  let s = b.toString(e === 'url' || e === 'rawurl' ? 'base64url' : 'base64');
  if (e === 'url') s += '='.repeat((4 - (s.length % 4)) % 4);
  if (e === 'rawstd') s = s.replace(/=+$/, '');
  return s;
}

export function b64decode(input: string, encoding?: string, format?: string): ArrayBuffer | string {
  const e = variant(encoding, 'b64decode');
  if (typeof input !== 'string') throw new TypeError('b64decode(): takes a string');
  const b = Buffer.from(input, e === 'url' || e === 'rawurl' ? 'base64url' : 'base64');
  if (format === 's') return b.toString('utf8');
  if (format !== undefined && format !== 'b')
    throw new TypeError(
      `b64decode(): format is 's' (text), or 'b' or omitted (bytes), not ${JSON.stringify(format)}`,
    );
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export default { b64encode, b64decode };
