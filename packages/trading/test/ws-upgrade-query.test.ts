/**
 * A WebSocket upgrade ignored a query parameter its endpoint does not take: `/stream?acks=1`
 * opened without acks, silently, while every HTTP route refuses one. It is 400
 * TRD_ERR_INVALID_QUERY naming it, a coded HTTP answer before the upgrade, on `/stream` and
 * `/ws/metrics`. Each keeps what it takes (`ack` on /stream; `key`, `ts`, `sig` on both). With
 * keys the signature is checked first (over the query as sent, the three removed): a bad one is
 * 401 whatever the query.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest, signWebSocketPath } from '@tickstorm/protocol';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';
import { type Fixture, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

const wsBase = (f: Fixture, service: 'market-data' | 'api') =>
  `ws://127.0.0.1:${f.sys.handles[service]!.port}`;

async function refusedNaming(url: string, name: string, takes: string): Promise<void> {
  const r = await tryUpgrade(url);
  assert.equal(r.status, 400, `${url}: ${r.body}`);
  const body = JSON.parse(r.body) as { error: { code: string; message: string; field?: string } };
  assert.equal(body.error.code, 'TRD_ERR_INVALID_QUERY');
  assert.equal(body.error.field, name);
  assert.equal(body.error.message, `unknown query parameter "${name}": ${takes}`);
}

describe('WebSocket upgrades refuse a query parameter they do not take', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ inputLog: false, services: ['market-data', 'api'] });
  });
  after(() => f.close());

  test('/stream?acks=1 (a misspelt ack) is 400 naming acks, not a stream without acks', async () => {
    const takes = 'GET /stream takes ack, key, ts, sig';
    await refusedNaming(`${wsBase(f, 'market-data')}/stream?acks=1`, 'acks', takes);
    await refusedNaming(`${wsBase(f, 'market-data')}/stream?ack=1&tag=x`, 'tag', takes);
  });

  test('/ws/metrics?symbol=AAPL is 400 naming symbol', async () => {
    await refusedNaming(
      `${wsBase(f, 'api')}/ws/metrics?symbol=AAPL`,
      'symbol',
      'GET /ws/metrics takes key, ts, sig',
    );
  });

  test('a parameter that does not percent-decode is 400 naming it, not taken as sent', async () => {
    for (const url of [
      `${wsBase(f, 'market-data')}/stream?ack=1&key=%ZZ`,
      `${wsBase(f, 'api')}/ws/metrics?key=%ZZ`,
    ]) {
      const r = await tryUpgrade(url);
      assert.equal(r.status, 400, `${url}: ${r.body}`);
      const body = JSON.parse(r.body) as { error: { code: string; field?: string } };
      assert.deepEqual([body.error.code, body.error.field], ['TRD_ERR_INVALID_QUERY', 'key']);
    }
  });

  test('what each endpoint takes still opens', async () => {
    for (const url of [
      `${wsBase(f, 'market-data')}/stream`,
      `${wsBase(f, 'market-data')}/stream?ack=1`,
      `${wsBase(f, 'market-data')}/stream?ack`,
      `${wsBase(f, 'api')}/ws/metrics`,
      `${wsBase(f, 'api')}/ws/metrics?key=k&ts=1&sig=s`,
    ]) {
      assert.equal((await tryUpgrade(url)).status, 101, url);
    }
  });
});

describe('with keys: the signature first, then the query', () => {
  let f: Fixture;
  const feed = KEYS_JSON.find((k) => k.id === 'feed-1')!;
  const viewer = KEYS_JSON.find((k) => k.id === 'viewer-1')!;
  before(async () => {
    f = await startFixture({
      inputLog: false,
      services: ['market-data', 'api'],
      security: { keys: keyStore() },
    });
  });
  after(() => f.close());

  test('signed /stream?ack=1 opens; signed with acks=1 is 400 naming it; a bad signature 401', async () => {
    const base = wsBase(f, 'market-data');
    assert.equal(
      (await tryUpgrade(`${base}${signWebSocketPath(feed.id, feed.secret, '/stream?ack=1')}`)).status,
      101,
    );
    const takes = 'GET /stream takes ack, key, ts, sig';
    await refusedNaming(`${base}${signWebSocketPath(feed.id, feed.secret, '/stream?acks=1')}`, 'acks', takes);
    const ts = String(Date.now());
    const sig = signRequest('not-the-secret', ts, 'GET', '/stream?acks=1');
    assert.equal((await tryUpgrade(`${base}/stream?acks=1&key=${feed.id}&ts=${ts}&sig=${sig}`)).status, 401);
  });

  test('signed /ws/metrics opens; with another parameter 400 naming it', async () => {
    const base = wsBase(f, 'api');
    assert.equal(
      (await tryUpgrade(`${base}${signWebSocketPath(viewer.id, viewer.secret, '/ws/metrics')}`)).status,
      101,
    );
    await refusedNaming(
      `${base}${signWebSocketPath(viewer.id, viewer.secret, '/ws/metrics?tag=a')}`,
      'tag',
      'GET /ws/metrics takes key, ts, sig',
    );
  });
});
