/**
 * Market-data ingest over real sockets: N ticks in (single-tick frames, JSON arrays,
 * binary batches, several connections) -> counters equal N, checked with sync acks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeTickBatch, type Tick } from '@tickstorm/protocol';
import type { MarketUpdate } from '../src/bus/topics.ts';
import { Topic } from '../src/bus/topics.ts';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import type { SymbolSnapshot } from '../src/market-data/market-state.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

describe('market-data ingest', () => {
  let md: MarketDataService;
  let updates: MarketUpdate[] = [];
  const clients: MdClient[] = [];
  const open = async (query = '') => {
    const c = await MdClient.open(MdClient.url(md, query));
    clients.push(c);
    return c;
  };

  before(async () => {
    const s = await startTestService();
    md = s.md;
    s.bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, (u) => updates.push(u));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await md.close();
  });

  it('counts every single-tick frame (a Python client: float prices 100.0 + k * 0.1)', async () => {
    const c = await open();
    const before = md.stats();
    const n = 500;
    for (let k = 0; k < n; k++) {
      // A Python generator: price = 100.0 + (tick_count % 100) * 0.1 (binary noise included).
      c.send(tick('SYM0', 100.0 + (k % 100) * 0.1, 1000, Date.now() / 1000));
    }
    const ack = await c.sync();
    assert.deepEqual([ack.received, ack.processed, ack.rejected], [n, n, 0]);
    assert.deepEqual(c.errors, []);
    const s = md.stats();
    assert.equal(s.ticksProcessed - before.ticksProcessed, n);
    assert.equal(s.framesReceived - before.framesReceived, n);
    assert.equal(md.state.lastPrice[0], 109.9);
  });

  it('counts ticks in JSON arrays', async () => {
    const c = await open();
    for (let f = 0; f < 10; f++) {
      c.send(Array.from({ length: 100 }, (_, i) => tick(`SYM${i % 50}`, 50 + i * 0.01, 10)));
    }
    const ack = await c.sync();
    assert.deepEqual([ack.received, ack.processed, ack.rejected], [1000, 1000, 0]);
  });

  it('counts ticks in binary batches and keeps bid/ask', async () => {
    const c = await open();
    const ticks: Tick[] = Array.from({ length: 1000 }, (_, i) => ({
      type: 'tick',
      symbol: 'AAPL',
      price: 190 + (i % 10) * 0.01,
      volume: 5,
      timestamp: 1_732_280_000 + i / 100,
      bid: 189.99,
      ask: 190.2,
    }));
    c.send(encodeTickBatch(ticks.slice(0, 400)));
    c.send(encodeTickBatch(ticks.slice(400)));
    const ack = await c.sync();
    assert.deepEqual([ack.received, ack.processed, ack.rejected], [1000, 1000, 0]);
    const res = await fetch(`${md.url}/symbols/AAPL`);
    const snap = (await res.json()) as SymbolSnapshot;
    assert.equal(snap.last, 190.09);
    assert.equal(snap.bid, 189.99);
    assert.equal(snap.ask, 190.2);
    assert.equal(snap.volume, 5000);
  });

  it('sums over concurrent connections', async () => {
    const before = md.stats().ticksProcessed;
    const cs = await Promise.all(Array.from({ length: 5 }, () => open()));
    cs.forEach((c, j) => {
      for (let k = 0; k < 200; k++) c.send(tick(`SYM${10 + j}`, 10 + k * 0.01));
    });
    const acks = await Promise.all(cs.map((c) => c.sync()));
    for (const a of acks) assert.deepEqual([a.received, a.processed, a.rejected], [200, 200, 0]);
    assert.equal(md.stats().ticksProcessed - before, 1000);
    assert.ok(md.stats().connections >= 5);
  });

  it('publishes one MarketUpdate per touched symbol per frame (conflated)', async () => {
    const c = await open();
    updates = [];
    const t0 = Date.now() / 1000;
    c.send([tick('MSFT', 400), tick('TSLA', 250, 7), tick('MSFT', 401.5, 3), tick('MSFT', 402)]);
    await c.sync();
    assert.equal(updates.length, 2);
    const msft = updates.find((u) => u.symbol === 'MSFT')!;
    assert.equal(msft.last, 402);
    assert.equal(msft.lastTicks, 40_200);
    assert.equal(msft.ticks, 3);
    assert.equal(msft.volume, 203);
    // (400 x 100 + 401.5 x 3 + 402 x 100) / 203 = 401.00738916..., to 4 digits below the tick.
    assert.equal(msft.vwap, 401.007389);
    assert.ok(msft.timestamp >= t0 - 1 && msft.timestamp <= Date.now() / 1000 + 1);
    assert.equal(updates.find((u) => u.symbol === 'TSLA')?.volume, 7);
  });

  it('sends periodic acks with ?ack=1 while ticks flow', async () => {
    const c = await open('?ack=1');
    c.send(tick('SYM1', 1));
    const periodic = new Promise<void>((resolve) => {
      c.ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString());
        if (m.type === 'ack' && m.id === undefined && m.received === 1) resolve();
      });
    });
    await periodic;
    const ack = await c.sync();
    assert.deepEqual([ack.received, ack.processed, ack.rejected], [1, 1, 0]);
  });

  it('records processing latency for every frame', () => {
    const s = md.stats();
    assert.equal(s.processingLatencyMs.count, s.framesReceived);
    assert.ok(s.processingLatencyMs.p99 >= 0 && s.processingLatencyMs.max < 1000);
  });
});
