/**
 * The composed TradingSystem over real sockets: market data's last price reaches the
 * matching engine (a pending stop fires from an external tick sent over the ingest
 * WebSocket), and a graceful stop leaves a consistent disk: the DuckDB file re-opened
 * read-only holds the POST /api/metrics rows and the system's own metrics, and the input
 * log replays into a fresh MatchingEngine to exactly the live engine's state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { replayLog } from '../src/sequencing/replay.ts';
import { MdClient, tick } from './support/md-client.ts';
import { type Fixture, order, pollUntil, startFixture } from './support/trading-fixture.ts';

describe('trading system: market data -> engine, graceful stop -> consistent disk', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    f = await startFixture({ selfMetricsIntervalMs: 20 });
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  test('a tick over the market-data WebSocket fires a pending stop (external last price)', async () => {
    const liquidity = await f.http.post(`${ex}/orders`, order('MSFT', 'sell', 'limit', 10, 106));
    const stop = await f.http.post(`${ex}/orders`, order('MSFT', 'buy', 'stop', 4, 105));
    assert.equal(stop.body.status, 'pending');
    const md = await MdClient.open(`ws://127.0.0.1:${f.sys.handles['market-data']!.port}/stream?ack=1`);
    try {
      md.send(tick('MSFT', 104.5));
      const ack = await md.sync();
      assert.deepEqual([ack.processed, ack.rejected], [1, 0]);
      assert.equal(
        (await f.http.get(`${ex}/orders/${stop.body.id}`)).body.status,
        'pending',
        'below trigger',
      );
      md.send(tick('MSFT', 105.5));
      assert.deepEqual([(await md.sync()).processed, md.errors.length], [2, 0]);
    } finally {
      await md.close();
    }
    const fired = await pollUntil('the stop to fire', async () => {
      const r = await f.http.get(`${ex}/orders/${stop.body.id}`);
      return r.body.status === 'pending' ? undefined : r.body;
    });
    assert.equal(fired.status, 'filled');
    assert.equal(fired.avgPrice, 106);
    assert.equal(fired.fills[0].makerOrderId, liquidity.body.id);
    const book = await f.http.get(`${ex}/book/MSFT`);
    assert.equal(book.body.last, 106, 'the last trade price');
    assert.deepEqual(book.body.asks, [{ price: 106, quantity: 6, orders: 1 }]);
  });

  test('a price traded through fires a stop, though the last price of the frame does not reach it', async () => {
    const bid = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 98));
    const sellStop = await f.http.post(`${ex}/orders`, order('AMZN', 'sell', 'stop', 2, 99.5));
    const buyStop = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'stop', 1, 120));
    const md = await MdClient.open(`ws://127.0.0.1:${f.sys.handles['market-data']!.port}/stream`);
    try {
      md.send([tick('AMZN', 100), tick('AMZN', 99), tick('AMZN', 101)]); // down through 99.5, back up
      assert.deepEqual([(await md.sync()).processed, md.errors.length], [3, 0]);
    } finally {
      await md.close();
    }
    const fired = await pollUntil('the sell stop to fire', async () => {
      const r = await f.http.get(`${ex}/orders/${sellStop.body.id}`);
      return r.body.status === 'pending' ? undefined : r.body;
    });
    assert.equal(fired.status, 'filled');
    assert.equal(fired.fills[0].makerOrderId, bid.body.id);
    assert.equal(
      (await f.http.get(`${ex}/orders/${buyStop.body.id}`)).body.status,
      'pending',
      'never reached',
    );
    const book = await f.http.get(`${ex}/book/AMZN`);
    assert.equal(book.body.last, 101, "the last price is the frame's last");
  });

  test('close() writes the metrics and the input log; both read back', async () => {
    const api = f.url('api');
    // Orders of every kind on two symbols: resting, crossing, market, cancelled, pending stops.
    const placed: string[] = [];
    const o = async (body: Record<string, unknown>) => {
      const r = await f.http.post(`${ex}/orders`, body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      placed.push(r.body.id);
      return r.body;
    };
    for (let i = 0; i < 20; i++) {
      await o(order('AAPL', 'buy', 'limit', 1 + i, 99 - (i % 5) * 0.01));
      await o(order('AAPL', 'sell', 'limit', 2 + i, 101 + (i % 7) * 0.01));
    }
    await o(order('AAPL', 'buy', 'limit', 30, 101.03));
    await o(order('AAPL', 'sell', 'market', 7, null));
    await o(order('TSLA', 'sell', 'stop', 3, 90));
    await o(order('TSLA', 'buy', 'limit', 5, 100));
    const cancel = await o(order('TSLA', 'sell', 'limit', 5, 130));
    assert.equal((await f.http.delete(`${ex}/orders/${cancel.id}`)).status, 200);

    const records = Array.from({ length: 500 }, (_, i) => ({
      name: 'test.posted',
      value: i,
      labels: { suite: 'trading-system' },
      timestamp: 1_732_280_000 + i / 1000,
    }));
    const posted = await f.http.post(`${api}/api/metrics`, records);
    assert.equal(posted.status, 202);
    assert.equal(posted.body.accepted, 500);
    await pollUntil('the system to record its own metrics', async () => {
      const db = (await f.http.get(`${api}/api/metrics/database`)).body;
      return db.writer.rowsWritten + db.pending > 0 ? true : undefined;
    });

    const core = f.sys.core!;
    const engine = core.engines[0];
    const live = engine.snapshot();
    const books = f.sys.instruments.list.map((i) => [engine.bestBid(i.index), engine.bestAsk(i.index)]);
    const logPath = core.logPaths[0];
    const metricsPath = f.sys.store!.path;
    await f.http.close();
    await f.sys.close();

    const store = await DuckDbMetricsStore.open(metricsPath, { readOnly: true });
    try {
      assert.ok((await store.count()) > 500);
      const rows = await store.query(
        "SELECT count(*) FILTER (WHERE name = 'test.posted') AS posted, " +
          "count(*) FILTER (WHERE name LIKE 'orders.%') AS orders, " +
          "count(DISTINCT labels->>'service') AS services FROM trading_metrics",
      );
      assert.equal(Number(rows[0].posted), 500);
      assert.ok(Number(rows[0].orders) > 0, "the system's own order metrics");
      assert.ok(Number(rows[0].services) >= 1);
    } finally {
      await store.close();
    }

    const fresh = new MatchingEngine(f.sys.instruments);
    const stats = replayLog(logPath, fresh);
    assert.equal(stats.tornBatches, 0);
    assert.ok(stats.records >= placed.length, `${stats.records} records for ${placed.length} orders`);
    assert.deepEqual(
      f.sys.instruments.list.map((i) => [fresh.bestBid(i.index), fresh.bestAsk(i.index)]),
      books,
    );
    assert.deepEqual(fresh.snapshot(), live);
    const aapl = live.books.find((b) => b.book === f.sys.instruments.get('AAPL').index);
    assert.ok(aapl !== undefined && aapl.bids.length > 0 && aapl.asks.length > 0, 'a non-trivial book');
    const tsla = live.books.find((b) => b.book === f.sys.instruments.get('TSLA').index);
    assert.equal(tsla?.sellStops.length, 1, 'a pending stop survives the replay');
  });
});
