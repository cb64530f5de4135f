/**
 * The system on the PostgreSQL metrics store (`metricsPath: postgres://...`, what
 * `serve --metrics-store` passes): /api/metrics/database and /api/metrics/query answer as on
 * DuckDB, bar history reads back from PostgreSQL across a restart, and with the server down
 * /health turns degraded while batches past the buffer bound are refused and counted on
 * /metrics. The server is started here (support/postgres.ts) and stopped in teardown.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BarHistory } from '../src/market-data/bar-history.ts';
import { BAR_METRIC_1M } from '../src/market-data/bar-persister.ts';
import { PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { TradingSystem, type TradingSystemOptions } from '../src/system/trading-system.ts';
import { barTicks, feedTicks, T0 } from './support/agent-fixture.ts';
import { type PgServer, startPgServer, waitFor } from './support/postgres.ts';
import { codedError, Http, ZERO_PORTS } from './support/trading-fixture.ts';

let server: PgServer;
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-pg-system-'));
const http = new Http();
const systems: TradingSystem[] = [];
before(async () => {
  server = await startPgServer({ fsync: false });
});
after(async () => {
  await http.close();
  for (const s of systems) await s.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A system on `url`; `dataDir` (default the suite's) is its own: one process (system) per data directory. */
async function start(
  url: string,
  extra: Partial<TradingSystemOptions> = {},
  dataDir = dir,
): Promise<TradingSystem> {
  const sys = await TradingSystem.start({
    config: { host: '127.0.0.1', dataDir, ports: { ...ZERO_PORTS } },
    metricsPath: url,
    selfMetricsIntervalMs: 60_000,
    barPersistMs: 0,
    ...extra,
  });
  systems.push(sys);
  return sys;
}

