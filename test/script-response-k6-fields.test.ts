/**
 * k6's response fields a script checks: `error_code` (0, 1000 + a 4xx/5xx status, k6's code of
 * a network error: 1212 for a refused connection), `status_text` ("200 OK") and `proto`
 * ("HTTP/1.1"). Before, they were undefined, so k6's `r.error_code === 0` check failed on every
 * good answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-res-fields-');

test("a script reads k6's error_code, status_text and proto", async () => {
  const f = t.script(
    'fields.js',
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { thresholds: { checks: ['rate==1'] } };
export default async function () {
  const ok = await http.get('$URL/ok');
  check(ok, {
    'ok error_code 0': (r) => r.error_code === 0,
    'ok status_text': (r) => r.status_text === '200 OK',
    'ok proto': (r) => r.proto === 'HTTP/1.1',
  });
  const bad = await http.get('$URL/fail');
  check(bad, { 'fail error_code 1500': (r) => r.error_code === 1500 && r.status_text === '500 Internal Server Error' });
  const refused = await http.get('http://127.0.0.1:1/');
  check(refused, { 'refused 1212': (r) => r.status === 0 && r.error_code === 1212 && r.status_text === '' && r.proto === '' });
}
`,
  );
  const r = await run(['run', f, '-q']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✓ checks\.+: 100\.00%/);
});
