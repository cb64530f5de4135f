/**
 * Partitioned execution engines over a real nats-server (docs/deployment.md#partitioned-execution-engines):
 * two engines in this test process, A owning the first half of the instruments and B the
 * second, each with its own data dir, ports 0. Any engine takes any request and relays it to
 * the owner; the owner down answers 503 + Retry-After at once; the owner restarted replays its
 * journal; the kill switch acts on every partition.
 *
 * A's process also runs the risk manager: the one central risk node both engines check with
 * (its limits across partitions are covered by cluster-risk.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { openBus } from '../src/bus/nats-bus.ts';
import { type MarketUpdate, Topic } from '../src/bus/topics.ts';
import { Queue, Subject } from '../src/cluster/subjects.ts';
import { TradingError, TradingErrorCode } from '../src/errors.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { keyStore, signedSend } from './support/auth-fixture.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { codedError, Http, order, pollUntil, ZERO_PORTS } from './support/trading-fixture.ts';

const all = new InstrumentTable().list.map((i) => i.symbol);
const half = Math.ceil(all.length / 2);
const symbolsA = all.slice(0, half);
const symbolsB = all.slice(half);
/** A's own symbol; B's tag (its first symbol); another of B's symbols. */
const [symA, tagB, symB] = [symbolsA[0], symbolsB[0], symbolsB[1]];

function startEngine(
  url: string | undefined,
  dir: string,
  symbols: readonly string[],
): Promise<TradingSystem> {
  return TradingSystem.start({
    config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
    // one risk node for the system: in A's process
    services: symbols === symbolsA ? ['execution-engine', 'risk-manager'] : ['execution-engine'],
    bus: url,
    symbols,
    snapshotIntervalMs: 0,
    report: () => {},
  });
}

