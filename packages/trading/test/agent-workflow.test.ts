/**
 * The workflow's timeouts and failures, and the api's load shedding, with injected agents on
 * a real api server (port 0): a step that never resolves ends the chain with "timeout" (504,
 * later steps skipped, the answer arrives; the step keeps its request's slot); a failing step is "error" with its coded status;
 * beyond ABC_MAX_CONCURRENT_REQUESTS agent requests get 503 TRD_ERR_OVERLOADED + Retry-After
 * (requests held in flight by a step waiting on a promise the test resolves); above the
 * memory high-water mark (a fake RSS reader) the agent endpoints and POST /api/metrics get
 * 503 TRD_ERR_MEMORY_PRESSURE until RSS is under the low-water mark; performance mode caches
 * an analysis per bar.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { type ApiService, type ApiServiceOptions, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { TradingError, TradingErrorCode } from '../src/errors.ts';
import type { AgentSteps, BarsResult, RiskReport } from '../src/workflow/agent-types.ts';
import { trackSlots } from './support/agent-fixture.ts';
import { isKnownSymbol, recordingSink } from './support/api-fixtures.ts';
import { codedError, Http } from './support/trading-fixture.ts';

const instruments = new InstrumentTable();
const bus = new InProcessBus();
after(() => bus.close());
const never = <T>(): Promise<T> => new Promise<T>(() => {});

function fakeBars(symbol: string, closes: number[]): BarsResult {
  return {
    symbol,
    interval: '1m',
    bars: closes.map((c, i) => ({ time: 60 * i, open: c, high: c, low: c, close: c, volume: 1, ticks: 1 })),
    source: { memory: closes.length, store: 0 },
  };
}

const quick: Partial<AgentSteps> = {
  data: async (req) => fakeBars(req.symbol, [1, 2, 3]),
  strategy: async (req) => ({
    symbol: req.symbol,
    strategy: req.strategy,
    interval: req.interval,
    signal: 'buy',
    inputs: {},
    lastBarTime: 120,
    cached: false,
  }),
  risk: async (req) =>
    ({ account: req.account, preTrade: { allowed: true, code: 'OK', message: '' } }) as RiskReport,
};

async function startApi(extra: Partial<ApiServiceOptions>, steps: Partial<AgentSteps>): Promise<ApiService> {
  return startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    systemSampleMs: 60_000,
    ...extra,
    agents: { deps: { instruments }, steps, stepTimeoutMs: 50, ...extra.agents },
  });
}

describe('workflow: step timeouts and failures', () => {
  const http = new Http();
  const apis: ApiService[] = [];
  after(async () => {
    await http.close();
    for (const a of apis) await a.close();
  });

  test('a risk step that never resolves: 504 status "timeout", execution skipped, answer arrives', async () => {
    let executed = 0;
    const api = await startApi(
      {},
      {
        ...quick,
        risk: () => never(),
        execute: async () => {
          executed++;
          return { status: 201, body: {} };
        },
      },
    );
    apis.push(api);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.equal(r.body.status, 'timeout');
    assert.deepEqual(
      r.body.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['data', 'ok'],
        ['strategy', 'ok'],
        ['risk', 'timeout'],
        ['execution', 'skipped'],
      ],
    );
    assert.equal(r.body.error.code, 'TRD_ERR_WORKFLOW_TIMEOUT');
    assert.equal(r.body.error.step, 'risk');
    assert.ok(r.body.steps[2].ms >= 49, `risk waited its timeout (${r.body.steps[2].ms} ms)`);
    assert.ok(r.body.totalMs >= r.body.steps[2].ms, 'total covers the steps');
    assert.equal(executed, 0, 'nothing executed after a timeout');
    // The step ignores its abort signal and never ends: its work still counts as in flight
    // (agent-admission.test.ts: the slot comes back when such a step settles).
    assert.equal(api.agents!.limiter.inFlight, 1, 'the still-running step keeps its slot');
  });

  test('a data step that never resolves skips every later step', async () => {
    const api = await startApi({}, { ...quick, data: () => never() });
    apis.push(api);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 504);
    assert.deepEqual(
      r.body.steps.map((s: { status: string }) => s.status),
      ['timeout', 'skipped', 'skipped', 'skipped'],
    );
  });

  test('a failing step is "error" with its coded status; an unexpected throw is a 500', async () => {
    const api = await startApi(
      {},
      {
        ...quick,
        strategy: async () => {
          throw new TradingError(TradingErrorCode.SERVICE_UNAVAILABLE, 'gone', 'market-data');
        },
      },
    );
    apis.push(api);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 503);
    assert.equal(r.body.status, 'error');
    assert.deepEqual(r.body.steps[1].error, {
      code: 'TRD_ERR_SERVICE_UNAVAILABLE',
      message: 'gone',
      field: 'market-data',
    });
    assert.deepEqual(
      r.body.steps.map((s: { status: string }) => s.status),
      ['ok', 'error', 'skipped', 'skipped'],
    );
    const api2 = await startApi(
      {},
      {
        ...quick,
        execute: async () => {
          throw new Error('boom');
        },
      },
    );
    apis.push(api2);
    const r2 = await http.post(`${api2.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r2.status, 500);
    assert.equal(r2.body.steps[3].status, 'error');
    assert.equal(r2.body.error.code, 'TRD_ERR_INTERNAL');
  });

  test('an order the engine refuses: execution "error" with the engine status and Retry-After', async () => {
    const api = await startApi(
      {},
      {
        ...quick,
        execute: async () => ({
          status: 503,
          headers: { 'retry-after': '1' },
          body: { error: { code: 'TRD_ERR_OVERLOADED', message: 'busy' } },
        }),
      },
    );
    apis.push(api);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.body.steps[3].status, 'error');
    assert.equal(r.body.error.code, 'TRD_ERR_OVERLOADED');
  });
});

describe('admission: ABC_MAX_CONCURRENT_REQUESTS on the agent endpoints', () => {
  const http = new Http();
  let api: ApiService;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let arrived!: () => void;
  const bothArrived = new Promise<void>((r) => {
    arrived = r;
  });
  let arrivals = 0;
  before(async () => {
    api = await startApi(
      { agents: { deps: { instruments }, maxConcurrentRequests: 2 } },
      {
        data: async (req) => {
          if (++arrivals === 2) arrived();
          await gate;
          return fakeBars(req.symbol, [1]);
        },
      },
    );
  });
  after(async () => {
    release();
    await http.close();
    await api.close();
  });

  test('2 in flight -> the 3rd gets 503 TRD_ERR_OVERLOADED + Retry-After; slots come back', async () => {
    const slots = trackSlots(api.agents!.limiter);
    const held = [
      http.get(`${api.url}/api/data/SYM1/bars`),
      http.post(`${api.url}/api/strategy/analyze`, { symbol: 'SYM2', strategy: 'rsi' }),
    ];
    await bothArrived;
    const third = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM3' });
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '1');
    assert.equal(codedError(third).code, 'TRD_ERR_OVERLOADED');
    const health = await http.get(`${api.url}/health`);
    assert.equal(health.status, 503, 'saturated: degraded');
    assert.equal(health.body.services.api.status, 'degraded');
    assert.deepEqual(
      [health.body.agents.inFlight, health.body.agents.max, health.body.agents.rejected],
      [2, 2, 1],
    );
    release();
    const answers = await Promise.all(held);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200],
    );
    assert.equal(answers[1].body.reason, 'insufficient_data');
    await slots.idle(); // released when each exchange is over (onResponse / 'close')
    assert.equal(api.agents!.limiter.inFlight, 0);
    assert.equal((await http.get(`${api.url}/api/data/SYM1/bars`)).status, 200);
  });
});

describe('memory guard: ABC_MEMORY_LIMIT sheds load before the limit', () => {
  const http = new Http();
  let api: ApiService;
  let rss = 500;
  before(async () => {
    api = await startApi(
      {
        ingest: recordingSink(),
        memory: { limitBytes: 1000, intervalMs: 0, readRss: () => rss },
      },
      quick,
    );
  });
  after(async () => {
    await http.close();
    await api.close();
  });

  const metricBatch = [{ name: 'm', value: 1, labels: {} }];

  test('above 90%: 503 TRD_ERR_MEMORY_PRESSURE + Retry-After; under 80% again: served', async () => {
    assert.equal((await http.get(`${api.url}/api/data/SYM1/bars`)).status, 200);
    assert.equal((await http.post(`${api.url}/api/metrics`, metricBatch)).status, 202);
    rss = 950;
    api.memory!.sample();
    for (const r of [
      await http.get(`${api.url}/api/data/SYM1/bars`),
      await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' }),
      await http.post(`${api.url}/api/metrics`, metricBatch),
    ]) {
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(codedError(r).code, 'TRD_ERR_MEMORY_PRESSURE');
    }
    assert.equal((await http.get(`${api.url}/api/metrics/system`)).status, 200, 'reads are not shed');
    const h = await http.get(`${api.url}/health`);
    assert.equal(h.status, 503);
    assert.equal(h.body.services.api.status, 'degraded');
    assert.deepEqual([h.body.memory.shedding, h.body.memory.rssBytes, h.body.memory.refused], [true, 950, 3]);
    rss = 850; // between the marks: still shedding (hysteresis)
    api.memory!.sample();
    assert.equal((await http.get(`${api.url}/api/data/SYM1/bars`)).status, 503);
    rss = 790;
    api.memory!.sample();
    assert.equal((await http.get(`${api.url}/api/data/SYM1/bars`)).status, 200);
    assert.equal((await http.post(`${api.url}/api/metrics`, metricBatch)).status, 202);
    const after = await http.get(`${api.url}/health`);
    assert.equal(after.status, 200);
    assert.deepEqual([after.body.memory.shedding, after.body.memory.sheddingEpisodes], [false, 1]);
  });
});

describe('performance mode: one analysis per bar', () => {
  const http = new Http();
  let api: ApiService;
  let bars = fakeBars(
    'SYM1',
    Array.from({ length: 30 }, (_, i) => 100 + (i % 3)),
  );
  before(async () => {
    api = await startApi({ performanceMode: true }, { data: async () => bars });
  });
  after(async () => {
    await http.close();
    await api.close();
  });

  test('the same request within the same bar is served from the cache; a new bar recomputes', async () => {
    const body = { symbol: 'SYM1', strategy: 'rsi' };
    const first = await http.post(`${api.url}/api/strategy/analyze`, body);
    const second = await http.post(`${api.url}/api/strategy/analyze`, body);
    assert.equal(first.status, 200);
    assert.deepEqual([first.body.cached, second.body.cached], [false, true]);
    assert.deepEqual(second.body.inputs, first.body.inputs);
    const other = await http.post(`${api.url}/api/strategy/analyze`, { ...body, params: { period: 5 } });
    assert.equal(other.body.cached, false, 'other parameters: another entry');
    bars = fakeBars('SYM1', [...bars.bars.map((b) => b.close), 120]);
    const next = await http.post(`${api.url}/api/strategy/analyze`, body);
    assert.equal(next.body.cached, false, 'a new bar: computed again');
    const h = await http.get(`${api.url}/health`);
    assert.equal(h.body.performanceMode, true);
    assert.deepEqual(h.body.agents.cache, { entries: 3, hits: 1, misses: 3 });
  });
});
