/**
 * WebSocket upgrades signed by query parameters (`key`, `ts`, `sig`) beside other parameters:
 * the signature covers the path exactly as the client wrote it, those three removed, whatever
 * the other parameters' encoding (a comma, a tilde, `%20`, a parameter without a value) and
 * wherever the three sit in the query. /stream takes no `tag`, and `ack` once: an upgrade signed
 * over a tag or a repeated ack is answered 400 TRD_ERR_INVALID_QUERY naming it, which comes after
 * the signature is checked (a signature that does not cover the query as sent is 401), so the
 * 400 shows it was accepted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest, signWebSocketPath } from '@tickstorm/protocol';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { type Fixture, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

const attempt = async (url: string): Promise<number> => (await tryUpgrade(url)).status;
/** The parameter /stream refuses in `path` (the signature accepted first), if any. */
const refused = (path: string) =>
  path.includes('tag=') ? 'tag' : path.includes('ack=1&ack') ? 'ack' : undefined;
/** 101 for a query /stream takes; 400 naming the one it refuses (a tag, or ack given twice). */
const accepted = (path: string) => (refused(path) === undefined ? 101 : 400);

describe('auth: WebSocket upgrades signed by query parameters', () => {
  let f: Fixture;
  let base: string;
  const feed = KEYS_JSON.find((k) => k.id === 'feed-1')!;
  before(async () => {
    f = await startFixture({ services: ['market-data'], security: { keys: keyStore() }, inputLog: false });
    base = `ws://127.0.0.1:${f.sys.handles['market-data']!.port}`;
  });
  after(() => f.close());

  for (const path of [
    '/stream?ack=1',
    '/stream?ack=1&tag=a,b',
    '/stream?ack=1&tag=~x',
    '/stream?ack=1&tag=a%20b',
    '/stream?ack=1&tag=a+b',
    '/stream?ack',
    '/stream?ack=1&ack=1',
  ]) {
    test(`signWebSocketPath(${path}) is accepted (${accepted(path)})`, async () => {
      const r = await tryUpgrade(`${base}${signWebSocketPath(feed.id, feed.secret, path)}`);
      assert.equal(r.status, accepted(path), r.body);
      if (r.status === 400) assert.equal(JSON.parse(r.body).error.field, refused(path));
    });
  }

  test('the three parameters first, the others after: signed over the others as written', async () => {
    const ts = String(Date.now());
    const sig = signRequest(feed.secret, ts, 'GET', '/stream?ack=1&tag=a,b');
    const url = `${base}/stream?key=${feed.id}&ts=${ts}&sig=${sig}&ack=1&tag=a,b`;
    assert.equal(await attempt(url), 400);
    const plain = signRequest(feed.secret, ts, 'GET', '/stream?ack=1');
    assert.equal(await attempt(`${base}/stream?key=${feed.id}&ts=${ts}&sig=${plain}&ack=1`), 101);
  });

  test('a signature over a re-encoded query is still refused (401)', async () => {
    const ts = String(Date.now());
    const sig = signRequest(feed.secret, ts, 'GET', '/stream?ack=1&tag=a%2Cb');
    assert.equal(await attempt(`${base}/stream?ack=1&tag=a,b&key=${feed.id}&ts=${ts}&sig=${sig}`), 401);
  });
});
