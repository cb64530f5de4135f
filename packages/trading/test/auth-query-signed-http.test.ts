/**
 * A plain HTTP request signed the way a WebSocket URL is (`?key=&ts=&sig=`, no X-TS-* headers)
 * is refused 401 TRD_ERR_UNAUTHENTICATED saying that those parameters are taken on WebSocket
 * upgrades only, rather than only that signed requests are required, which left a client that
 * had signed its request wondering what was missing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@tickstorm/protocol';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('an HTTP request signed by query parameters', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine'],
      security: { keys: keyStore() },
      inputLog: false,
    });
  });
  after(() => f.close());

  test('401 naming WebSocket upgrades as where key, ts and sig go', async () => {
    const viewer = KEYS_JSON.find((k) => k.role === 'viewer')!;
    const ts = String(Date.now());
    const sig = signRequest(viewer.secret, ts, 'GET', '/book/AAPL');
    const r = await f.http.get(`${f.url('execution-engine')}/book/AAPL?key=${viewer.id}&ts=${ts}&sig=${sig}`);
    assert.equal(r.status, 401);
    const e = codedError(r);
    assert.equal(e.code, 'TRD_ERR_UNAUTHENTICATED');
    assert.match(e.message, /query parameters are taken on WebSocket upgrades only/);
  });

  test('without them, the plain message', async () => {
    const r = await f.http.get(`${f.url('execution-engine')}/book/AAPL`);
    assert.equal(r.status, 401);
    assert.doesNotMatch(codedError(r).message, /WebSocket/);
  });
});
