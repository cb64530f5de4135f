/**
 * The api's HTTP side over real sockets: /api/metrics/* from the providers, coded 404 for a
 * section this process does not run, POST /api/metrics through the real batch validation
 * (malformed and wrong-typed bodies -> coded 400, the server keeps serving), /health,
 * unknown routes, and /metrics as valid Prometheus text with the expected names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { HEALTH_REUSE_MS } from '../src/api/metrics-routes.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import {
  databaseStats,
  isKnownSymbol,
  marketDataStats,
  orderStats,
  recordingSink,
} from './support/api-fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies of many shapes, checked field by field
type Json = any;

async function get(api: ApiService, path: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(api.url + path);
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

async function post(
  api: ApiService,
  path: string,
  body: string,
  type = 'application/json',
): Promise<{ status: number; body: Json }> {
  const res = await fetch(api.url + path, { method: 'POST', body, headers: { 'content-type': type } });
  return { status: res.status, body: await res.json() };
}

describe('api http (all sections present)', () => {
  const bus = new InProcessBus();
  const sink = recordingSink();
  let api: ApiService;
  before(async () => {
    api = await startApiService({
      bus,
      providers: { marketData: marketDataStats, orders: orderStats, database: async () => databaseStats() },
      ingest: sink,
      isKnownSymbol,
      port: 0,
      systemSampleMs: 50,
    });
  });
  after(async () => {
    await api.close();
    await bus.close();
  });

  test('each /api/metrics/* section answers the provider JSON', async () => {
    assert.deepEqual((await get(api, '/api/metrics/market-data')).body, marketDataStats());
    assert.deepEqual((await get(api, '/api/metrics/orders')).body, orderStats());
    assert.deepEqual((await get(api, '/api/metrics/database')).body, databaseStats());
    const all = await get(api, '/api/metrics');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.orders, orderStats());
    assert.equal(all.body.websocket.clients, 0);
  });

  test('/api/metrics/system reports this process', async () => {
    const { status, body } = await get(api, '/api/metrics/system');
    assert.equal(status, 200);
    assert.equal(body.pid, process.pid);
    assert.ok(body.rssBytes > 0 && body.heapUsedBytes > 0 && body.heapTotalBytes >= body.heapUsedBytes);
    assert.ok(body.cpuPercent >= 0 && Number.isFinite(body.cpuPercent));
    for (const k of ['mean', 'p50', 'p99', 'max']) assert.ok(body.eventLoopLagMs[k] >= 0, k);
    assert.ok(body.eventLoopUtilization >= 0 && body.eventLoopUtilization <= 1);
  });

  test('POST /api/metrics stores a valid batch (array or {records}) and answers 202 with counts', async () => {
    const batch = [
      { name: 'latency_ms', value: 1.5, labels: { svc: 'md' } },
      { name: 'orders', value: 3, timestamp: 1_732_280_000.5 },
    ];
    const r = await post(api, '/api/metrics', JSON.stringify(batch));
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { accepted: 2, received: 2 });
    const r2 = await post(api, '/api/metrics', JSON.stringify({ records: [{ name: 'x', value: 1 }] }));
    assert.deepEqual([r2.status, r2.body.accepted], [202, 1]);
    assert.equal(sink.records.length, 3);
    assert.deepEqual(sink.records[1].labels, {});
    assert.equal(sink.records[1].time, 1_732_280_000_500);
  });

  test('malformed or wrong-typed batches are coded 400s and the server keeps serving', async () => {
    const before = sink.records.length;
    const bad = await post(api, '/api/metrics', '[{"name":"x","value":');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'PRT_ERR_MALFORMED_JSON');
    const wrong = await post(api, '/api/metrics', JSON.stringify([{ name: 5, value: 'high' }]));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'TRD_ERR_INVALID_METRICS');
    assert.match(wrong.body.error.message, /\[0\]\.name/);
    const notArray = await post(api, '/api/metrics', '{"name":"x","value":1}');
    assert.equal(notArray.status, 400);
    assert.equal(notArray.body.error.code, 'TRD_ERR_INVALID_METRICS');
    const text = await post(api, '/api/metrics', '<metric/>', 'application/xml');
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(sink.records.length, before);
    assert.equal((await get(api, '/health')).status, 200);
  });

  test('an unknown route is a coded 404', async () => {
    const { status, body } = await get(api, '/api/metrics/nothing');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'TRD_ERR_NOT_FOUND');
  });

  test('/health reports this service and every provider', async () => {
    const { status, body } = await get(api, '/health');
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.service, 'api');
    assert.deepEqual(body.checks, { marketData: 'ok', orders: 'ok', database: 'ok', system: 'ok' });
  });

  test('/metrics is valid Prometheus text with the expected names', async () => {
    const res = await fetch(`${api.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const sample =
      /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)( [0-9]+)?$/;
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
      assert.match(line, sample);
    }
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `missing ${series}`);
      return Number(line.slice(series.length + 1));
    };
    assert.equal(value('tickstorm_market_data_ticks_received_total'), 1_000_000);
    assert.equal(
      value('tickstorm_market_data_ticks_rejected_by_reason_total{reason="PRT_ERR_NOT_FINITE"}'),
      3,
    );
    assert.equal(value('tickstorm_orders_rejected_total'), orderStats().ordersRejected);
    assert.equal(value('tickstorm_trades_total'), 4200);
    assert.equal(value('tickstorm_database_rows'), 600_000);
    assert.ok(value('tickstorm_system_rss_bytes') > 0);
    assert.equal(value('tickstorm_ws_clients'), 0);
    assert.ok(value('process_cpu_seconds_total') > 0, 'default process metrics');
    assert.match(text, /# TYPE tickstorm_market_data_ticks_received_total counter/);
    assert.match(text, /# TYPE nodejs_eventloop_lag_seconds gauge/);
  });
});

describe('api http (a process that runs only the api)', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  before(async () => {
    api = await startApiService({ bus, isKnownSymbol, port: 0 });
  });
  after(async () => {
    await api.close();
    await bus.close();
  });

  test('sections it does not run are coded 404s naming the service that serves them', async () => {
    const md = await get(api, '/api/metrics/market-data');
    assert.equal(md.status, 404);
    assert.equal(md.body.error.code, 'TRD_ERR_NOT_FOUND');
    assert.match(md.body.error.message, /market-data service/);
    assert.match((await get(api, '/api/metrics/orders')).body.error.message, /execution-engine/);
    assert.match((await get(api, '/api/metrics/database')).body.error.message, /metrics store/);
    const ingest = await post(api, '/api/metrics', '[]');
    assert.equal(ingest.status, 404);
    assert.equal(ingest.body.error.code, 'TRD_ERR_NOT_FOUND');
  });

  test('/health lists absent sections and /metrics leaves them out', async () => {
    const { body } = await get(api, '/health');
    assert.deepEqual(body.checks, {
      marketData: 'absent',
      orders: 'absent',
      database: 'absent',
      system: 'ok',
    });
    const text = (await get(api, '/metrics')).body as string;
    assert.doesNotMatch(text, /tickstorm_market_data_/);
    assert.match(text, /^tickstorm_system_rss_bytes /m);
  });
});

describe('api http /health under frequent checks', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  let calls = 0;
  before(async () => {
    api = await startApiService({
      bus,
      providers: {
        marketData: () => {
          calls++;
          return marketDataStats();
        },
      },
      isKnownSymbol,
      port: 0,
    });
  });
  after(async () => {
    await api.close();
    await bus.close();
  });

  test('concurrent and back-to-back checks share one run of the providers (reused for 250 ms)', async () => {
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(api, '/health')));
    const again = await get(api, '/health');
    const elapsed = performance.now() - t0;
    for (const a of [...answers, again]) assert.equal(a.body.checks.marketData, 'ok');
    // every answer came within the reuse window, unless this machine stalled for 250 ms
    if (elapsed < HEALTH_REUSE_MS) assert.equal(calls, 1);
    else assert.ok(calls >= 1 && calls <= 1 + Math.ceil(elapsed / HEALTH_REUSE_MS));
  });
});
