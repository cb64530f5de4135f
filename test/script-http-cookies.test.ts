/**
 * k6's http defaults a login flow depends on: redirects are followed (up to 10, each hop its own
 * sample; 303, and 301/302 of a POST, go on as a GET), and each VU has a cookie jar, emptied at
 * each iteration's start, whose cookies go back with the VU's later requests; `res.cookies`,
 * `params.cookies`, `params.redirects` and `http.cookieJar()` as k6 has them. Before, a 302
 * was the answer and no cookie was ever sent back. `res.json(selector)` reads the path (it
 * answered the whole body). A compound `timeout` ('1m30s') is a
 * duration (it was an iteration error).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

/** Each request the target saw: method, path and the Cookie header it carried. */
let seen: { method: string; path: string; cookie: string }[] = [];
let srv: LocalServer;
let dir: string;

before(async () => {
  srv = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    seen.push({ method: req.method ?? '', path, cookie: String(req.headers.cookie ?? '') });
    req.resume();
    req.on('end', () => {
      if (path === '/login') {
        res.writeHead(302, {
          location: '/home',
          'set-cookie': ['session=s1; Path=/; HttpOnly', 'theme=dark'],
        });
        res.end('moved');
      } else if (path === '/data') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items: [{ id: 7 }, { id: 8 }], user: { name: 'ann' } }));
      } else if (path === '/loop') {
        res.writeHead(307, { location: '/loop' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${req.method} ${path}`);
      }
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-cookies-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test('redirects are followed and the VU cookie jar sends back what was set, per iteration', async () => {
  seen = [];
  const base = srv.url.replace(/\/$/, '');
  const f = join(dir, 'login.js');
  writeFileSync(
    f,
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, iterations: 2 };
export default async function () {
  // the jar is empty at each iteration's start: this request carries no cookie (and a
  // compound duration is a timeout, as in k6)
  await http.get('${base}/before', { timeout: '1m30s' });
  const res = await http.post('${base}/login', 'user=a', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const kept = await http.get('${base}/login', { redirects: 0 });
  http.cookieJar().set('${base}', 'lang', 'fr');
  await http.get('${base}/after', { cookies: { theme: 'light' } });
  const loop = await http.get('${base}/loop', { redirects: 2 });
  check(res, {
    'followed to /home as a GET': (r) => r.status === 200 && r.body === 'GET /home' && r.url === '${base}/home',
    'not followed with redirects: 0': () => kept.status === 302,
    'res.cookies': () => kept.cookies.session[0].value === 's1' && kept.cookies.session[0].httpOnly === true,
    'cookiesForURL': () => http.cookieJar().cookiesForURL('${base}/x').lang[0] === 'fr',
    'a redirect loop ends at the limit': () => loop.status === 307,
  });
}
`,
  );
  const json = join(dir, 'login.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.metrics.checks.values.rate, 1, r.stdout);
  // every hop is a request of its own: the summary counts what the target saw
  assert.equal(j.metrics.http_reqs.values.count, seen.length);
  const at = (path: string) => seen.filter((s) => s.path === path);
  assert.deepEqual(
    at('/before').map((s) => s.cookie),
    ['', ''],
  );
  // the 302 of a POST goes on as a GET, with the cookies the 302 set
  assert.deepEqual(
    at('/home').map((s) => [s.method, s.cookie]),
    [
      ['GET', 'session=s1; theme=dark'],
      ['GET', 'session=s1; theme=dark'],
    ],
  );
  assert.deepEqual(
    at('/login').map((s) => s.method),
    ['POST', 'GET', 'POST', 'GET'],
  );
  // params.cookies over the jar's of the same name; jar.set() adds one
  assert.deepEqual(
    at('/after').map((s) => s.cookie),
    ['session=s1; theme=light; lang=fr', 'session=s1; theme=light; lang=fr'],
  );
  // redirects: 2 -> the request and two hops
  assert.equal(at('/loop').length, 6);
});

test("res.json(selector) reads k6's GJSON path, not the whole body", async () => {
  const base = srv.url.replace(/\/$/, '');
  const f = join(dir, 'json.js');
  writeFileSync(
    f,
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, iterations: 1 };
export default async function () {
  const res = await http.get('${base}/data');
  check(res, {
    'a key path': (r) => r.json('user.name') === 'ann',
    'an index': (r) => r.json('items.1.id') === 8,
    'a length': (r) => r.json('items.#') === 2,
    'nowhere': (r) => r.json('user.age') === undefined,
    'no selector': (r) => r.json().items.length === 2,
  });
}
`,
  );
  const json = join(dir, 'json.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(j.metrics.checks.values, { rate: 1, passes: 5, fails: 0 }, r.stdout);
});
