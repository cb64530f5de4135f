/**
 * OrderStore on its own (no sockets): records follow the engine's events, lookups by wire
 * id are exact (one shard: "<engineId>", several: "<shard>-<engineId>"; anything that only
 * parses to the same numbers is not found), finished orders stay findable until evicted
 * from the retention ring (their clientOrderId is freed then), live ones are never evicted.
 * The open-order listing (GET /orders) is in (shard, engine id) order although ids are not
 * issued in that order, pages from any cursor, per account or for several, and reads only
 * the page: never the kept finished records.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InstrumentTable, seededRandom } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { OrderRecord } from '../src/orders/order-record.ts';
import { parseOrderRequest } from '../src/orders/order-request.ts';
import { idTagOf, OrderStore } from '../src/orders/order-store.ts';

const inst = new InstrumentTable();

function harness(shardCount: number, retain: number, tag?: string) {
  const store = new OrderStore(inst, shardCount, retain, tag);
  const engines = Array.from(
    { length: shardCount },
    (_, s) => new MatchingEngine(inst, { listener: store.listenerFor(s) }),
  );
  const submit = (shard: number, body: Record<string, unknown>) => {
    const req = parseOrderRequest(body, inst, 'default');
    store.begin(req, shard);
    const id = engines[shard].submit(req.inst.index, req.side, req.type, req.priceTicks, req.lots, 0);
    store.end();
    assert.ok(id > 0);
    const rec = store.lastCreated!;
    assert.equal(rec.engineId, id);
    return rec;
  };
  return { store, engines, submit };
}

const limit = (side: string, quantity: number, price: number, extra = {}) => ({
  symbol: 'AAPL',
  side,
  type: 'limit',
  quantity,
  price,
  ...extra,
});

describe('OrderStore', () => {
  test('one shard: the wire id is the engine id; lookups are exact', () => {
    const { store, submit } = harness(1, 10);
    const rec = submit(0, limit('buy', 5, 100));
    assert.equal(rec.id, String(rec.engineId));
    assert.equal(store.get(rec.id), rec);
    for (const near of [`0${rec.id}`, ` ${rec.id}`, `${rec.id}.0`, `0-${rec.id}`, '', 'x', 'NaN']) {
      assert.equal(store.get(near), undefined, JSON.stringify(near));
    }
  });

  test('a partition tag (--symbols): "<tag>.<id>", parsed back; other tags and untagged ids are not found', () => {
    for (const shards of [1, 2]) {
      const { store, submit } = harness(shards, 10, 'BRK.B');
      const rec = submit(shards - 1, limit('buy', 5, 100));
      const local = shards === 1 ? String(rec.engineId) : `1-${rec.engineId}`;
      assert.equal(rec.id, `BRK.B.${local}`);
      assert.equal(idTagOf(rec.id), 'BRK.B');
      assert.equal(store.get(rec.id), rec);
      assert.deepEqual(store.parseId(rec.id), { shard: shards - 1, engineId: rec.engineId });
      for (const near of [local, `BRK.${local}`, `BRK.BB.${local}`, `AAPL.${local}`, 'BRK.B.', 'BRK.B']) {
        assert.equal(store.get(near), undefined, JSON.stringify(near));
        assert.equal(store.parseId(near), undefined, JSON.stringify(near));
      }
    }
    assert.equal(idTagOf('17'), undefined);
    assert.equal(idTagOf('0-17'), undefined);
  });

  test('several shards: "<shard>-<engineId>", each shard its own ids', () => {
    const { store, submit } = harness(2, 10);
    const a = submit(0, limit('buy', 5, 100));
    const b = submit(1, limit('buy', 5, 100));
    assert.equal(a.engineId, b.engineId, 'fresh engines issue the same first id');
    assert.equal(a.id, `0-${a.engineId}`);
    assert.equal(b.id, `1-${b.engineId}`);
    assert.equal(store.get(a.id), a);
    assert.equal(store.get(b.id), b);
    assert.equal(store.size, 2);
    for (const near of [
      String(a.engineId),
      `2-${a.engineId}`,
      `01-${a.engineId}`,
      `-1-${a.engineId}`,
      `0-`,
    ]) {
      assert.equal(store.get(near), undefined, near);
    }
  });

  test('fills, statuses and the retention ring', () => {
    const { store, submit } = harness(1, 2);
    const maker = submit(0, limit('sell', 10, 100, { clientOrderId: 'm1' }));
    const takers = [1, 2, 3].map((q) => submit(0, limit('buy', q, 100, { clientOrderId: `t${q}` })));
    assert.equal(maker.toJSON().status, 'partially_filled');
    assert.equal(maker.filledLots, 6);
    assert.deepEqual(
      maker.fills.map((f) => [f.takerOrderId, f.quantity, f.liquidity]),
      takers.map((t) => [t.id, Number(t.lots), 'maker']),
    );
    assert.equal(takers[0].fills[0].makerOrderId, maker.id);
    // Three takers finished with a ring of two: the first was evicted, with its clientOrderId.
    assert.equal(store.get(takers[0].id), undefined);
    assert.equal(store.byClientOrderId('default', 't1'), undefined);
    assert.equal(store.get(takers[2].id), takers[2]);
    assert.equal(store.byClientOrderId('default', 't3'), takers[2]);
    // The live maker is never evicted, however many orders finish.
    for (let i = 0; i < 5; i++) submit(0, limit('buy', 1, 90));
    for (let i = 0; i < 5; i++)
      submit(0, { symbol: 'AAPL', side: 'sell', type: 'market', quantity: 1, price: null });
    assert.equal(store.get(maker.id), maker);
    assert.equal(store.byClientOrderId('default', 'm1'), maker);
    assert.equal(store.size, 1 + 2, 'the live maker and the two newest finished orders');
  });

  test('open orders: (shard, engine id) order across slot reuse, cursors, accounts; finished ones never read', () => {
    const { store, engines, submit } = harness(2, 50_000);
    const rnd = seededRandom(7);
    const accounts = ['a', 'b', 'c'];
    const live: ReturnType<typeof submit>[] = [];
    let outOfOrder = 0;
    let last = -1;
    for (let i = 0; i < 3_000; i++) {
      const shard = rnd() < 0.5 ? 0 : 1;
      const account = accounts[Math.floor(rnd() * accounts.length)];
      const rec = submit(shard, limit('buy', 1, 50 + Math.floor(rnd() * 20), { account }));
      if (shard === 0 && rec.engineId < last) outOfOrder++;
      if (shard === 0) last = rec.engineId;
      live.push(rec);
      // Most finish again (cancelled): their slots are reused by later orders.
      if (rnd() < 0.8) {
        const k = Math.floor(rnd() * live.length);
        const gone = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        engines[gone.shard].cancel(gone.engineId);
      }
    }
    assert.ok(outOfOrder > 0, 'ids are not issued in increasing order');
    const byKey = (x: { shard: number; engineId: number }, y: { shard: number; engineId: number }) =>
      x.shard - y.shard || x.engineId - y.engineId;
    const expected = (want?: readonly string[]) =>
      store
        .all()
        .filter((r) => !r.terminal && (want === undefined || want.includes(r.account)))
        .sort(byKey)
        .map((r) => r.id);
    assert.equal(expected().length, live.length);
    for (const want of [undefined, ['b'], ['c', 'a', 'c']]) {
      const filter = want === undefined ? undefined : want.length === 1 ? want[0] : want;
      for (const pageSize of [1, 7, 100, 5_000]) {
        const got: string[] = [];
        let after: { shard: number; engineId: number } | undefined;
        for (;;) {
          const page = store.openOrders(filter, pageSize, after);
          assert.ok(page.length <= pageSize);
          got.push(...page.map((r) => r.id));
          if (page.length < pageSize) break;
          after = store.parseId(page[page.length - 1].id);
        }
        assert.deepEqual(got, expected(want), `${JSON.stringify(want)} by ${pageSize}`);
      }
    }
    // A cursor that is no live order (a finished one, or past every id) still resumes in order.
    const mid = expected()[Math.floor(live.length / 2)];
    const at = store.parseId(mid)!;
    assert.deepEqual(
      store.openOrders(undefined, 3, { shard: at.shard, engineId: at.engineId - 0.5 }).map((r) => r.id)[0],
      mid,
    );
    assert.deepEqual(store.openOrders(undefined, 3, { shard: 1, engineId: Number.MAX_SAFE_INTEGER }), []);
    assert.deepEqual(store.openOrders('nobody', 3), []);

    // The page reads its own records only: none of the ~2,400 kept finished ones.
    assert.ok(store.size - live.length > 2_000, 'finished orders are kept');
    const terminal = Object.getOwnPropertyDescriptor(OrderRecord.prototype, 'terminal')!;
    let reads = 0;
    Object.defineProperty(OrderRecord.prototype, 'terminal', {
      configurable: true,
      get(this: OrderRecord) {
        reads++;
        return terminal.get!.call(this);
      },
    });
    try {
      const first = store.openOrders(undefined, 11);
      const next = store.openOrders('a', 11, store.parseId(first[10].id));
      assert.equal(first.length + next.length, 22);
    } finally {
      Object.defineProperty(OrderRecord.prototype, 'terminal', terminal);
    }
    assert.ok(reads <= 22, `${reads} records looked at for two pages of 11`);
  });
});
