/**
 * `tickstorm/data` (k6's `k6/data`): SharedArray, and k6's `open()` that feeds it.
 *
 *   import { SharedArray } from 'k6/data';
 *   const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
 *   export default async function () { const u = users[__VU % users.length]; ... }
 *
 * Both belong to load time (k6's init context): the data is read once per generator thread
 * (k6 shares one copy between VUs; here the VUs of a thread share one), and is read-only:
 * the array and everything in it are frozen, so a VU cannot change what another sees.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtime } from './runtime.ts';

function loadTimeOnly(what: string): void {
  if (runtime().als.getStore() !== undefined)
    throw new Error(`${what} can only be called at load time (the script's top level, k6's init context)`);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

const arrays = new Map<string, readonly unknown[]>();

function sharedArray(name: string, fn: () => unknown[]): readonly unknown[] {
  if (typeof name !== 'string' || name === '')
    throw new TypeError('SharedArray: the name must be a non-empty string');
  if (typeof fn !== 'function')
    throw new TypeError(`SharedArray ${name}: the second argument must be a function returning an array`);
  const known = arrays.get(name);
  if (known !== undefined) return known;
  loadTimeOnly(`new SharedArray(${JSON.stringify(name)})`);
  const a = fn();
  if (!Array.isArray(a))
    throw new TypeError(`SharedArray ${name}: its function returned ${typeof a}, not an array`);
  arrays.set(name, deepFreeze(a));
  return a;
}

/**
 * k6's SharedArray: `new SharedArray(name, fn)`; `fn` runs once per name in this thread and
 * what it returns, frozen, is the SharedArray (length, [i], iteration, map/filter/...): a plain
 * function called with `new` that returns an object gives that object.
 */
export const SharedArray = function SharedArray(name: string, fn: () => unknown[]) {
  return sharedArray(name, fn);
} as unknown as new (
  name: string,
  fn: () => unknown[],
) => readonly unknown[];

/**
 * k6's open(path, mode?): a file's text ('b': its bytes, as an ArrayBuffer), a relative path
 * taken from the script's directory, a `file:` URL (k6's `import.meta.resolve('./x.json')`) as
 * it names the file. Installed as a global (globals.ts), at load time only.
 */
export function openFile(scriptDir: string, path: string, mode?: string): string | ArrayBuffer {
  loadTimeOnly('open()');
  if (typeof path !== 'string' || path === '')
    throw new TypeError('open(): the path must be a non-empty string');
  if (mode !== undefined && mode !== 'b')
    throw new TypeError(`open(): mode is 'b' (bytes) or omitted (text), not ${JSON.stringify(mode)}`);
  // k6's open(import.meta.resolve('./x.json')): a file: URL, relative to the module that wrote it
  const file = path.startsWith('file:')
    ? fileURLToPath(path)
    : isAbsolute(path)
      ? path
      : resolve(scriptDir, path);
  const buf = readFileSync(file);
  if (mode === 'b') return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return buf.toString('utf8');
}

export default { SharedArray };
