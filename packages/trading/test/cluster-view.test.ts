/**
 * The whole system visible from an api running apart: a real nats-server and three
 * TradingSystems in this test process, each with its own data dir, on the bus -- market data;
 * the execution engine with the risk manager; the api with the DuckDB store. Heartbeats feed
 * the api's cluster view: /health lists every service and instance, /api/metrics covers the
 * other processes (its /metrics lists their instances), metric rows and 1m bars reach the one DuckDB writer,
 * the agent endpoints answer over the bus, a process that stops shows as down 1.5 s after its last beat
 * and a new one rejoins by heartbeating.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BusError, InProcessBus } from '../src/bus/bus.ts';
import { serviceStatus } from '../src/cluster/cluster-health.ts';
import { ClusterView } from '../src/cluster/cluster-view.ts';
import type { Heartbeat } from '../src/cluster/heartbeat.ts';
import { mergeLatency } from '../src/cluster/stats-merge.ts';
import { Queue, Subject } from '../src/cluster/subjects.ts';
import type { ServiceName } from '../src/config/service-config.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { MdClient, tick } from './support/md-client.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { type PgServer, startPgServer } from './support/postgres.ts';
import { Http, type Json, order, ZERO_PORTS } from './support/trading-fixture.ts';
import { until, WsTestClient } from './support/ws-test-client.ts';

/** A minute boundary (epoch s): ticks at T0+1, +61, +121 close two 1m bars. */
const T0 = 1_732_280_040;

