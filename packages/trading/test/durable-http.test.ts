/**
 * Durability over HTTP on the composed system: GET /orders reconciliation (paged, coded 400s),
 * a journal fault answers 503 + Retry-After + code while reads keep working and /health shows
 * it, PUT /limits is journalled, and a failing metrics store is counted, exported and turns
 * /health degraded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { CommandKind, CommandRecord } from '../src/sequencing/command-codec.ts';
import { readInputLog } from '../src/sequencing/input-log-reader.ts';
import { codedError, type Fixture, order, pollUntil, startFixture } from './support/trading-fixture.ts';

describe('durability over HTTP', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    f = await startFixture({ selfMetricsIntervalMs: 60_000, barPersistMs: 0 });
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  test('GET /orders?account=A&status=open pages through the open orders; bad params get coded 400s', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await f.http.post(
        `${ex}/orders`,
        order('AMZN', 'buy', 'limit', 1, 90 + i, { account: 'rec-a' }),
      );
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 1, 80, { account: 'rec-b' }));
    assert.equal((await f.http.delete(`${ex}/orders/${ids[1]}`)).status, 200);
    const open = ids.filter((_, i) => i !== 1);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const q: string = cursor === null ? '' : `&cursor=${cursor}`;
      const r = await f.http.get(`${ex}/orders?account=rec-a&status=open&limit=2${q}`);
      assert.equal(r.status, 200);
      for (const o of r.body.orders) {
        assert.equal(o.account, 'rec-a');
        assert.ok(o.status === 'new' || o.status === 'partially_filled' || o.status === 'pending');
        seen.push(o.id);
      }
      cursor = r.body.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual(seen, open);
    const after1 = await f.http.get(`${ex}/orders?account=rec-a&after=${open[0]}`);
    assert.deepEqual(
      after1.body.orders.map((o: { id: string }) => o.id),
      open.slice(1),
    );
    for (const [q, field] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['status=filled', 'status'],
      ['cursor=abc', 'cursor'],
      ['bogus=1', 'bogus'],
      ['account=rec-a&account=rec-b', 'account'],
    ]) {
      const r = await f.http.get(`${ex}/orders?${q}`);
      assert.equal(r.status, 400, q);
      const e = codedError(r);
      assert.equal(e.code, TradingErrorCode.INVALID_QUERY, q);
      assert.equal(e.field, field, q);
    }
    // The cursor is named quoted (an empty one reads "" rather than nothing) and cut.
    const empty = codedError(await f.http.get(`${ex}/orders?cursor=`));
    assert.equal(empty.message, '"" is not an order id');
    const long = codedError(await f.http.get(`${ex}/orders?after=${'9'.repeat(5000)}`));
    assert.equal(long.field, 'after');
    assert.ok(long.message.length < 100, long.message);
  });

  test('PUT /limits is journalled before it answers', async () => {
    const rm = f.url('risk-manager');
    const r = await f.http.send('PUT', `${rm}/limits`, { maxOrderQty: 7_777 });
    assert.equal(r.status, 200);
    assert.equal(r.body.maxOrderQty, 7_777);
    const reader = readInputLog(f.sys.core!.logPaths[0]);
    const rec = new CommandRecord();
    let limits = '';
    while (reader.next(rec)) if (rec.kind === CommandKind.SET_LIMITS) limits = reader.text;
    reader.close();
    assert.equal(JSON.parse(limits).maxOrderQty, 7_777);
  });

  test('a journal fault: 503 + Retry-After + code on orders, reads served, /health degraded after EIO', async () => {
    const placed = await f.http.post(`${ex}/orders`, order('GOOGL', 'buy', 'limit', 1, 95));
    assert.equal(placed.status, 201);
    const log = f.sys.core!.router.shards[0].log!;
    const eio = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    log.fault = (op) => (op === 'sync' ? eio : undefined);
    const r = await f.http.post(`${ex}/orders`, order('GOOGL', 'buy', 'limit', 1, 94));
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(codedError(r).code, TradingErrorCode.JOURNAL_UNAVAILABLE);
    const again = await f.http.post(`${ex}/orders`, order('GOOGL', 'buy', 'limit', 1, 94));
    assert.equal(again.status, 503);
    assert.equal((await f.http.get(`${ex}/orders/${placed.body.id}`)).status, 200);
    assert.equal((await f.http.get(`${ex}/book/GOOGL`)).status, 200);
    const h = await f.http.get(`${ex}/health`);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.journal.healthy, false);
  });

  test('a failing metrics store is counted, exported and turns /health degraded', async () => {
    const api = f.url('api');
    const store = f.sys.store!;
    const real = store.insertColumns.bind(store);
    store.insertColumns = () => Promise.reject(new Error('IO Error: No space left on device'));
    try {
      f.sys.metrics!.record('test.fail', 1);
      await f.sys.metrics!.flush();
      const db = await f.http.get(`${api}/api/metrics/database`);
      assert.ok(db.body.failedFlushes >= 1);
      assert.ok(db.body.failedRows >= 1);
      assert.match(db.body.lastError, /No space left/);
      const prom = await f.http.get(`${api}/metrics`);
      assert.match(String(prom.body), /tickstorm_database_failed_flushes_total [1-9]/);
      const h = await pollUntil('the api health to turn degraded', async () => {
        const r = await f.http.get(`${api}/health`);
        return r.body.status === 'degraded' ? r : undefined;
      });
      assert.equal(h.status, 503);
    } finally {
      store.insertColumns = real;
    }
  });
});
