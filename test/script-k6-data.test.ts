/**
 * k6's data modules in a script: open() (relative to the script, text or bytes, load time
 * only), SharedArray from k6/data (once per thread, frozen), k6/encoding's base64, and jslib's
 * k6-utils URL resolved locally (never fetched), its helpers answering as k6-utils 1.4's (null
 * when findBetween finds nothing, letters only from randomString).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-k6-data-');

test('open() + SharedArray feed the requests; encoding and k6-utils work as in k6', async () => {
  writeFileSync(join(t.dir, 'users.json'), JSON.stringify(['ann', 'bob', 'cy']));
  const f = t.script(
    'data.js',
    `import http from 'k6/http';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import encoding from 'k6/encoding';
import { randomIntBetween, randomItem, randomString, uuidv4, findBetween } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
import { Counter } from 'k6/metrics';
const loads = new Counter('loads');
const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
const again = new SharedArray('users', () => { throw new Error('called twice'); });
const bytes = open('users.json', 'b');
// per-vu-iterations: every VU runs __ITER 0, 1, 2 (shared-iterations hands iterations to whichever VU is free)
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 3, iterations: 3 } } };
export default async function () {
  const u = users[__ITER % users.length];
  await http.get('$URL/u/' + u);
  let frozen = false;
  try { users[0] = 'x'; } catch { frozen = true; }
  let lateOpen = '';
  try { open('./users.json'); } catch (e) { lateOpen = String(e.message); }
  check(null, {
    'same array': () => again === users && users.length === 3,
    frozen: () => frozen && users[0] === 'ann',
    bytes: () => bytes instanceof ArrayBuffer && bytes.byteLength === 18,
    'open at load time only': () => /only be called at load time/.test(lateOpen),
    b64: () => encoding.b64encode('user:pass') === 'dXNlcjpwYXNz' && encoding.b64decode('dXNlcjpwYXNz', 'std', 's') === 'user:pass' &&
      encoding.b64decode('dXNlcjpwYXNz', 'std', 'b').byteLength === 9,
    rawurl: () => encoding.b64encode('\\u00ff\\u00fe?', 'rawurl') === 'w7_Dvj8',
    utils: () => {
      const n = randomIntBetween(3, 5);
      return n >= 3 && n <= 5 && users.includes(randomItem(users)) && randomString(8).length === 8 &&
        /^[0-9a-f-]{36}$/.test(uuidv4()) && findBetween('<a>1</a><a>2</a>', '<a>', '</a>', true).join() === '1,2' &&
        /^[a-z]{40}$/.test(randomString(40)) &&
        findBetween('<b>', '<a>', '</a>') === null && findBetween('<b>', '<a>', '</a>', true) === null;
    },
  });
  loads.add(1);
}
`,
  );
  const json = join(t.dir, 'data.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.metrics.checks.values.rate, 1, JSON.stringify(j.checks));
  assert.equal(j.metrics.loads.values.count, 9);
  for (const u of ['ann', 'bob', 'cy']) assert.equal(t.srv.paths.get(`/u/${u}`), 3, `/u/${u}`);
});

test("open(import.meta.resolve('…')) in an imported module reads the file next to that module", async () => {
  // k6's documented way to open a file relative to the module that opens it; before, the
  // file: URL was read as a path under the script's directory (ENOENT, 107)
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(t.dir, 'lib', 'data'), { recursive: true });
  writeFileSync(join(t.dir, 'lib', 'data', 'names.json'), JSON.stringify(['dee', 'eve']));
  writeFileSync(
    join(t.dir, 'lib', 'names.js'),
    "export const names = JSON.parse(open(import.meta.resolve('./data/names.json')));\n",
  );
  const f = t.script(
    'resolve.js',
    `import http from 'k6/http';
import { names } from './lib/names.js';
export const options = { iterations: 2 };
export default async function () { await http.get('$URL/n/' + names[__ITER % 2]); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(t.srv.paths.get('/n/dee'), 1);
  assert.equal(t.srv.paths.get('/n/eve'), 1);
});

test("jslib's url module resolves to Node's URL and URLSearchParams, never fetched", async () => {
  // k6 scripts import them from jslib (k6's runtime has no URL class); before, 107: remote
  // modules are not fetched
  const f = t.script(
    'url.js',
    `import http from 'k6/http';
import { URL, URLSearchParams } from 'https://jslib.k6.io/url/1.0.0/index.js';
export const options = { iterations: 1 };
export default async function () {
  const u = new URL('$URL/search');
  u.searchParams.append('q', 'x');
  await http.get(u.toString() + '&' + new URLSearchParams({ n: '2' }).toString());
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(t.srv.paths.get('/search'), 1);
});
