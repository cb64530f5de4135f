/**
 * With keys, a refused scrape of `GET /metrics` is a 401 that names its scheme
 * (`WWW-Authenticate: Basic ...`, RFC 9110 §11.6.1 requires the challenge on every 401), so a
 * browser or curl asks for the key id and secret; other routes (signed only) do not offer Basic,
 * and a 403 (a feed key) carries no challenge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { type Fixture, startFixture } from './support/trading-fixture.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const [admin, viewer, feed] = KEYS_JSON;

describe('GET /metrics with keys: a 401 carries the Basic challenge', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ security: { keys: keyStore() }, inputLog: false });
  });
  after(() => f?.close());

  async function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
    const res = await fetch(`${f.url('api')}${path}`, { method, headers });
    await res.arrayBuffer();
    return { status: res.status, challenge: res.headers.get('www-authenticate') };
  }

  test('no credentials, an unknown key, a wrong secret, a malformed header, a bad signature: 401 Basic', async () => {
    const challenge = 'Basic realm="tickstorm /metrics", charset="UTF-8"';
    const cases: Record<string, string>[] = [
      {},
      { authorization: basic('ghost', 'x') },
      { authorization: basic(viewer.id, 'not-the-secret') },
      { authorization: 'Bearer abc' },
      { 'x-ts-key': admin.id, 'x-ts-timestamp': String(Date.now()), 'x-ts-signature': '00' },
    ];
    for (const headers of cases) {
      assert.deepEqual(await get('/metrics', headers), { status: 401, challenge }, JSON.stringify(headers));
    }
    assert.deepEqual(await get('/metrics', {}, 'HEAD'), { status: 401, challenge });
  });

  test('a viewer scrapes; a feed key is 403 without a challenge; other routes offer none', async () => {
    assert.deepEqual(await get('/metrics', { authorization: basic(viewer.id, viewer.secret) }), {
      status: 200,
      challenge: null,
    });
    assert.deepEqual(await get('/metrics', { authorization: basic(feed.id, feed.secret) }), {
      status: 403,
      challenge: null,
    });
    assert.deepEqual(await get('/api/metrics/system'), { status: 401, challenge: null });
  });
});
