/**
 * Admission of agent requests before their body is read (onRequest), over real sockets on an
 * api with injected agents (port 0):
 * - while the memory guard sheds, malformed JSON is a 503 TRD_ERR_MEMORY_PRESSURE, not a 400;
 * - over ABC_MAX_CONCURRENT_REQUESTS a request whose body has not even arrived gets its 503;
 * - bodies beyond the agent routes' 64 KB limit are 413;
 * - the slot comes back exactly once after 400s, 413s, 500s and dropped connections;
 * - a workflow step that timed out keeps its request's slot until it really settles (the 504
 *   still goes out at the deadline).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { type ApiService, type ApiServiceOptions, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { AGENT_BODY_LIMIT } from '../src/workflow/agent-routes.ts';
import type { AgentSteps, BarsResult, RiskReport } from '../src/workflow/agent-types.ts';
import { deferred, rawHttp, trackSlots } from './support/agent-fixture.ts';
import { isKnownSymbol } from './support/api-fixtures.ts';
import { codedError, Http } from './support/trading-fixture.ts';

const instruments = new InstrumentTable();
/** A request the server never answers fails the test instead of hanging it. */
const T = { timeout: 20_000 };
const bus = new InProcessBus();
const http = new Http();
const apis: ApiService[] = [];
after(async () => {
  await http.close();
  for (const a of apis) await a.close();
  bus.close();
});

function fakeBars(symbol: string): BarsResult {
  return {
    symbol,
    interval: '1m',
    bars: [{ time: 0, open: 1, high: 1, low: 1, close: 1, volume: 1, ticks: 1 }],
    source: { memory: 1, store: 0 },
  };
}

const quick: AgentSteps = {
  data: async (req) => fakeBars(req.symbol),
  strategy: async (req) => ({
    symbol: req.symbol,
    strategy: req.strategy,
    interval: req.interval,
    signal: 'buy',
    inputs: {},
    lastBarTime: 0,
    cached: false,
  }),
  risk: async (req) =>
    ({ account: req.account, preTrade: { allowed: true, code: 'OK', message: '' } }) as RiskReport,
  execute: async () => ({ status: 201, body: {} }),
};

async function startApi(
  extra: Partial<ApiServiceOptions>,
  steps: Partial<AgentSteps>,
  maxConcurrentRequests = 1,
): Promise<ApiService> {
  const api = await startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    systemSampleMs: 60_000,
    ...extra,
    agents: {
      deps: { instruments },
      steps: { ...quick, ...steps },
      stepTimeoutMs: 50,
      maxConcurrentRequests,
    },
  });
  apis.push(api);
  return api;
}

