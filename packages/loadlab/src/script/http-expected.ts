/**
 * k6's expected statuses: which responses count as success (`http_req_failed` 0, the
 * `expected_response:true` tag). The default is 200-399. A script changes it per request with
 * `params.responseCallback = http.expectedStatuses(200, 409, { min: 500, max: 503 })`, for every
 * later request of the VU with `http.setResponseCallback(...)` (per VU, as k6's), or with the lab's
 * `params.expectedStatuses: [200, 409]`. `null` as responseCallback: every response is
 * expected (only a network error fails), as in k6.
 */

/** What http.expectedStatuses() returns (opaque to scripts, as k6's). */
export class ResponseCallback {
  constructor(
    readonly statuses: ReadonlySet<number>,
    readonly ranges: readonly { min: number; max: number }[],
  ) {}
  matches(status: number): boolean {
    return this.statuses.has(status) || this.ranges.some((r) => status >= r.min && status <= r.max);
  }
}

/** k6's http.expectedStatuses(...): integers and `{ min, max }` ranges. */
export function expectedStatuses(...args: (number | { min: number; max: number })[]): ResponseCallback {
  const statuses = new Set<number>();
  const ranges: { min: number; max: number }[] = [];
  for (const [i, a] of args.entries()) {
    if (typeof a === 'number' && Number.isInteger(a)) statuses.add(a);
    else if (
      typeof a === 'object' &&
      a !== null &&
      Number.isInteger(a.min) &&
      Number.isInteger(a.max) &&
      a.min <= a.max
    )
      ranges.push({ min: a.min, max: a.max });
    else
      throw new TypeError(
        `http.expectedStatuses(): argument ${i + 1} is neither an integer status nor { min, max } (got ${JSON.stringify(a)})`,
      );
  }
  return new ResponseCallback(statuses, ranges);
}

/** The default of a VU that set none: 200-399. */
export const DEFAULT_EXPECTED = expectedStatuses({ min: 200, max: 399 });

/** Checks setResponseCallback()'s argument (k6's: expectedStatuses(...) or null). */
export function checkResponseCallback(cb: unknown): ResponseCallback | null {
  if (cb !== null && !(cb instanceof ResponseCallback))
    throw new TypeError('http.setResponseCallback() takes http.expectedStatuses(...) or null');
  return cb;
}

/**
 * The rule a request is judged by, taken when it is sent: its params', else its VU's
 * (`vuDefault`, set by setResponseCallback), else 200-399.
 */
export function expectationOf(
  params: { expectedStatuses?: number[]; responseCallback?: ResponseCallback | null },
  vuDefault: ResponseCallback | null | undefined,
): number[] | ResponseCallback | null {
  if (params.expectedStatuses !== undefined) return params.expectedStatuses;
  // `null` (set by setResponseCallback(null)) is a rule of its own: not the default
  const cb =
    params.responseCallback !== undefined
      ? params.responseCallback
      : vuDefault !== undefined
        ? vuDefault
        : DEFAULT_EXPECTED;
  if (cb !== null && !(cb instanceof ResponseCallback))
    throw new TypeError('params.responseCallback takes http.expectedStatuses(...) or null');
  return cb;
}

/** Whether `status` (0: a network error) is expected under a rule from expectationOf (no allocation per request). */
export function isExpected(rule: number[] | ResponseCallback | null, status: number): boolean {
  if (status === 0) return false;
  if (rule === null) return true;
  return Array.isArray(rule) ? rule.includes(status) : rule.matches(status);
}
