/**
 * The k6 script text the setup()/teardown() metric tests share: the imports with the custom
 * counter `made`, and a setup() that makes one request (`$URL/st`), one check ('setup ok')
 * and adds 1 to `made`.
 */

/** Imports http, check and Counter; declares `made`. */
export const LIFECYCLE_HEAD = `import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const made = new Counter('made');
`;

/** setup(): 1 request, 1 check, made +1. */
export const LIFECYCLE_SETUP = `export async function setup() {
  const r = await http.get('$URL/st');
  check(r, { 'setup ok': (x) => x.status === 200 });
  made.add(1);
  return {};
}
`;