describe('cluster view: services in separate systems over NATS', () => {
  let nats: NatsServer;
  const http = new Http();
  const dirs: string[] = [];
  const systems: TradingSystem[] = [];
  let md: TradingSystem;
  let engine: TradingSystem;
  let api: TradingSystem;
  let apiUrl: string;

  async function start(
    services: ServiceName[],
    extra: { metricsPath?: string } = {},
  ): Promise<TradingSystem> {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-cluster-'));
    dirs.push(dir);
    const sys = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
      services,
      bus: nats.url,
      durability: 'write',
      selfMetricsIntervalMs: 200,
      barPersistMs: 50,
      report: () => {},
      ...extra,
    });
    systems.push(sys);
    return sys;
  }

  /** Polls GET `path` on the api until `ok(body, status)`; bounded. */
  async function apiUntil(path: string, ok: (b: Json, status: number) => boolean, ms = 5000): Promise<Json> {
    let last: Json;
    let status = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      const r = await http.get(apiUrl + path);
      last = r.body;
      status = r.status;
      if (ok(last, status)) return last;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${path}: not as expected within ${ms} ms: ${status} ${JSON.stringify(last)}`);
  }

  const statuses = (h: Json) =>
    Object.fromEntries(Object.entries(h.services).map(([k, v]) => [k, (v as { status: string }).status]));
  const allOk = { 'market-data': 'ok', 'execution-engine': 'ok', 'risk-manager': 'ok', api: 'ok' };

  before(async () => {
    nats = await startNatsServer();
    md = await start(['market-data']);
    engine = await start(['execution-engine', 'risk-manager']);
    const apiDir = mkdtempSync(join(tmpdir(), 'tickstorm-cluster-api-'));
    dirs.push(apiDir);
    api = await start(['api'], { metricsPath: join(apiDir, 'metrics.duckdb') });
    apiUrl = api.url('api');
  });

  after(async () => {
    await http.close();
    for (const s of systems.reverse()) await s.close();
    await nats?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('/health on the api lists every service ok and every instance up', async () => {
    const h = await apiUntil('/health', (b, s) => s === 200 && b.status === 'ok');
    assert.deepEqual(statuses(h), allOk);
    assert.equal(h.bus.state, 'connected');
    const ids = [md, engine, api].map((s) => s.bus.instanceId);
    for (const id of ids) {
      const row = h.instances.find((i: Json) => i.instanceId === id);
      assert.ok(row !== undefined, `instance ${id} listed`);
      assert.equal(row.status, 'up');
      assert.equal(row.pid, process.pid);
      assert.ok(row.lastSeenMsAgo < 1500);
    }
    const mdRow = h.instances.find((i: Json) => i.instanceId === md.bus.instanceId);
    assert.deepEqual(mdRow.services, ['market-data']);
    assert.equal(mdRow.urls['market-data'], md.url('market-data'));
    // Each service's own /health shows its bus.
    const own = await http.get(`${md.url('market-data')}/health`);
    assert.deepEqual([own.status, own.body.bus.state, own.body.bus.kind], [200, 'connected', 'nats']);
    const rm = await http.get(`${engine.url('risk-manager')}/health`);
    assert.equal(rm.body.bus.state, 'connected');
  });

  test('ticks sent to market data show in the api /api/metrics/market-data and reach a /ws/metrics subscriber', async () => {
    const ws = await WsTestClient.connect(`${apiUrl.replace('http', 'ws')}/ws/metrics`);
    const client = await MdClient.open(`${md.url('market-data').replace('http', 'ws')}/stream`);
    try {
      await ws.subscribe('SYM1');
      const before = (await http.get(`${apiUrl}/api/metrics/market-data`)).body.ticksProcessed;
      for (const [i, dt] of [1, 61, 121].entries()) client.send(tick('SYM1', 100 + i, 10, T0 + dt));
      client.send(tick('SYM2', 50, 10, T0 + 1));
      await client.sync();
      const s = await apiUntil('/api/metrics/market-data', (b) => b.ticksProcessed >= before + 4);
      assert.deepEqual(
        s.instances.map((i: Json) => i.instanceId),
        [md.bus.instanceId],
      );
      assert.match(s.merge, /upper bound/);
      const u = await ws.waitFor(
        (m) => m.json?.type === 'update' && m.json.symbol === 'SYM1' && m.json.last === 102,
      );
      assert.equal(u.json?.symbol, 'SYM1');
      // /metrics: each process exports its own sections (market data on its port), so that a
      // sum over every scraped port counts each tick once; the api adds the instances.
      const prom = await http.get(`${apiUrl}/metrics`);
      assert.doesNotMatch(prom.body, /tickstorm_market_data_ticks_processed_total/);
      const mdProm = await http.get(`${md.url('market-data')}/metrics`);
      assert.match(mdProm.body, /tickstorm_market_data_ticks_processed_total \d+/);
      assert.match(
        prom.body,
        new RegExp(`tickstorm_instance_up\\{service="market-data",instance_id="${md.bus.instanceId}"\\} 1`),
      );
      // Prometheus sets `job` and `instance` to the scrape target's: an exported one would be renamed.
      assert.doesNotMatch(prom.body, /[{,](instance|job)="/);
    } finally {
      await client.close();
      await ws.close();
    }
  });

  test('orders posted to the engine show in the api /api/metrics/orders', async () => {
    const ex = engine.url('execution-engine');
    const before = (await http.get(`${apiUrl}/api/metrics/orders`)).body.ordersReceived;
    for (let i = 0; i < 3; i++) {
      const r = await http.post(
        `${ex}/orders`,
        order('SYM3', 'sell', 'limit', 1, 110 + i, { account: 'mm' }),
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const s = await apiUntil('/api/metrics/orders', (b) => b.ordersReceived >= before + 3);
    assert.ok(s.liveOrders >= 3);
    assert.deepEqual(
      s.instances.map((i: Json) => i.instanceId),
      [engine.bus.instanceId],
    );
    const sys = await http.get(`${apiUrl}/api/metrics/system`);
    assert.equal(sys.body.instances.length, 3, 'every process has a system section');
  });

  test('the agent endpoints answer with the api apart (bars, strategy, risk, execution over the bus)', async () => {
    const core = engine.core!;
    // The engine process's answers to routed orders and risk queries, where nothing serves them yet.
    const probe = (subject: string, q: unknown) =>
      api.bus.request(subject, q, 1000).then(
        () => true,
        (e: BusError) => e.code !== 'BUS_NO_RESPONDERS',
      );
    if (!(await probe(Subject.orderRoute('SYM3'), { op: 'book', symbol: 'SYM3', depth: 1 }))) {
      const noOwner = await http.post(`${apiUrl}/api/trade/execute`, order('SYM3', 'buy', 'market', 1, null));
      assert.equal(noOwner.status, 503, JSON.stringify(noOwner.body));
      assert.equal(noOwner.body.error.code, 'TRD_ERR_SERVICE_UNAVAILABLE');
      assert.ok(noOwner.headers.get('retry-after') !== null);
      for (const symbol of ['SYM3']) {
        engine.bus.serve<{ op: string; body: unknown }, unknown>(
          Subject.orderRoute(symbol),
          (q) => core.gateway.submit(q.body),
          Queue.ENGINES,
        );
      }
    }
    if (!(await probe(Subject.RISK_QUERY, { op: 'limits' }))) {
      const noRisk = await http.post(`${apiUrl}/api/risk/analyze`, { account: 'mm' });
      assert.deepEqual([noRisk.status, noRisk.body.error.field], [503, 'risk-manager']);
      engine.bus.serve<{ op: string; account?: string }, unknown>(
        Subject.RISK_QUERY,
        (q) => (q.op === 'limits' ? core.risk.getLimits() : core.risk.positions(q.account)),
        Queue.RISK,
      );
    }
    const bars = await http.get(`${apiUrl}/api/data/SYM1/bars?interval=1m&limit=5`);
    assert.equal(bars.status, 200, JSON.stringify(bars.body));
    assert.deepEqual(
      bars.body.bars.map((b: Json) => [b.time - T0, b.close]),
      [
        [0, 100],
        [60, 101],
        [120, 102],
      ],
    );
    const st = await http.post(`${apiUrl}/api/strategy/analyze`, { symbol: 'SYM1', strategy: 'rsi' });
    assert.equal(st.status, 200, JSON.stringify(st.body));
    const exec = await http.post(
      `${apiUrl}/api/trade/execute`,
      order('SYM3', 'buy', 'market', 1, null, { account: 'agent' }),
    );
    assert.equal(exec.status, 201, JSON.stringify(exec.body));
    assert.equal(exec.body.status, 'filled');
    // A price JSON.parse reads as another number is refused by the owner as by POST /orders: the
    // literal rides beside the body on the bus (without it, the order was placed at 100).
    const inexact = await http.send(
      'POST',
      `${apiUrl}/api/trade/execute`,
      '{"symbol":"SYM3","side":"buy","type":"limit","quantity":1,"price":100.000000000000000001,"account":"agent"}',
      { 'content-type': 'application/json' },
    );
    assert.deepEqual(
      [inexact.status, inexact.body.error?.code, inexact.body.error?.field],
      [400, 'PRT_ERR_INVALID_FIELD', 'price'],
      JSON.stringify(inexact.body),
    );
    const risk = await http.post(`${apiUrl}/api/risk/analyze`, { account: 'agent', interval: '1m' });
    assert.equal(risk.status, 200, JSON.stringify(risk.body));
    assert.deepEqual(
      risk.body.positions.map((p: Json) => [p.symbol, p.position]),
      [['SYM3', 1]],
    );
    const wf = await http.post(`${apiUrl}/api/workflow/run`, { symbol: 'SYM1', account: 'agent' });
    assert.equal(wf.status, 200, JSON.stringify(wf.body));
    assert.deepEqual(
      wf.body.steps.slice(0, 3).map((s: Json) => s.status),
      ['ok', 'ok', 'ok'],
    );
  });

  test('market data stops: the api shows it down once its beats stop (1.5 s); a new market-data process rejoins', async () => {
    const oldId = md.bus.instanceId;
    const forwarder = md.forwarder!;
    const persisted = md.persister!;
    await md.close();
    const closedAt = performance.now();
    const h = await apiUntil(
      '/health',
      (b, s) => s === 503 && b.services['market-data'].status === 'degraded',
      10_000,
    );
    // Down 1.5 s after its last beat (DOWN_AFTER_MS, on a manual clock in 'cluster view rules'
    // below), so within 2 s of the close on an idle box; the 0.5 s to spare is within reach of
    // a loaded box's stalls (400 ms seen), so the clock bound here is 5 s: it still fails a view
    // that never marks it down, or only when it forgets it (FORGET_AFTER_MS, 60 s).
    const tookMs = performance.now() - closedAt;
    assert.ok(tookMs < 5000, `market-data down after ${Math.round(tookMs)} ms`);
    assert.match(h.services['market-data'].detail, /^down: no live instance/);
    assert.equal(h.services['execution-engine'].status, 'ok');
    assert.equal(h.instances.find((i: Json) => i.instanceId === oldId).status, 'down');
    const prom = await http.get(`${apiUrl}/metrics`);
    assert.match(
      prom.body,
      new RegExp(`tickstorm_instance_up\\{service="market-data",instance_id="${oldId}"\\} 0`),
    );

    // Every row the market-data process forwarded reached the api's writer, and its bars the store.
    const sent = forwarder.stats();
    assert.equal(sent.dropped, 0);
    await until(
      () => (api.receiver!.stats().bySender[oldId]?.rows ?? 0) === sent.forwarded,
      5000,
      'rows received',
    );
    const got = api.receiver!.stats();
    assert.equal(got.batchesMissed, 0);
    assert.equal(got.rowsRefused, 0);
    assert.ok(persisted.persisted >= 3, `bars persisted: ${persisted.persisted}`);
    await api.metrics!.flush();
    const q = await http.get(
      `${apiUrl}/api/metrics/query?sql=${encodeURIComponent("SELECT count(*) AS n FROM trading_metrics WHERE name = 'market_data.bar_1m'")}`,
    );
    // on a box at load 16 this was 503 'the query process did not start within 30000 ms'
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.equal(Number(q.body.rows[0].n), persisted.persisted, JSON.stringify(q.body));
    const db = (await http.get(`${apiUrl}/api/metrics/database`)).body;
    assert.ok(db.received.rowsReceived >= got.rowsReceived, 'the engine keeps forwarding its rows');
    assert.equal(db.received.bySender[oldId].rows, sent.forwarded);

    md = await start(['market-data']);
    const back = await apiUntil('/health', (b, s) => s === 200 && b.status === 'ok');
    assert.deepEqual(statuses(back), allOk);
    assert.equal(
      back.instances.some((i: Json) => i.instanceId === oldId),
      false,
      'the replaced instance is dropped',
    );
  });

  test('the bus goes away: each process reports it, and recovers when it is back', async () => {
    await nats.kill();
    const h = await apiUntil('/health', (b, s) => s === 503 && b.bus.state === 'reconnecting');
    assert.equal(h.services.api.status, 'degraded');
    assert.match(h.services.api.detail, /bus reconnecting/);
    const own = await http.get(`${md.url('market-data')}/health`);
    assert.deepEqual([own.status, own.body.detail], [503, 'bus reconnecting']);
    await nats.restart();
    const back = await apiUntil('/health', (b, s) => s === 200 && b.status === 'ok', 10_000);
    assert.deepEqual(statuses(back), allOk);
  });
});

describe('cluster view on a PostgreSQL store: every process writes its own rows', () => {
  let nats: NatsServer;
  let pgServer: PgServer;
  const http = new Http();
  const dirs: string[] = [];
  const systems: TradingSystem[] = [];

  async function start(services: ServiceName[]): Promise<TradingSystem> {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-cluster-pg-'));
    dirs.push(dir);
    const sys = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: dir, ports: { ...ZERO_PORTS } },
      services,
      bus: nats.url,
      metricsPath: pgServer.url,
      selfMetricsIntervalMs: 200,
      barPersistMs: 50,
      report: () => {},
    });
    systems.push(sys);
    return sys;
  }

  before(async () => {
    [nats, pgServer] = await Promise.all([startNatsServer(), startPgServer({ fsync: false })]);
  });

  after(async () => {
    await http.close();
    for (const s of systems.reverse()) await s.close();
    await Promise.all([nats?.stop(), pgServer?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('market data writes its bars and rows into PostgreSQL itself; nothing is forwarded', async () => {
    const md = await start(['market-data']);
    const api = await start(['api']);
    assert.equal(md.forwarder, null);
    assert.ok(md.metrics !== null, 'the market-data process has its own writer');
    const client = await MdClient.open(`${md.url('market-data').replace('http', 'ws')}/stream`);
    try {
      for (const dt of [1, 61, 121]) client.send(tick('SYM4', 100, 10, T0 + dt));
      await client.sync();
    } finally {
      await client.close();
    }
    await until(() => md.persister!.persisted >= 2, 5000, 'closed bars persisted');
    await md.metrics!.flush();
    const sql = "SELECT count(*) AS n FROM trading_metrics WHERE name = 'market_data.bar_1m'";
    const q = await http.get(`${api.url('api')}/api/metrics/query?sql=${encodeURIComponent(sql)}`);
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.equal(Number(q.body.rows[0].n), md.persister!.persisted);
    assert.equal(api.receiver!.stats().rowsReceived, 0);
    await until(() => api.cluster!.live('market-data').length === 1, 5000, 'market data heard by the api');
    const db = (await http.get(`${api.url('api')}/api/metrics/database`)).body;
    const sender = db.senders.find((s: Json) => s.instanceId === md.bus.instanceId);
    assert.equal(sender?.mode, 'writer');
  });
});

describe('cluster view rules (in-process bus, a manual clock)', () => {
  function beat(id: string, seq: number, o: Partial<Heartbeat> = {}): Heartbeat {
    return {
      instanceId: id,
      seq,
      pid: 1,
      host: 'h1',
      services: ['market-data'],
      symbols: null,
      startedAt: 1000,
      sentAt: 1000,
      bus: 'connected',
      urls: {},
      health: { problems: [] },
      stats: {},
      ...o,
    };
  }

  test('up for 1.5 s after the last beat; a stale beat ignored; replaced or forgotten when down', () => {
    let now = 0;
    const bus = new InProcessBus();
    const view = new ClusterView(bus, { now: () => now });
    try {
      assert.equal(serviceStatus(view, 'market-data').detail, 'down: no instance heard on the bus');
      bus.publish(Subject.HEARTBEAT, beat('a', 2));
      bus.publish(Subject.HEARTBEAT, beat('a', 1));
      assert.equal(view.beats, 1, 'an older beat is ignored');
      now = 1499;
      assert.deepEqual(serviceStatus(view, 'market-data'), {
        status: 'ok',
        detail: '1 instance up',
        instances: { up: 1, down: 0 },
      });
      now = 1500;
      const down = serviceStatus(view, 'market-data');
      assert.equal(down.status, 'degraded');
      assert.match(down.detail!, /^down: no live instance \(last heard a \(pid 1\) on h1 1500 ms ago\)$/);
      // Another host's instance does not replace it; the same host's does.
      bus.publish(Subject.HEARTBEAT, beat('b', 1, { host: 'h2', startedAt: 2000 }));
      assert.deepEqual(
        view.rows().map((r) => [r.instanceId, r.status]),
        [
          ['b', 'up'],
          ['a', 'down'],
        ],
      );
      bus.publish(Subject.HEARTBEAT, beat('c', 1, { startedAt: 3000 }));
      assert.deepEqual(
        view.rows().map((r) => r.instanceId),
        ['b', 'c'],
      );
      // A problem reported by a live instance degrades its services.
      bus.publish(
        Subject.HEARTBEAT,
        beat('b', 2, { host: 'h2', health: { problems: ['journal refuses writes (3 write errors)'] } }),
      );
      assert.equal(serviceStatus(view, 'market-data').detail, 'b: journal refuses writes (3 write errors)');
      // A down instance nobody replaces is forgotten after 60 s.
      bus.publish(Subject.HEARTBEAT, beat('d', 1, { host: 'h3', services: ['api'] }));
      now += 60_000;
      assert.deepEqual(view.rows(), []);
    } finally {
      view.close();
    }
  });

  test('two risk managers up at once: risk-manager degraded, naming both (risk is central)', () => {
    const bus = new InProcessBus();
    const view = new ClusterView(bus, { now: () => 1000 });
    try {
      bus.publish(Subject.HEARTBEAT, beat('r1', 1, { services: ['risk-manager'] }));
      assert.equal(serviceStatus(view, 'risk-manager').status, 'ok');
      bus.publish(Subject.HEARTBEAT, beat('r2', 1, { services: ['risk-manager'], host: 'h2' }));
      const two = serviceStatus(view, 'risk-manager');
      assert.equal(two.status, 'degraded');
      assert.match(two.detail!, /^2 risk managers up \(r1 .*, r2 .*\): exactly one may run/);
      // one owner per symbol: two engines sharing a symbol, or one owning all beside another, is degraded
      const eng = (id: string, symbols: string[] | null) =>
        beat(id, 1, { services: ['execution-engine'], symbols, host: id });
      bus.publish(Subject.HEARTBEAT, eng('e1', ['AAPL', 'MSFT']));
      bus.publish(Subject.HEARTBEAT, eng('e2', ['TSLA']));
      assert.equal(serviceStatus(view, 'execution-engine').status, 'ok');
      bus.publish(Subject.HEARTBEAT, eng('e3', ['MSFT']));
      assert.match(serviceStatus(view, 'execution-engine').detail!, /^symbol MSFT is owned by e1 .* and e3 /);
      bus.publish(Subject.HEARTBEAT, { ...eng('e3', ['GOOGL']), seq: 2 });
      assert.equal(serviceStatus(view, 'execution-engine').status, 'ok');
      bus.publish(Subject.HEARTBEAT, eng('e4', null));
      assert.match(serviceStatus(view, 'execution-engine').detail!, /owns every symbol \(no --symbols\)/);
      // several market-data processes are normal
      bus.publish(Subject.HEARTBEAT, beat('m1', 1));
      bus.publish(Subject.HEARTBEAT, beat('m2', 1, { host: 'h2' }));
      assert.equal(serviceStatus(view, 'market-data').status, 'ok');
    } finally {
      view.close();
    }
  });

  test('sections merge: counts summed, percentiles the largest instance value', () => {
    const l = (count: number, mean: number, p99: number) => ({
      count,
      mean,
      p50: p99 / 2,
      p95: p99,
      p99,
      max: p99,
    });
    const merged = mergeLatency([l(100, 1, 4), l(300, 3, 2), l(0, 0, 0)]);
    assert.deepEqual(merged, { count: 400, mean: 2.5, p50: 2, p95: 4, p99: 4, max: 4 });
  });
});