describe('partitioned execution engines over NATS', () => {
  let nats: NatsServer;
  let a: TradingSystem;
  let b: TradingSystem | null = null;
  const dirs: string[] = [];
  const http = new Http();
  let exA: string;
  let exB: string;

  before(async () => {
    nats = await startNatsServer();
    for (let i = 0; i < 2; i++) dirs.push(mkdtempSync(join(tmpdir(), 'tickstorm-route-')));
    a = await startEngine(nats.url, dirs[0], symbolsA);
    b = await startEngine(nats.url, dirs[1], symbolsB);
    exA = a.url('execution-engine');
    exB = b.url('execution-engine');
  });

  after(async () => {
    await http.close();
    await a?.close();
    await b?.close();
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("an order for B's symbol posted to A is B's: its id carries B's tag; GET and DELETE through A", async () => {
    const r = await http.post(`${exA}/orders`, order(symB, 'buy', 'limit', 3, 99, { account: 'route1' }));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(r.body.id.startsWith(`${tagB}.`), r.body.id);
    assert.equal(r.body.symbol, symB);
    const viaB = await http.get(`${exB}/orders/${r.body.id}`);
    assert.equal(viaB.status, 200);
    const viaA = await http.get(`${exA}/orders/${r.body.id}`);
    assert.equal(viaA.status, 200);
    assert.equal(viaA.body.id, r.body.id);
    assert.equal(viaA.body.status, 'new');
    const del = await http.delete(`${exA}/orders/${r.body.id}`);
    assert.equal(del.status, 200, JSON.stringify(del.body));
    assert.equal(del.body.status, 'cancelled');
    assert.equal((await http.get(`${exB}/orders/${r.body.id}`)).body.status, 'cancelled');
    // A's own orders carry A's tag and stay local.
    const own = await http.post(`${exA}/orders`, order(symA, 'buy', 'limit', 1, 99));
    assert.equal(own.status, 201);
    assert.ok(own.body.id.startsWith(`${symA}.`), own.body.id);
    // Malformed bodies and unknown symbols are answered by the receiving engine.
    const bad = await http.post(`${exA}/orders`, order('NOPE', 'buy', 'limit', 1, 99));
    assert.equal(bad.status, 400);
    assert.equal(codedError(bad).code, 'PRT_ERR_UNKNOWN_SYMBOL');
    const badField = await http.post(`${exA}/orders`, { ...order(symB, 'buy', 'limit', 1, 99), side: 'up' });
    assert.equal(badField.status, 400, "the owner's 4xx relayed");
    const missing = await http.get(`${exA}/orders/${tagB}.999999`);
    assert.equal(missing.status, 404);
    // A price JSON.parse reads as another number: refused by A, which saw the literal (B would
    // see only the number read), and nothing placed on B.
    const inexact = await http.send(
      'POST',
      `${exA}/orders`,
      `{"symbol":"${symB}","side":"sell","type":"limit","quantity":1,"price":100.000000000000000001,"account":"route-exact"}`,
      { 'content-type': 'application/json' },
    );
    assert.equal(inexact.status, 400, JSON.stringify(inexact.body));
    assert.deepEqual(
      [codedError(inexact).code, codedError(inexact).field],
      ['PRT_ERR_INVALID_FIELD', 'price'],
    );
    assert.equal((await http.get(`${exB}/orders?account=route-exact`)).body.count, 0);
  });

  test('a crossing pair posted to A and to B trades in one book; the book reads the same through either', async () => {
    const sell = await http.post(`${exA}/orders`, order(symB, 'sell', 'limit', 5, 100));
    assert.equal(sell.status, 201, JSON.stringify(sell.body));
    const buy = await http.post(`${exB}/orders`, order(symB, 'buy', 'limit', 5, 100));
    assert.equal(buy.status, 201, JSON.stringify(buy.body));
    assert.equal(buy.body.status, 'filled');
    assert.equal(buy.body.fills[0].makerOrderId, sell.body.id);
    assert.equal((await http.get(`${exA}/orders/${sell.body.id}`)).body.status, 'filled');
    await http.post(`${exB}/orders`, order(symB, 'sell', 'limit', 2, 101));
    const viaA = await http.get(`${exA}/book/${symB}?depth=5`);
    const viaB = await http.get(`${exB}/book/${symB}?depth=5`);
    assert.equal(viaA.status, 200);
    const strip = (x: Record<string, unknown>) => ({ ...x, timestamp: 0 });
    assert.deepEqual(strip(viaA.body), strip(viaB.body));
    assert.equal(viaA.body.last, 100);
    assert.deepEqual(viaA.body.asks, [{ price: 101, quantity: 2, orders: 1 }]);
    assert.equal((await http.get(`${exA}/book/${symB}?depth=0`)).status, 400, 'depth checked locally');
  });

  test('GET /orders gathers the open orders of every partition, a page at a time', async () => {
    const onA = await http.post(`${exA}/orders`, order(symA, 'buy', 'limit', 1, 98, { account: 'recon' }));
    const onB = await http.post(`${exA}/orders`, order(symB, 'buy', 'limit', 1, 98, { account: 'recon' }));
    assert.equal(onB.status, 201);
    for (const ex of [exA, exB]) {
      const r = await http.get(`${ex}/orders?account=recon`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(
        r.body.orders.map((o: { id: string }) => o.id).sort(),
        [onA.body.id, onB.body.id].sort(),
      );
      assert.equal(r.body.nextCursor, null);
      const p1 = await http.get(`${ex}/orders?account=recon&limit=1`);
      assert.equal(p1.body.count, 1);
      assert.notEqual(p1.body.nextCursor, null);
      const p2 = await http.get(`${ex}/orders?account=recon&limit=1&cursor=${p1.body.nextCursor}`);
      assert.equal(p2.status, 200, JSON.stringify(p2.body));
      assert.equal(p2.body.count, 1);
      assert.equal(p2.body.nextCursor, null);
      assert.notEqual(p2.body.orders[0].id, p1.body.orders[0].id);
    }
    for (const id of [onA.body.id, onB.body.id])
      assert.equal((await http.delete(`${exB}/orders/${id}`)).status, 200);
  });

  test('B down: A answers 503 + Retry-After at once; B restarted replays its journal and is reachable via A', async () => {
    const resting = await http.post(
      `${exA}/orders`,
      order(symB, 'sell', 'limit', 7, 109, { account: 'halt1' }),
    );
    assert.equal(resting.status, 201);
    await b!.close();
    b = null;
    const t0 = performance.now();
    const down = await http.post(`${exA}/orders`, order(symB, 'buy', 'limit', 1, 99));
    const ms = performance.now() - t0;
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.headers.get('retry-after'), '1');
    assert.equal(codedError(down).code, TradingErrorCode.OWNER_UNAVAILABLE);
    assert.equal(down.body.symbol, symB);
    assert.match(codedError(down).message, new RegExp(symB));
    assert.ok(ms < 1000, `answered in ${Math.round(ms)} ms`);
    const get = await http.get(`${exA}/orders/${resting.body.id}`);
    assert.equal(get.status, 503);
    assert.equal(get.headers.get('retry-after'), '1');
    assert.equal(
      (await http.get(`${exA}/orders?account=halt1`)).status,
      503,
      'a listing missing a partition',
    );
    // A's own symbols still trade.
    assert.equal((await http.post(`${exA}/orders`, order(symA, 'buy', 'limit', 1, 99))).status, 201);

    // An owner that takes the request and never answers: 503 after the routing timeout, fate unknown.
    const stall = await openBus(nats.url);
    const pending: (() => void)[] = [];
    const unserve = stall.serve(
      Subject.orderRoute(symB),
      () => new Promise((resolve) => pending.push(() => resolve({ status: 500, body: null }))),
      Queue.ENGINES,
    );
    try {
      await stall.sync?.();
      const t1 = performance.now();
      const slow = await http.post(
        `${exA}/orders`,
        order(symB, 'buy', 'limit', 1, 99, { clientOrderId: 'c-1' }),
      );
      const waited = performance.now() - t1;
      assert.equal(slow.status, 503, JSON.stringify(slow.body));
      assert.equal(slow.headers.get('retry-after'), '1');
      assert.match(codedError(slow).message, /fate is unknown.*same clientOrderId/);
      assert.ok(waited >= 1500 && waited < 5000, `answered after ${Math.round(waited)} ms`);
    } finally {
      unserve();
      for (const p of pending) p();
      await stall.close();
    }

    b = await startEngine(nats.url, dirs[1], symbolsB);
    exB = b.url('execution-engine');
    const back = await pollUntil('the restarted owner to answer via A', async () => {
      const r = await http.get(`${exA}/orders/${resting.body.id}`);
      return r.status === 503 ? undefined : r;
    });
    assert.equal(back.status, 200);
    assert.equal(back.body.status, 'new');
    assert.equal(back.body.quantity, 7);
  });

  test('halt through A cancels the account’s open orders on B too, B keeps it across a restart; resume reaches both', async () => {
    const onA = await http.post(`${exA}/orders`, order(symA, 'buy', 'limit', 2, 97, { account: 'halt1' }));
    assert.equal(onA.status, 201);
    const open = await http.get(`${exA}/orders?account=halt1`);
    assert.equal(open.body.count, 2, JSON.stringify(open.body));
    const h = await http.post(`${exA}/admin/accounts/halt1/halt`, {});
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.cancelled, 2);
    assert.deepEqual(Object.keys(h.body.partitions).sort(), [symA, tagB].sort());
    for (const o of open.body.orders) {
      assert.equal((await http.get(`${exA}/orders/${o.id}`)).body.status, 'cancelled');
    }
    const refused = await http.post(
      `${exB}/orders`,
      order(symB, 'buy', 'limit', 1, 99, { account: 'halt1' }),
    );
    assert.equal(refused.status, 403);
    assert.equal(codedError(refused).code, TradingErrorCode.ACCOUNT_HALTED);
    // B restarted on its data directory still holds the halt it was asked for through A
    await b!.close();
    b = await startEngine(nats.url, dirs[1], symbolsB);
    exB = b.url('execution-engine');
    const still = await http.post(`${exB}/orders`, order(symB, 'buy', 'limit', 1, 99, { account: 'halt1' }));
    assert.equal(still.status, 403, JSON.stringify(still.body));
    assert.equal(codedError(still).code, TradingErrorCode.ACCOUNT_HALTED);
    const r = await http.post(`${exB}/admin/accounts/halt1/resume`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.wasHalted, true);
    assert.equal(
      (await http.post(`${exA}/orders`, order(symB, 'buy', 'limit', 1, 99, { account: 'halt1' }))).status,
      201,
    );
  });

  test('market data: each engine applies (and journals) the last prices of its own books only', async () => {
    const feed = await openBus(nats.url);
    try {
      const table = new InstrumentTable();
      const update = (symbol: string, price: number): MarketUpdate => {
        const i = table.get(symbol);
        return {
          symbol,
          book: i.index,
          last: price,
          lastTicks: i.price.toSteps(price, 'last'),
          bid: null,
          ask: null,
          volume: 1,
          vwap: price,
          ticks: 1,
          timestamp: Date.now() / 1000,
        };
      };
      const seqOf = (sys: TradingSystem) => sys.core!.journalStats().lastSeq[0];
      const [a0, b0] = [seqOf(a), seqOf(b!)];
      // One batch: B's symbol first, then A's; A seeing its own means it has seen B's too.
      feed.publish(Topic.MARKET_UPDATE, update(symB, 100.5));
      feed.publish(Topic.MARKET_UPDATE, update(symA, 100.25));
      await pollUntil('both engines to journal their last price', async () =>
        seqOf(a) > a0 && seqOf(b!) > b0 ? true : undefined,
      );
      assert.equal(seqOf(a), a0 + 1, `A journalled only ${symA}`);
      assert.equal(seqOf(b!), b0 + 1, `B journalled only ${symB}`);
      assert.equal(a.core!.bookOf(table.get(symB).index).last, 0, "A's copy of B's book untouched");
    } finally {
      await feed.close();
    }
  });

  test('--symbols naming an unknown symbol is INVALID_CONFIG', async () => {
    await assert.rejects(startEngine(nats.url, dirs[0], ['NOPE']), (err: unknown) => {
      assert.ok(err instanceof TradingError);
      assert.equal(err.code, TradingErrorCode.INVALID_CONFIG);
      assert.equal(err.field, 'symbols');
      assert.match(err.message, /--symbols.*NOPE/);
      return true;
    });
  });

  test('a data dir keeps its partition: another tag, or open orders of symbols no longer owned, refuse to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-route-'));
    dirs.push(dir);
    const [x, y, z] = [all[2], all[3], all[4]];
    const c = await startEngine(undefined, dir, [x, y]);
    const resting = await http.post(`${c.url('execution-engine')}/orders`, order(y, 'buy', 'limit', 1, 99));
    await c.close();
    assert.equal(resting.status, 201);
    const refused = async (symbols: string[], re: RegExp) =>
      assert.rejects(startEngine(undefined, dir, symbols), (err: unknown) => {
        assert.ok(err instanceof TradingError);
        assert.equal(err.code, TradingErrorCode.INVALID_CONFIG);
        assert.match(err.message, re);
        return true;
      });
    await refused([z, y], new RegExp(`tagged ${x}.*put ${x} first`));
    await refused([x, z], new RegExp(`open orders of ${y}`));
    const again = await startEngine(undefined, dir, [x, z, y]);
    try {
      const r = await http.get(`${again.url('execution-engine')}/orders/${resting.body.id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'new');
    } finally {
      await again.close();
    }
  });
});

describe('partitioned execution engines with keys: auth at the receiving engine, the scope travels', () => {
  let nats: NatsServer;
  const engines: TradingSystem[] = [];
  const dirs: string[] = [];
  const http = new Http();

  before(async () => {
    nats = await startNatsServer();
    for (const symbols of [symbolsA, symbolsB]) {
      const dir = mkdtempSync(join(tmpdir(), 'tickstorm-route-keys-'));
      dirs.push(dir);
      engines.push(
        await TradingSystem.start({
          config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
          services: symbols === symbolsA ? ['execution-engine', 'risk-manager'] : ['execution-engine'],
          bus: nats.url,
          symbols,
          security: { keys: keyStore() },
          snapshotIntervalMs: 0,
          report: () => {},
        }),
      );
    }
  });

  after(async () => {
    await http.close();
    for (const e of engines) await e.close();
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("a trader's order through A for B's symbol: its accounts only, its orders only", async () => {
    const exA = engines[0].url('execution-engine');
    const mine = await signedSend(http, 'owner', 'POST', exA, '/orders', order(symB, 'buy', 'limit', 1, 99));
    assert.equal(mine.status, 201, JSON.stringify(mine.body));
    assert.equal(mine.body.account, 'acct-a', "the key's first account, decided at the owner");
    assert.ok(mine.body.id.startsWith(`${tagB}.`));
    const theirs = await signedSend(
      http,
      'other',
      'POST',
      exA,
      '/orders',
      order(symB, 'buy', 'limit', 1, 99, { account: 'acct-a' }),
    );
    assert.equal(theirs.status, 403);
    assert.equal(codedError(theirs).code, TradingErrorCode.ACCOUNT_FORBIDDEN);
    assert.equal((await signedSend(http, 'other', 'GET', exA, `/orders/${mine.body.id}`)).status, 404);
    assert.equal((await signedSend(http, 'owner', 'GET', exA, `/orders/${mine.body.id}`)).status, 200);
    assert.equal((await http.get(`${exA}/orders/${mine.body.id}`)).status, 401, 'unsigned: refused locally');
    assert.equal(
      (await signedSend(http, 'viewer', 'POST', exA, '/admin/accounts/acct-a/halt', {})).status,
      403,
    );
    const halt = await signedSend(http, 'admin', 'POST', exA, '/admin/accounts/acct-a/halt', {});
    assert.equal(halt.status, 200, JSON.stringify(halt.body));
    assert.equal(halt.body.cancelled, 1);
    const listed = await signedSend(http, 'owner', 'GET', exA, '/orders?account=acct-a');
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.count, 0);
  });
});
