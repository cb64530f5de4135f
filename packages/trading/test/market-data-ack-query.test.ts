/**
 * `/stream?ack=`: 1, true or `ack` alone turns periodic acks on, 0 or false (or no `ack`) leaves
 * them off; any other value is refused at the upgrade with a coded 400 naming `ack`. Before, `?ack=yes`
 * connected without acks and without a word, and a client waiting for them waited forever.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

function upgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
    });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('error', reject);
  });
}

describe('market-data /stream?ack=', () => {
  let md: MarketDataService;
  before(async () => {
    md = (await startTestService({ ackIntervalMs: 10 })).md;
  });
  after(async () => {
    await md.close();
  });

  test('a value other than 1, true, 0 or false: 400 TRD_ERR_INVALID_QUERY naming ack', async () => {
    for (const v of ['yes', 'on', '2']) {
      const r = await upgrade(MdClient.url(md, `?ack=${v}`));
      assert.equal(r.status, 400, `ack=${v}`);
      const e = JSON.parse(r.body).error;
      assert.deepEqual([e.code, e.field], ['TRD_ERR_INVALID_QUERY', 'ack']);
      assert.match(e.message, /^ack must be 1, true, 0 or false, or given alone/);
    }
    for (const v of ['1', 'true', '0', 'false', '']) {
      assert.equal((await upgrade(MdClient.url(md, `?ack=${v}`))).status, 101, `ack=${v}`);
    }
    // given twice (`?ack=1&ack=0`): which one is meant is not guessed
    const twice = await upgrade(MdClient.url(md, '?ack=1&ack=0'));
    assert.equal(twice.status, 400);
    assert.deepEqual(JSON.parse(twice.body).error, {
      code: 'TRD_ERR_INVALID_QUERY',
      message: 'ack must be given once',
      field: 'ack',
    });
    // a parameter /stream does not take is refused, not ignored (ws-upgrade-query.test.ts)
    const other = await upgrade(MdClient.url(md, '?other=1'));
    assert.equal(other.status, 400);
    assert.equal(JSON.parse(other.body).error.code, 'TRD_ERR_INVALID_QUERY');
  });

  for (const q of ['?ack=true', '?ack']) {
    test(`${q} sends periodic acks`, { timeout: 10_000 }, async () => {
      const c = await MdClient.open(MdClient.url(md, q));
      c.send(tick('SYM0', 100));
      await new Promise<void>((resolve) => {
        c.ws.on('message', () => {
          if (c.acks.some((a) => a.id === undefined && a.processed === 1)) resolve();
        });
      });
      await c.close();
    });
  }
});