describe('the system on PostgreSQL', () => {
  test('database stats, the query endpoint and bar history across a restart', async () => {
    const url = await server.createDatabase('sys1');
    const first = await start(url);
    await feedTicks(first, barTicks('SYM7', [10, 11, 12, 13, 14], 60));
    const api1 = first.url('api');
    const post = await http.post(`${api1}/api/metrics`, [
      { name: 'ext.latency', value: 1.5, labels: { svc: 'a' }, timestamp: T0 },
      { name: 'ext.latency', value: 2.5, labels: { svc: 'b' }, timestamp: T0 + 1 },
    ]);
    assert.equal(post.status, 202, JSON.stringify(post.body));
    const db = await http.get(`${api1}/api/metrics/database`);
    assert.equal(db.status, 200);
    assert.equal(db.body.path, url);
    assert.equal(db.body.rows, 2);
    assert.equal(db.body.dropped, 0);
    const q = await http.get(
      `${api1}/api/metrics/query?sql=${encodeURIComponent("SELECT labels->>'svc' AS svc, value FROM trading_metrics WHERE name = 'ext.latency' ORDER BY time")}`,
    );
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.deepEqual(q.body, {
      rows: [
        { svc: 'a', value: 1.5 },
        { svc: 'b', value: 2.5 },
      ],
      truncated: false,
    });
    const bad = await http.get(
      `${api1}/api/metrics/query?sql=${encodeURIComponent('DROP TABLE trading_metrics')}`,
    );
    assert.equal(bad.status, 400);
    assert.equal(codedError(bad).code, 'TRD_ERR_QUERY_REFUSED');
    await first.close(); // persists every bar into PostgreSQL

    const second = await start(url);
    await feedTicks(second, barTicks('SYM7', [20, 21], 60, T0 + 5 * 60));
    const r = await http.get(`${second.url('api')}/api/data/SYM7/bars?interval=1m&limit=10`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.source, { memory: 2, store: 5 });
    assert.deepEqual(
      r.body.bars.map((b: { time: number; close: number }) => [b.time - T0, b.close]),
      [10, 11, 12, 13, 14, 20, 21].map((c, i) => [60 * i, c]),
    );
    const bar = r.body.bars[0];
    assert.deepEqual([bar.open, bar.high, bar.low, bar.volume, bar.ticks], [10, 10, 10, 10, 1]);
    await second.close();
  });

  test('two systems and a library writer on one database: /api/metrics/database and the query count them all', async () => {
    const url = await server.createDatabase('sys_many');
    const a = await start(url, {}, join(dir, 'a'));
    const b = await start(url, {}, join(dir, 'b'));
    const lib = await PostgresMetricsStore.open(url);
    try {
      const rows = (svc: string, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          name: 'ext.many',
          value: i,
          labels: { svc },
          timestamp: T0 + i,
        }));
      assert.equal((await http.post(`${a.url('api')}/api/metrics`, rows('a', 300))).status, 202);
      assert.equal((await http.post(`${b.url('api')}/api/metrics`, rows('b', 200))).status, 202);
      await lib.insert(rows('lib', 100).map((r) => ({ ...r, time: r.timestamp })));
      for (const sys of [a, b]) {
        const db = await http.get(`${sys.url('api')}/api/metrics/database`);
        assert.equal(db.body.rows, 600, 'every writer counted, not only this process');
        const q = await http.get(
          `${sys.url('api')}/api/metrics/query?sql=${encodeURIComponent("SELECT labels->>'svc' AS svc, count(*) AS n FROM trading_metrics GROUP BY 1 ORDER BY 1")}`,
        );
        assert.deepEqual(q.body.rows, [
          { svc: 'a', n: 300 },
          { svc: 'b', n: 200 },
          { svc: 'lib', n: 100 },
        ]);
      }
    } finally {
      await lib.close();
    }
  });

  test('server down: /health degraded; batches past the bound refused (503) and counted on /metrics', async () => {
    const own = await startPgServer({ fsync: false });
    try {
      const sys = await start(own.url, {
        metricsStore: {
          postgres: { maxBufferedRows: 1000, retryBaseMs: 20, retryMaxMs: 100, closeTimeoutMs: 500 },
        },
      });
      const api = sys.url('api');
      assert.equal((await http.get(`${api}/health`)).status, 200);
      await own.kill();
      const records = Array.from({ length: 1500 }, (_, i) => ({ name: 'burst', value: i }));
      const refused = await http.post(`${api}/api/metrics`, records);
      assert.equal(refused.status, 503);
      assert.match(codedError(refused).message, /buffer full.*1500 rows dropped/);
      // /health reuses a check for 250 ms: ask until the one after the drop answers.
      let health = await http.get(`${api}/health`);
      await waitFor(async () => {
        health = await http.get(`${api}/health`);
        return health.status !== 200;
      }, '/health to turn degraded');
      assert.equal(health.status, 503);
      assert.equal(health.body.status, 'degraded');
      assert.equal(health.body.store.status, 'degraded');
      const prom = await http.get(`${api}/metrics`);
      assert.match(prom.body, /^tickstorm_database_dropped_total 1500$/m);
      const db = await http.get(`${api}/api/metrics/database`);
      assert.equal(db.body.dropped, 1500);
      await own.restart();
      const ok = await http.post(`${api}/api/metrics`, records.slice(0, 500));
      assert.equal(ok.status, 202);
      const q = await http.get(
        `${api}/api/metrics/query?sql=${encodeURIComponent('SELECT count(*) AS n FROM trading_metrics')}`,
      );
      assert.deepEqual(q.body.rows, [{ n: 500 }]);
      await sys.close();
    } finally {
      await own.stop();
    }
  });

  test('server away: a POST /api/metrics is refused (503, Retry-After), not held for the outage, also one taken before the store knew', async () => {
    const own = await startPgServer({ fsync: false });
    try {
      const sys = await start(
        own.url,
        { metricsStore: { postgres: { retryBaseMs: 20, retryMaxMs: 100, closeTimeoutMs: 500 } } },
        mkdtempSync(join(dir, 'away-')),
      );
      const api = sys.url('api');
      const rows = (name: string) => Array.from({ length: 10 }, (_, i) => ({ name, value: i }));
      await own.kill();
      // taken before the store knew: refused once its COPY fails (503, nothing stored), not held
      // for the outage (a client that gave up on a held request and sent it again stored it twice)
      const first = await Promise.race([
        http.post(`${api}/api/metrics`, rows('before_known')),
        new Promise<null>((r) => setTimeout(() => r(null), 5_000)),
      ]);
      assert.ok(first !== null, 'answered while the server is down, not held until it is back');
      assert.equal(first.status, 503);
      assert.equal(first.headers.get('retry-after'), '1');
      assert.match(codedError(first).message, /these 10 rows were not stored, retry later/);
      await waitFor(() => sys.store?.writeStats().state === 'retrying', 'the store to notice the outage');
      const t0 = performance.now();
      const second = await Promise.race([
        http.post(`${api}/api/metrics`, rows('while_away')),
        new Promise<null>((r) => setTimeout(() => r(null), 3_000)),
      ]);
      assert.ok(second !== null, 'answered, not held until the server is back');
      assert.ok(performance.now() - t0 < 2_000);
      assert.equal(second.status, 503);
      assert.equal(second.headers.get('retry-after'), '1');
      assert.equal(codedError(second).code, 'TRD_ERR_SERVICE_UNAVAILABLE');
      assert.match(codedError(second).message, /metrics store unreachable .*these 10 rows were not stored/);
      await own.restart();
      await waitFor(() => sys.store?.writeStats().state === 'ok', 'writing to resume');
      const q = await http.get(
        `${api}/api/metrics/query?sql=${encodeURIComponent("SELECT name, count(*) AS n FROM trading_metrics WHERE name IN ('before_known', 'while_away', 'after') GROUP BY 1")}`,
      );
      assert.deepEqual(q.body.rows, []);
      assert.equal((await http.post(`${api}/api/metrics`, rows('after'))).status, 202);
      await sys.close();
    } finally {
      await own.stop();
    }
  });

  test('GET /api/metrics/query has the limits it has on DuckDB: a 2 s timeout (it had the store 5 s), queryLimits honoured', async () => {
    const url = await server.createDatabase('qlimits');
    const sys = await start(url, {}, mkdtempSync(join(dir, 'qlimits-')));
    const api = sys.url('api');
    const sql = (q: string) => `${api}/api/metrics/query?sql=${encodeURIComponent(q)}`;
    const t0 = performance.now();
    const slow = await http.get(sql('SELECT pg_sleep(3.5)'));
    const ms = performance.now() - t0;
    assert.equal(slow.status, 504, JSON.stringify(slow.body));
    assert.equal(codedError(slow).code, 'TRD_ERR_QUERY_TIMEOUT');
    assert.match(codedError(slow).message, /2000 ms/);
    assert.ok(ms < 3_400, `answered after ${Math.round(ms)} ms`);
    await sys.close();
    const capped = await start(url, { queryLimits: { maxRows: 5 } }, mkdtempSync(join(dir, 'qlimits-')));
    const rows = await http.get(
      `${capped.url('api')}/api/metrics/query?sql=${encodeURIComponent('SELECT g FROM generate_series(1, 100) g')}`,
    );
    assert.equal(rows.status, 200);
    assert.equal(rows.body.rows.length, 5);
    assert.equal(rows.body.truncated, true);
    await capped.close();
  });

  test('bar history: a minute stored twice reads back as one bar (most ticks, then written last)', async () => {
    const url = await server.createDatabase('bars');
    const bar = (minute: number, close: number, ticks: number) => ({
      time: (T0 + 60 * minute) * 1000,
      name: BAR_METRIC_1M,
      value: close,
      labels: { symbol: 'SYM9', open: '1', high: '9', low: '1', volume: String(ticks), ticks: String(ticks) },
    });
    const store = await PostgresMetricsStore.open(url);
    try {
      for (const [m, c, n] of [
        [0, 10, 3],
        [1, 20, 1],
        [2, 30, 2],
        [0, 11, 1],
        [1, 21, 4],
        [2, 31, 2],
        [3, 40, 1],
      ]) {
        await store.insert([bar(m, c, n)]);
      }
      const history = new BarHistory((sql) => store.query(sql), 100, 'postgres');
      const bars = await history.before('SYM9', Number.POSITIVE_INFINITY, 10);
      assert.deepEqual(
        bars.map((b) => [b.time - T0, b.close, b.ticks]),
        [
          [0, 10, 3],
          [60, 21, 4],
          [120, 31, 2],
          [180, 40, 1],
        ],
      );
      const limited = await new BarHistory((sql) => store.query(sql), 2, 'postgres').before(
        'SYM9',
        T0 + 180,
        2,
      );
      assert.deepEqual(
        limited.map((b) => b.close),
        [21, 31],
      );
    } finally {
      await store.close();
    }
  });
});