/** A POST whose Content-Length promises `length` bytes of which only `sent` go out. */
function partialPost(path: string, sent: string, length: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${length}\r\n\r\n${sent}`
  );
}

describe('agent admission happens before the body is parsed', () => {
  test('shedding: malformed JSON and an unfinished body get 503 TRD_ERR_MEMORY_PRESSURE', T, async () => {
    let rss = 950;
    const api = await startApi({ memory: { limitBytes: 1000, intervalMs: 0, readRss: () => rss } }, {});
    assert.equal(api.memory!.shedding, true);
    const malformed = await http.post(`${api.url}/api/strategy/analyze`, '{"symbol":', {
      'content-type': 'application/json',
    });
    assert.equal(malformed.status, 503, JSON.stringify(malformed.body));
    assert.equal(malformed.headers.get('retry-after'), '1');
    assert.equal(codedError(malformed).code, 'TRD_ERR_MEMORY_PRESSURE');
    const raw = await rawHttp(api.port, partialPost('/api/workflow/run', '{"sym', 1000));
    const r = await raw.response;
    raw.socket.destroy();
    assert.equal(r.status, 503);
    assert.equal(JSON.parse(r.body).error.code, 'TRD_ERR_MEMORY_PRESSURE');
    assert.equal(api.memory!.state().refused, 2);
    rss = 500;
    api.memory!.sample();
    const served = await http.post(`${api.url}/api/strategy/analyze`, '{"symbol":', {
      'content-type': 'application/json',
    });
    assert.equal(served.status, 400, 'not shedding: parsed, and malformed');
    assert.equal(api.agents!.limiter.stats().rejected, 0, 'shed requests never took a slot');
  });

  test('over the in-flight limit: refused before its body arrives, malformed JSON too', T, async (t) => {
    const gate = deferred();
    const entered = deferred();
    const api = await startApi(
      {},
      {
        data: async (req) => {
          entered.resolve();
          await gate.promise;
          return fakeBars(req.symbol);
        },
      },
    );
    const slots = trackSlots(api.agents!.limiter);
    const held = http.get(`${api.url}/api/data/SYM1/bars`);
    t.after(() => gate.resolve()); // a failure below must not leave the api unable to close
    await entered.promise;
    const raw = await rawHttp(api.port, partialPost('/api/workflow/run', '{"symbol":"SY', 5000));
    t.after(() => raw.socket.destroy());
    const r = await raw.response; // the other 4,990 bytes were never sent
    raw.socket.destroy();
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(JSON.parse(r.body).error.code, 'TRD_ERR_OVERLOADED');
    const malformed = await http.post(`${api.url}/api/strategy/analyze`, '{"symbol":', {
      'content-type': 'application/json',
    });
    assert.equal(malformed.status, 503, JSON.stringify(malformed.body));
    assert.equal(codedError(malformed).code, 'TRD_ERR_OVERLOADED');
    assert.equal(api.agents!.limiter.stats().rejected, 2);
    gate.resolve();
    assert.equal((await held).status, 200);
    await slots.idle();
    assert.deepEqual([api.agents!.limiter.inFlight, slots.counts.acquired, slots.counts.released], [0, 1, 1]);
  });

  test('the slot comes back exactly once after 400, 413, 500 and a dropped connection', T, async () => {
    const api = await startApi(
      {},
      {
        strategy: async () => {
          throw new Error('boom');
        },
      },
    );
    const slots = trackSlots(api.agents!.limiter);
    const malformed = await http.post(`${api.url}/api/workflow/run`, '{"symbol":', {
      'content-type': 'application/json',
    });
    assert.equal(malformed.status, 400);
    assert.equal(codedError(malformed).code, 'PRT_ERR_MALFORMED_JSON');
    await slots.releases(1);

    const big = await http.post(`${api.url}/api/strategy/analyze`, {
      symbol: 'SYM1',
      strategy: 'rsi',
      pad: 'x'.repeat(AGENT_BODY_LIMIT),
    });
    assert.equal(big.status, 413, JSON.stringify(big.body).slice(0, 200));
    assert.equal(codedError(big).code, 'TRD_ERR_PAYLOAD_TOO_LARGE');
    await slots.releases(2);

    const failed = await http.post(`${api.url}/api/strategy/analyze`, { symbol: 'SYM1', strategy: 'rsi' });
    assert.equal(failed.status, 500);
    await slots.releases(3);

    // A client that goes away in the middle of its body: no response, the slot still comes back.
    const raw = await rawHttp(api.port, partialPost('/api/strategy/analyze', '{"symbol":"SY', 500));
    await slots.acquisitions(4);
    raw.socket.destroy();
    await slots.releases(4);

    assert.deepEqual([slots.counts.acquired, slots.counts.released, api.agents!.limiter.inFlight], [4, 4, 0]);
    const ok = await http.get(`${api.url}/api/data/SYM1/bars`);
    assert.equal(ok.status, 200, 'the single slot is free again');
    await slots.releases(5);
    assert.deepEqual([slots.counts.acquired, slots.counts.released], [5, 5]);
  });
});

describe('a timed-out workflow step keeps its slot until it settles', () => {
  test('504 at the deadline; the slot stays taken (503 for others) until the step ends', T, async () => {
    const hung = deferred<RiskReport>();
    let risk: AgentSteps['risk'] = () => hung.promise; // ignores its abort signal
    let aborted = false;
    const api = await startApi(
      {},
      {
        risk: (req, signal) => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          return risk(req, signal);
        },
      },
    );
    const slots = trackSlots(api.agents!.limiter);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.equal(r.body.steps[2].status, 'timeout');
    assert.equal(aborted, true, 'the step was asked to stop');
    assert.equal(api.agents!.limiter.inFlight, 1, 'the step still runs: its slot is still taken');
    const other = await http.get(`${api.url}/api/data/SYM1/bars`);
    assert.equal(other.status, 503);
    assert.equal(codedError(other).code, 'TRD_ERR_OVERLOADED');
    assert.equal(slots.counts.released, 0);

    hung.resolve({ account: 'default' } as RiskReport); // the late result is ignored
    await slots.releases(1);
    assert.equal(api.agents!.limiter.inFlight, 0);
    risk = quick.risk;
    const again = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    await slots.releases(2);
    assert.deepEqual([slots.counts.acquired, slots.counts.released], [2, 2]);
  });

  test('a timed-out step that rejects later also gives the slot back', T, async () => {
    const hung = deferred<void>();
    const api = await startApi(
      {},
      {
        data: async () => {
          await hung.promise;
          throw new Error('late failure');
        },
      },
    );
    const slots = trackSlots(api.agents!.limiter);
    const r = await http.post(`${api.url}/api/workflow/run`, { symbol: 'SYM1' });
    assert.equal(r.status, 504);
    assert.equal(api.agents!.limiter.inFlight, 1);
    hung.resolve();
    await slots.releases(1);
    assert.equal(api.agents!.limiter.inFlight, 0);
  });
});
