/**
 * The promise that `http.get()` and the other `tickstorm/http` calls return, marked so that
 * k6's habit, `const res = http.get(url)` without `await`, fails with what to do instead of
 * `res.json is not a function` (or a `check()` of `r.status` quietly false): reading a
 * response's field (`status`, `body`, `json`, ...) on the promise throws
 *
 *   TypeError: http.get() returns a promise here: await it (const res = await http.get(...)) before reading res.status
 *
 * and `check()` given such a promise throws the same way. The promise itself is an ordinary
 * one (its prototype's chain ends in Promise.prototype; `await` and `.then` are unchanged).
 */

/** The fields of k6's Response (and this one's) a script reads. */
const FIELDS = [
  'status',
  'status_text',
  'body',
  'headers',
  'cookies',
  'timings',
  'error',
  'error_code',
  'url',
  'proto',
  'json',
  'html',
  'request',
  'remote_ip',
  'remote_port',
  'tls_version',
] as const;

const CALL = Symbol('tickstorm.http.call');

type Marked = Promise<unknown> & { [CALL]?: string };

/** What to write instead, for the promise of `call` (e.g. 'http.get()') read as a response. */
export function notAwaitedMessage(call: string, what: string): string {
  return `${call} returns a promise here: await it (const res = await ${call.replace('()', '(...)')}) before ${what}`;
}

const PROTO: object = Object.create(Promise.prototype);
for (const field of FIELDS)
  Object.defineProperty(PROTO, field, {
    get(this: Marked) {
      throw new TypeError(notAwaitedMessage(this[CALL] ?? 'http.request()', `reading res.${field}`));
    },
  });

/** `p`, the promise of `call`, marked as a response not awaited yet. */
export function markResponsePromise<T>(p: Promise<T>, call: string): Promise<T> {
  Object.setPrototypeOf(p, PROTO);
  (p as Marked)[CALL] = call;
  return p;
}

/** The call whose response promise `value` is (e.g. 'http.get()'), or undefined. */
export function responsePromiseCall(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === PROTO
    ? (value as Marked)[CALL]
    : undefined;
}
