/**
 * "Bars from market data and the store": closed 1-minute bars are persisted into the DuckDB
 * metrics store (one `market_data.bar_1m` record per bar); after a restart the ring is empty
 * and GET /api/data/:symbol/bars completes the older part of a request from the store, the
 * ring winning for the newer bars, with the counts in `source`. A minute stored twice (a
 * restart inside it) reads back as one bar: the copy with the most ticks, then the newest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BarHistory } from '../src/market-data/bar-history.ts';
import { BAR_METRIC_1M } from '../src/market-data/bar-persister.ts';
import { DuckDbMetricsStore } from '../src/metrics-store/duckdb-store.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { barTicks, feedTicks, T0 } from './support/agent-fixture.ts';
import { Http, ZERO_PORTS } from './support/trading-fixture.ts';

describe('data collection: memory ring + metrics store across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-agent-store-'));
  const http = new Http();
  const systems: TradingSystem[] = [];
  const start = async () => {
    const sys = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
      metricsPath: join(dir, 'metrics.duckdb'),
      selfMetricsIntervalMs: 60_000,
      barPersistMs: 0,
    });
    systems.push(sys);
    return sys;
  };
  after(async () => {
    await http.close();
    for (const s of systems) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('bars written by the first run answer the older part after a restart', async () => {
    const first = await start();
    await feedTicks(first, barTicks('SYM7', [10, 11, 12, 13, 14], 60));
    const before = await http.get(`${first.url('api')}/api/data/SYM7/bars?interval=1m&limit=10`);
    assert.deepEqual(before.body.source, { memory: 5, store: 0 });
    await first.close(); // persists every bar, the one in progress too

    const second = await start();
    await feedTicks(second, barTicks('SYM7', [20, 21], 60, T0 + 5 * 60));
    const api = second.url('api');
    const r = await http.get(`${api}/api/data/SYM7/bars?interval=1m&limit=10`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.source, { memory: 2, store: 5 });
    assert.deepEqual(
      r.body.bars.map((b: { time: number; close: number }) => [b.time - T0, b.close]),
      [10, 11, 12, 13, 14, 20, 21].map((c, i) => [60 * i, c]),
    );
    const bar = r.body.bars[0];
    assert.deepEqual(
      [bar.open, bar.high, bar.low, bar.volume, bar.ticks],
      [10, 10, 10, 10, 1],
      'every OHLCV field survives',
    );
    const three = await http.get(`${api}/api/data/SYM7/bars?interval=1m&limit=3`);
    assert.deepEqual(three.body.source, { memory: 2, store: 1 });
    assert.deepEqual(
      three.body.bars.map((b: { close: number }) => b.close),
      [14, 20, 21],
    );
    const s1 = await http.get(`${api}/api/data/SYM7/bars?interval=1s&limit=10`);
    assert.deepEqual(s1.body.source, { memory: 2, store: 0 }, '1s bars are memory only');
    const none = await http.get(`${api}/api/data/SYM8/bars?interval=1m&limit=10`);
    assert.deepEqual([none.body.bars.length, none.body.source.store], [0, 0]);
  });
});

describe('bar history: a minute stored twice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-agent-dup-'));
  let store: DuckDbMetricsStore | undefined;
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the copy with the most ticks wins, then the one written last; whatever the order', async () => {
    const path = join(dir, 'metrics.duckdb');
    const bar = (minute: number, close: number, ticks: number) => ({
      time: (T0 + 60 * minute) * 1000,
      name: BAR_METRIC_1M,
      value: close,
      labels: { symbol: 'SYM9', open: '1', high: '9', low: '1', volume: String(ticks), ticks: String(ticks) },
    });
    // Two runs of the store (a restart: closed, checkpointed, reopened), one INSERT each.
    const firstRun = [
      [0, 10, 3], // minute 0: the fuller copy first ...
      [1, 20, 1], // minute 1: the partial copy first ...
      [2, 30, 2], // minute 2: as many ticks as the later copy
    ];
    const secondRun = [
      [0, 11, 1], // ... then a partial one
      [1, 21, 4], // ... then the fuller one
      [2, 31, 2], // the one written last wins
      [3, 40, 1],
    ];
    for (const run of [firstRun, secondRun]) {
      await store?.close();
      store = await DuckDbMetricsStore.open(path);
      for (const [m, c, n] of run) await store.insert([bar(m, c, n)]);
    }
    for (let run = 0; run < 3; run++) {
      const history = new BarHistory((sql) => store!.query(sql), 100);
      const bars = await history.before('SYM9', Number.POSITIVE_INFINITY, 10);
      assert.deepEqual(
        bars.map((b) => [b.time - T0, b.close, b.ticks]),
        [
          [0, 10, 3],
          [60, 21, 4],
          [120, 31, 2],
          [180, 40, 1],
        ],
        `read ${run}`,
      );
    }
    const limited = await new BarHistory((sql) => store!.query(sql), 2).before('SYM9', T0 + 180, 2);
    assert.deepEqual(
      limited.map((b) => b.close),
      [21, 31],
      'LIMIT counts bars, not copies',
    );
  });
});
