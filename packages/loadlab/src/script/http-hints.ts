/**
 * A hint on stderr, once per origin, for a k6 habit a server refuses: k6's
 * `http.post(url, JSON.stringify(o))` sends its string body without a Content-Type, and a server
 * that takes only JSON (Tickstorm's trading system among them) answers 415. The request is
 * counted as it came (a failed request); the hint says what to add.
 *
 *   WARN http://127.0.0.1:5002: POST /orders was answered 415 Unsupported Media Type: its body
 *   was sent without a Content-Type ...
 */
const warned = new Set<string>();

export function warnMediaTypeOnce(
  u: URL,
  method: string,
  status: number,
  headers: Record<string, string>,
  hasBody: boolean,
): void {
  if (status !== 415 || !hasBody || warned.has(u.origin)) return;
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) return;
  warned.add(u.origin);
  process.stderr.write(
    `WARN ${u.origin}: ${method} ${u.pathname} was answered 415 Unsupported Media Type: its body was sent without a Content-Type (k6's http.post(url, JSON.stringify(o)) sends none). Add params { headers: { 'Content-Type': 'application/json' } }, or pass the object itself (an object body is sent as JSON with that header)\n`,
  );
}
