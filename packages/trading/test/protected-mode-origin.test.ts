/**
 * Protected mode (no keys) serves loopback peers, but a web page open in a browser on the same
 * machine is a loopback peer too: it may send a simple cross-origin POST (no preflight) or
 * open a WebSocket, neither of which is subject to CORS. Requests and upgrades that carry an
 * `Origin` other than a loopback one are refused 403 TRD_ERR_CROSS_ORIGIN; clients that send
 * no Origin (curl, httpx, the load lab, websockets libraries) and pages served from loopback
 * keep working. A page whose site name is pointed at 127.0.0.1 (DNS rebinding) reads as its own
 * origin and sends no Origin on a GET: its Host, a domain name, is refused.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

describe('protected mode: cross-origin browser requests', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ services: ['market-data', 'execution-engine', 'api'], inputLog: false });
  });
  after(() => f.close());

  test('a simple cross-origin POST (the kill switch) is 403 TRD_ERR_CROSS_ORIGIN; nothing halted', async () => {
    const ex = f.url('execution-engine');
    const evil = await f.http.send('POST', `${ex}/admin/accounts/default/halt`, undefined, {
      origin: 'http://evil.example',
    });
    assert.equal(evil.status, 403, JSON.stringify(evil.body));
    assert.equal(codedError(evil).code, 'TRD_ERR_CROSS_ORIGIN');
    const nul = await f.http.send('POST', `${ex}/stats/reset`, undefined, { origin: 'null' });
    assert.equal(nul.status, 403);
    const resume = await f.http.send('POST', `${ex}/admin/accounts/default/resume`, undefined, {});
    assert.equal(resume.status, 200);
    assert.equal(resume.body.wasHalted, false, 'the cross-origin halt did nothing');
  });

  test('a domain that merely starts like a loopback address is a foreign origin', async () => {
    const ex = f.url('execution-engine');
    for (const origin of ['http://127.0.0.1.evil.example', 'http://127.evil.example:8080']) {
      const r = await f.http.send('POST', `${ex}/admin/accounts/default/halt`, undefined, { origin });
      assert.equal(r.status, 403, `${origin}: ${JSON.stringify(r.body)}`);
      assert.equal(codedError(r).code, 'TRD_ERR_CROSS_ORIGIN');
    }
    const base = f.url('market-data').replace('http', 'ws');
    assert.equal(
      (await tryUpgrade(`${base}/stream`, { origin: 'http://127.0.0.1.evil.example' })).status,
      403,
    );
    const resume = await f.http.send('POST', `${ex}/admin/accounts/default/resume`, undefined, {});
    assert.equal(resume.body.wasHalted, false, 'the look-alike origin halted nothing');
  });

  test('a Host that is a domain name (DNS rebinding: a same-origin GET sends no Origin) is 403', async () => {
    const port = Number(new URL(f.url('execution-engine')).port);
    const get = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/book/SYM1', headers: { host } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const host of [
      'evil.example:80',
      `127.0.0.1.evil.example:${port}`,
      'evil.example@127.0.0.1',
      'a.b',
    ]) {
      const r = await get(host);
      assert.equal(r.status, 403, `${host}: ${r.body}`);
      assert.equal(JSON.parse(r.body).error.code, 'TRD_ERR_CROSS_ORIGIN');
    }
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'LOCALHOST',
      'app.localhost',
      'x',
    ]) {
      assert.equal((await get(host)).status, 200, host);
    }
  });

  test('no Origin, or a loopback one, is served', async () => {
    const ex = f.url('execution-engine');
    for (const origin of [
      undefined,
      'http://localhost:3000',
      'http://127.0.0.1:8080',
      'http://127.1',
      'http://[::1]',
    ]) {
      const r = await f.http.send(
        'POST',
        `${ex}/admin/accounts/default/resume`,
        undefined,
        origin === undefined ? {} : { origin },
      );
      assert.equal(r.status, 200, `${origin}: ${JSON.stringify(r.body)}`);
    }
  });

  for (const [service, path] of [
    ['market-data', '/stream'],
    ['api', '/ws/metrics'],
  ] as const) {
    test(`WebSocket ${path}: a foreign Origin is refused 403 coded; none or loopback opens`, async () => {
      const base = f.url(service).replace('http', 'ws');
      const evil = await tryUpgrade(`${base}${path}`, { origin: 'https://evil.example' });
      assert.equal(evil.status, 403);
      assert.equal(JSON.parse(evil.body).error.code, 'TRD_ERR_CROSS_ORIGIN');
      assert.equal((await tryUpgrade(`${base}${path}`)).status, 101);
      assert.equal((await tryUpgrade(`${base}${path}`, { origin: 'http://localhost:5173' })).status, 101);
    });
  }
});
