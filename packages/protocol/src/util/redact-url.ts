/**
 * A URL without its secrets, for logs, reports and errors: the password of `user:pass@`, and
 * libpq-style query parameters carrying one (`?password=`, `?sslpassword=`). Text that does not
 * parse as a URL gets the same treatment by pattern.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/password/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@').replace(/(password=)[^&]*/gi, '$1***');
  }
}

/** A parameter value as it may be shown: a string that names a URL with a secret is redacted. */
export function redactParam(v: unknown): unknown {
  return typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/]*@|password=/i.test(v) ? redactUrl(v) : v;
}

/** Parameters as they may be shown (reports, console): every value through redactParam. */
export function redactParams(params: Record<string, unknown> | undefined): Record<string, unknown> {
  if (params === undefined || params === null || typeof params !== 'object') return {};
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, redactParam(v)]));
}
