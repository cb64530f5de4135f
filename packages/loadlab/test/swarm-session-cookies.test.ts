/**
 * The HttpUser's client keeps cookies and follows redirects, as Locust's session
 * (requests.Session) does: a login's 302 with Set-Cookie lands on the page it points to, with
 * the cookie, and later requests of the same user carry it; another user has its own. The
 * chain is one request in the statistics, under the name and method asked. Before, the 302 was
 * the answer and no cookie was sent back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import type { RequestEvent } from '../src/stats/events.ts';
import { RequestEvents } from '../src/stats/events.ts';
import { HttpSession, PoolSet } from '../src/swarm/http-session.ts';

const seen: { method: string; path: string; cookie: string }[] = [];
let srv: LocalServer;

before(async () => {
  srv = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    seen.push({ method: req.method ?? '', path, cookie: String(req.headers.cookie ?? '') });
    req.resume();
    req.on('end', () => {
      if (path === '/login') {
        res.writeHead(302, { location: '/home', 'set-cookie': 'session=u1; Path=/' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${req.method} ${path}`);
      }
    });
  });
});
after(() => srv.close());

test('a session follows redirects and sends back its cookies; another session has its own', async () => {
  const events = new RequestEvents();
  const recorded: [string, string, number][] = [];
  events.on((ev: RequestEvent) => recorded.push([ev.type, ev.name, ev.status]));
  const pools = new PoolSet();
  const a = new HttpSession(pools, { host: srv.url, events });
  const b = new HttpSession(pools, { host: srv.url, events });
  try {
    const login = await a.post('/login', { user: 'a' });
    assert.deepEqual([login.status, login.text], [200, 'GET /home']);
    const kept = await a.get('/login', { allowRedirects: false, name: 'login-no-follow' });
    assert.equal(kept.status, 302);
    await a.get('/page');
    await b.get('/page');
    await a.get('/own', { headers: { Cookie: 'mine=1' } });
  } finally {
    await pools.close();
  }
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.path} [${s.cookie}]`),
    [
      'POST /login []',
      'GET /home [session=u1]',
      'GET /login [session=u1]',
      'GET /page [session=u1]',
      'GET /page []',
      'GET /own [mine=1]',
    ],
  );
  // the POST and its redirect are one request of the statistics
  assert.deepEqual(recorded, [
    ['POST', '/login', 200],
    ['GET', 'login-no-follow', 302],
    ['GET', '/page', 200],
    ['GET', '/page', 200],
    ['GET', '/own', 200],
  ]);
});
