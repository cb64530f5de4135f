/**
 * The market-data HTTP side over a real socket: /health, /stats, /symbols, /bars (happy and
 * coded error paths), after ticks ingested over the WebSocket; and the metrics writer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import { IntervalLatency } from '../src/market-data/market-data-metrics.ts';
import { LatencyHistogram } from '../src/stats/latency-histogram.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

describe('market-data HTTP', () => {
  let md: MarketDataService;
  let c: MdClient;
  const get = async (path: string) => {
    const res = await fetch(`${md.url}${path}`);
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies checked field by field
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    md = (await startTestService()).md;
    c = await MdClient.open(MdClient.url(md));
    c.send([
      tick('GOOGL', 170.0, 10, 1_732_280_000.2),
      tick('GOOGL', 171.5, 30, 1_732_280_000.7),
      tick('GOOGL', 169.25, 10, 1_732_280_001.1, { bid: 169.2, ask: 169.3 }),
    ]);
    await c.sync();
  });
  after(async () => {
    await c.close();
    await md.close();
  });

  it('GET /health', async () => {
    const r = await get('/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.service, 'market-data');
    assert.equal(r.body.connections, 1);
    assert.equal(r.body.ticksProcessed, 3);
  });

  it('GET /stats is MarketDataStats', async () => {
    const r = await get('/stats');
    assert.equal(r.status, 200);
    assert.equal(r.body.ticksReceived, 3);
    assert.equal(r.body.ticksProcessed, 3);
    assert.equal(r.body.ticksRejected, 0);
    assert.deepEqual(r.body.rejectedByReason, {});
    assert.equal(r.body.framesReceived, 1);
    assert.equal(r.body.symbols, 1);
    assert.equal(r.body.processingLatencyMs.count, 1);
    assert.equal(typeof r.body.ticksPerSecond, 'number');
    const reset = await fetch(`${md.url}/stats/reset`, { method: 'POST' });
    assert.equal(reset.status, 204);
    assert.equal((await get('/stats')).body.processingLatencyMs.count, 0);
  });

  it('GET /symbols/:symbol gives the state as decimals', async () => {
    const r = await get('/symbols/GOOGL');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      symbol: 'GOOGL',
      last: 169.25,
      lastTicks: 16_925,
      bid: 169.2,
      ask: 169.3,
      volume: 50,
      vwap: (170 * 10 + 171.5 * 30 + 169.25 * 10) / 50,
      ticks: 3,
      lastTimestamp: 1_732_280_001.1,
    });
    const idle = await get('/symbols/SYM7');
    assert.equal(idle.status, 200);
    assert.equal(idle.body.last, null);
    const all = await get('/symbols');
    assert.equal(all.body.symbols.length, 55);
  });

  it('GET /symbols/:symbol answers 404 for an unknown symbol', async () => {
    const r = await get('/symbols/NOPE');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'TRD_ERR_NOT_FOUND');
    assert.equal(r.body.error.field, 'symbol');
  });

  it('GET /bars/:symbol gives 1s and 1m OHLCV bars', async () => {
    const s = await get('/bars/GOOGL?interval=1s&limit=10');
    assert.equal(s.status, 200);
    assert.deepEqual(s.body, {
      symbol: 'GOOGL',
      interval: '1s',
      bars: [
        { time: 1_732_280_000, open: 170, high: 171.5, low: 170, close: 171.5, volume: 40, ticks: 2 },
        { time: 1_732_280_001, open: 169.25, high: 169.25, low: 169.25, close: 169.25, volume: 10, ticks: 1 },
      ],
    });
    const m = await get('/bars/GOOGL?interval=1m');
    assert.deepEqual(m.body.bars, [
      { time: 1_732_279_980, open: 170, high: 171.5, low: 169.25, close: 169.25, volume: 50, ticks: 3 },
    ]);
    const one = await get('/bars/GOOGL?interval=1s&limit=1');
    assert.deepEqual(
      one.body.bars.map((b: { time: number }) => b.time),
      [1_732_280_001],
    );
  });

  for (const [q, field, code] of [
    ['interval=5m', 'interval', 'TRD_ERR_INVALID_QUERY'],
    ['interval=1s&limit=0', 'limit', 'TRD_ERR_INVALID_QUERY'],
    ['interval=1s&limit=abc', 'limit', 'TRD_ERR_INVALID_QUERY'],
    ['interval=1s&limit=3601', 'limit', 'TRD_ERR_INVALID_QUERY'],
    ['interval=1m&limit=1441', 'limit', 'TRD_ERR_INVALID_QUERY'],
    ['limit=1&limit=2', 'limit', 'TRD_ERR_INVALID_QUERY'],
    // a parameter the route does not take: as on every route
    ['intervl=1s', 'intervl', 'TRD_ERR_INVALID_QUERY'],
  ]) {
    it(`GET /bars/GOOGL?${q} answers 400 naming ${field}`, async () => {
      const r = await get(`/bars/GOOGL?${q}`);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, code);
      assert.equal(r.body.error.field, field);
    });
  }

  it('GET /bars/:symbol answers 404 for an unknown symbol, and unknown routes 404', async () => {
    const r = await get('/bars/NOPE?interval=1s');
    assert.equal(r.status, 404);
    assert.equal(r.body.error.field, 'symbol');
    const x = await get('/nothing');
    assert.equal(x.status, 404);
    assert.equal(x.body.error.code, 'TRD_ERR_NOT_FOUND');
  });
});

describe('market-data metrics', () => {
  it('derives per-interval percentiles from the cumulative histogram', () => {
    const total = new LatencyHistogram();
    const iv = new IntervalLatency(total);
    for (let i = 0; i < 1000; i++) total.recordUs(1000); // 1 ms
    assert.equal(iv.next(99), 1);
    for (let i = 0; i < 1000; i++) total.recordUs(5); // 5 us: the earlier 1 ms values no longer count
    assert.equal(iv.next(99), 0.005);
    assert.equal(iv.next(99), 0, 'nothing recorded since');
    total.reset();
    total.recordUs(2000);
    assert.equal(iv.next(99, 1), 2, 'a reset of the source starts afresh');
  });

  it('writes ticks/s, totals and p99 to the metrics sink every interval', async () => {
    const rows: { name: string; value: number; labels?: Record<string, string> }[] = [];
    let resolveWritten: () => void;
    const written = new Promise<void>((r) => (resolveWritten = r));
    const metrics = {
      record(name: string, value: number, labels?: Record<string, string>) {
        rows.push({ name, value, labels });
        const seen = rows.some((x) => x.name === 'market_data_ticks_processed_total' && x.value === 1);
        if (name === 'market_data_processing_latency_p99_ms' && seen) resolveWritten();
      },
    };
    const { md } = await startTestService({ metrics, metricsIntervalMs: 20 });
    const c = await MdClient.open(MdClient.url(md));
    c.send(tick('SYM3', 3));
    await c.sync();
    await written;
    await c.close();
    await md.close();
    assert.deepEqual([...new Set(rows.map((r) => r.name))].sort(), [
      'market_data_processing_latency_p99_ms',
      'market_data_ticks_per_second',
      'market_data_ticks_processed_total',
      'market_data_ticks_rejected_total',
    ]);
    assert.ok(rows.some((r) => r.name === 'market_data_ticks_processed_total' && r.value === 1));
    assert.equal(rows[0].labels?.service, 'market-data');
  });
});
