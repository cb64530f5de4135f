/**
 * k6's options.discardResponseBodies and params.responseType: a body read and dropped (`body`
 * null, still counted in data_received), as text, or as an ArrayBuffer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-response-type-');

test('discardResponseBodies: body null unless responseType says text or binary; the bytes still counted', async () => {
  const f = t.script(
    'discard.js',
    `import http from 'k6/http';
import { Counter } from 'k6/metrics';
const ok = new Counter('ok');
export const options = { iterations: 1, discardResponseBodies: true, thresholds: { ok: ['count==4'] } };
export default async function () {
  const a = await http.get('$URL/a');
  if (a.body === null && a.status === 200) ok.add(1);
  const b = await http.get('$URL/b', { responseType: 'text' });
  if (b.body === '{}') ok.add(1);
  const c = await http.get('$URL/c', { responseType: 'binary' });
  if (c.body instanceof ArrayBuffer && c.body.byteLength === 2) ok.add(1);
  try { a.json(); } catch (e) { if (/no body/.test(e.message)) ok.add(1); }
}
`,
  );
  const json = join(t.dir, 'discard.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  assert.equal(m.data_received.values.count, 6, 'three bodies of 2 bytes, the dropped one too');
});

test('without the option bodies are text; a bad responseType ends the iteration as an error; a bad option is 104', async () => {
  const f = t.script(
    'text.js',
    `import http from 'k6/http';
import { Counter } from 'k6/metrics';
const ok = new Counter('ok');
export const options = { iterations: 1, thresholds: { ok: ['count==1'] } };
export default async function () {
  const a = await http.get('$URL/a');
  if (a.body === '{}') ok.add(1);
  await http.get('$URL/a', { responseType: 'stream' });
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /params\.responseType must be 'text', 'binary' or 'none' \(got "stream"\)/);
  const bad = t.script(
    'bad.js',
    `export const options = { discardResponseBodies: 'yes' };
export default async function () {}
`,
  );
  const b = await run(['run', bad]);
  assert.equal(b.code, 104, b.stderr);
  assert.match(b.stderr, /options\.discardResponseBodies must be true or false/);
});
