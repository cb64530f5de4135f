/**
 * The api's agent endpoints over real sockets on a whole TradingSystem (ports 0, DuckDB in a
 * temp dir), with bars made from real ticks sent to market data's ingest WebSocket: data
 * collection, strategy analysis (three strategies, insufficient data as a 200), risk analysis
 * with VaR, trade execution (the same answers as POST /orders), the workflow end to end, the
 * system-wide /health, and coded 400s for bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { barTicks, crossUpCloses, feedTicks, sma, T0 } from './support/agent-fixture.ts';
import { codedError, type Fixture, order, startFixture } from './support/trading-fixture.ts';

describe('agent endpoints on the api (one process, real ticks)', () => {
  let f: Fixture;
  let api: string;
  let ex: string;
  const cross = crossUpCloses();
  const rising = Array.from({ length: 40 }, (_, i) => 50 + i * 0.25);
  before(async () => {
    f = await startFixture({ selfMetricsIntervalMs: 60_000 });
    api = f.url('api');
    ex = f.url('execution-engine');
    await feedTicks(f.sys, [
      ...barTicks('SYM1', cross, 1),
      ...barTicks('SYM2', rising, 1),
      ...barTicks('SYM3', [100, 101, 102, 103], 60),
    ]);
  });
  after(() => f.close());

  test('GET /api/data/:symbol/bars answers the ring bars, oldest first, with source counts', async () => {
    const r = await f.http.get(`${api}/api/data/SYM3/bars?interval=1m&limit=10`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.symbol, 'SYM3');
    assert.equal(r.body.interval, '1m');
    assert.deepEqual(
      r.body.bars.map((b: { time: number; close: number }) => [b.time, b.close]),
      [100, 101, 102, 103].map((c, i) => [T0 + 60 * i, c]),
    );
    assert.deepEqual(r.body.source, { memory: 4, store: 0 });
    const s = await f.http.get(`${api}/api/data/SYM1/bars?interval=1s&limit=5`);
    assert.equal(s.status, 200);
    assert.deepEqual(
      s.body.bars.map((b: { close: number }) => b.close),
      cross.slice(-5),
    );
    assert.deepEqual(s.body.source, { memory: 5, store: 0 });
  });

  test('bad symbol, interval and limit are coded 400s naming the field', async () => {
    const cases: [string, string, string][] = [
      ['/api/data/NOPE/bars', 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol'],
      ['/api/data/SYM1/bars?interval=5m', 'TRD_ERR_INVALID_QUERY', 'interval'],
      ['/api/data/SYM1/bars?limit=0', 'TRD_ERR_INVALID_QUERY', 'limit'],
      ['/api/data/SYM1/bars?interval=1m&limit=1441', 'TRD_ERR_INVALID_QUERY', 'limit'],
      ['/api/data/SYM1/bars?limit=ten', 'TRD_ERR_INVALID_QUERY', 'limit'],
      // A misspelt parameter is named, not ignored for the default (as on every route).
      ['/api/data/SYM1/bars?limt=5', 'TRD_ERR_INVALID_QUERY', 'limt'],
      ['/api/data/SYM1/bars?interval=1s&intreval=1m', 'TRD_ERR_INVALID_QUERY', 'intreval'],
    ];
    for (const [path, code, field] of cases) {
      const r = await f.http.get(api + path);
      assert.equal(r.status, 400, path);
      const e = codedError(r);
      assert.deepEqual([e.code, e.field], [code, field], path);
    }
  });

  test('sma_crossover: a cross up on the newest bar is "buy", with the SMA values', async () => {
    const r = await f.http.post(`${api}/api/strategy/analyze`, {
      symbol: 'SYM1',
      strategy: 'sma_crossover',
      interval: '1s',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.signal, 'buy');
    assert.equal(r.body.cached, false, 'performance mode is off');
    const i = r.body.inputs;
    assert.deepEqual(i.params, { fast: 5, slow: 20 });
    assert.equal(i.bars.used, 21);
    assert.ok(Math.abs(i.smaFast - sma(cross, 5)) < 1e-6);
    assert.ok(Math.abs(i.smaSlow - sma(cross, 20)) < 1e-6);
    assert.ok(Math.abs(i.previousSmaFast - sma(cross.slice(0, -1), 5)) < 1e-6);
    assert.ok(i.previousSmaFast < i.previousSmaSlow && i.smaFast > i.smaSlow);
    assert.equal(r.body.lastBarTime, T0 + cross.length - 1);
  });

  test('rsi: only rising closes is overbought -> "sell"; macd values are consistent', async () => {
    const r = await f.http.post(`${api}/api/strategy/analyze`, {
      symbol: 'SYM2',
      strategy: 'rsi',
      interval: '1s',
      params: { period: 10 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.inputs.rsi, 100);
    assert.equal(r.body.inputs.zone, 'overbought');
    assert.equal(r.body.signal, 'sell');
    assert.deepEqual(r.body.inputs.params, { period: 10, overbought: 70, oversold: 30 });
    const m = await f.http.post(`${api}/api/strategy/analyze`, {
      symbol: 'SYM2',
      strategy: 'macd',
      interval: '1s',
      params: { fast: 3, slow: 6, signal: 4 },
    });
    assert.equal(m.status, 200, JSON.stringify(m.body));
    const v = m.body.inputs;
    assert.ok(v.macd > 0, 'a steady rise: fast EMA above slow EMA');
    assert.ok(Math.abs(v.histogram - (v.macd - v.signal)) < 1e-5);
    assert.ok(['buy', 'sell', 'hold'].includes(m.body.signal));
  });

  test('too few bars is a 200 "hold" with reason insufficient_data and the counts', async () => {
    const r = await f.http.post(`${api}/api/strategy/analyze`, { symbol: 'SYM3', strategy: 'macd' });
    assert.equal(r.status, 200);
    assert.equal(r.body.signal, 'hold');
    assert.equal(r.body.reason, 'insufficient_data');
    assert.deepEqual(r.body.inputs.bars, { used: 4, required: 35, memory: 4, store: 0, available: 4 });
    const none = await f.http.post(`${api}/api/strategy/analyze`, { symbol: 'SYM40', strategy: 'rsi' });
    assert.equal(none.body.reason, 'insufficient_data');
    assert.equal(none.body.lastBarTime, null);
  });

  test('bad strategy bodies are coded 400s naming the field', async () => {
    const cases: [unknown, string, string][] = [
      [{ strategy: 'rsi' }, 'PRT_ERR_MISSING_FIELD', 'symbol'],
      [{ symbol: 'SYM1' }, 'PRT_ERR_MISSING_FIELD', 'strategy'],
      [{ symbol: 'NOPE', strategy: 'rsi' }, 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol'],
      [{ symbol: 'SYM1', strategy: 'magic' }, 'PRT_ERR_INVALID_FIELD', 'strategy'],
      [{ symbol: 'SYM1', strategy: 'rsi', params: { period: 1 } }, 'PRT_ERR_INVALID_FIELD', 'params.period'],
      [{ symbol: 'SYM1', strategy: 'rsi', params: { speed: 3 } }, 'PRT_ERR_INVALID_FIELD', 'params.speed'],
      // Object.prototype names are unknown parameters too.
      [
        { symbol: 'SYM1', strategy: 'rsi', params: { toString: 3 } },
        'PRT_ERR_INVALID_FIELD',
        'params.toString',
      ],
      [
        { symbol: 'SYM1', strategy: 'macd', params: { constructor: 'x' } },
        'PRT_ERR_INVALID_FIELD',
        'params.constructor',
      ],
      [
        { symbol: 'SYM1', strategy: 'sma_crossover', params: { hasOwnProperty: 1 } },
        'PRT_ERR_INVALID_FIELD',
        'params.hasOwnProperty',
      ],
      [{ symbol: 'SYM1', strategy: 'macd', params: { fast: 30 } }, 'PRT_ERR_INVALID_FIELD', 'params.fast'],
      [{ symbol: 'SYM1', strategy: 'rsi', params: [] }, 'PRT_ERR_INVALID_FIELD', 'params'],
      [{ symbol: 'SYM1', strategy: 'rsi', interval: 'daily' }, 'PRT_ERR_INVALID_FIELD', 'interval'],
      [[1, 2], 'PRT_ERR_INVALID_FIELD', 'body'],
      // A field the analysis does not take is named, not ignored for the defaults.
      [{ symbol: 'SYM1', strategy: 'rsi', param: { period: 5 } }, 'PRT_ERR_INVALID_FIELD', 'param'],
      [{ symbol: 'SYM1', strategy: 'rsi', Interval: '1s' }, 'PRT_ERR_INVALID_FIELD', 'Interval'],
    ];
    for (const [body, code, field] of cases) {
      const r = await f.http.post(`${api}/api/strategy/analyze`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      const e = codedError(r);
      assert.deepEqual([e.code, e.field], [code, field], JSON.stringify(body));
    }
    const malformed = await f.http.post(`${api}/api/strategy/analyze`, '{"symbol":', {
      'content-type': 'application/json',
    });
    assert.equal(malformed.status, 400);
    assert.equal(codedError(malformed).code, 'PRT_ERR_MALFORMED_JSON');
  });

  test('trade/execute answers exactly what POST /orders answers (201, 400, 422)', async () => {
    const good = order('SYM5', 'sell', 'limit', 3, 100, { account: 'exec-test' });
    const viaApi = await f.http.post(`${api}/api/trade/execute`, good);
    assert.equal(viaApi.status, 201, JSON.stringify(viaApi.body));
    const direct = await f.http.post(`${ex}/orders`, { ...good, price: 100.5 });
    assert.equal(direct.status, 201);
    assert.deepEqual(Object.keys(viaApi.body).sort(), Object.keys(direct.body).sort());
    assert.equal(viaApi.body.status, 'new');
    const same = async (body: unknown) => {
      const a = await f.http.post(`${api}/api/trade/execute`, body);
      const b = await f.http.post(`${ex}/orders`, body);
      assert.equal(a.status, b.status, JSON.stringify(body));
      assert.deepEqual(a.body, b.body, JSON.stringify(body));
      return a;
    };
    const missing = await same({ symbol: 'SYM5', side: 'buy', type: 'limit', price: 100 });
    assert.equal(missing.status, 400);
    assert.equal(codedError(missing).field, 'quantity');
    const tooBig = await same(order('SYM5', 'buy', 'limit', 50_000, 100));
    assert.equal(tooBig.status, 422);
    assert.equal(codedError(tooBig).reason, 'MAX_QTY_EXCEEDED');
  });

  test('workflow: buy signal -> risk allows -> market order fills; risk then reports the position and VaR', async () => {
    const maker = await f.http.post(
      `${ex}/orders`,
      order('SYM1', 'sell', 'limit', 5, 110, { account: 'mm' }),
    );
    assert.equal(maker.status, 201);
    const r = await f.http.post(`${api}/api/workflow/run`, {
      symbol: 'SYM1',
      account: 'wf-1',
      quantity: 2,
      interval: '1s',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const w = r.body;
    assert.equal(w.status, 'ok');
    assert.equal(w.signal, 'buy');
    assert.deepEqual(
      w.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['data', 'ok'],
        ['strategy', 'ok'],
        ['risk', 'ok'],
        ['execution', 'ok'],
      ],
    );
    for (const s of w.steps) assert.ok(s.ms >= 0 && s.ms <= w.totalMs + 1e-3);
    assert.equal(w.steps[0].result.bars, 21);
    assert.equal(w.steps[2].result.preTrade.allowed, true);
    const placed = w.steps[3].result.order;
    assert.equal(w.steps[3].result.status, 201);
    assert.equal(placed.status, 'filled');
    assert.equal(placed.clientOrderId, w.workflowId);
    assert.equal(placed.avgPrice, 110);

    const risk = await f.http.post(`${api}/api/risk/analyze`, { account: 'wf-1', interval: '1s' });
    assert.equal(risk.status, 200, JSON.stringify(risk.body));
    const p = risk.body.positions;
    assert.equal(p.length, 1);
    assert.deepEqual(
      [p[0].symbol, p[0].position, p[0].lastPrice, p[0].priceSource],
      ['SYM1', 2, 110, 'market'],
    );
    assert.equal(p[0].notional, 220);
    assert.deepEqual(risk.body.exposure, { gross: 220, net: 220, long: 220, short: 0 });
    assert.equal(p[0].positionUsage, 2 / 1_000_000);
    assert.ok(risk.body.limits.grossExposureUsage > 0);
    const v = risk.body.var;
    assert.equal(v.method, 'historical_simulation');
    assert.deepEqual([v.horizon, v.horizonSeconds, v.observations], ['1s', 1, cross.length - 1]);
    // Returns of the falling series are ~ -0.1%: the 99% loss is the worst of them on 220.
    const worst = Math.max(...cross.slice(1).map((c, i) => -(c / cross[i] - 1) * 220));
    assert.ok(Math.abs(v.var99 - worst) < 1e-6, `${v.var99} vs ${worst}`);
    assert.ok(v.var95 > 0 && v.var95 <= v.var99 && v.es95 >= v.var95);
  });

  test('workflow: a hold signal skips execution with the reason', async () => {
    const r = await f.http.post(`${api}/api/workflow/run`, { symbol: 'SYM3', strategy: 'rsi' });
    assert.equal(r.status, 200);
    assert.equal(r.body.signal, 'hold');
    assert.equal(r.body.steps[3].status, 'skipped');
    assert.match(r.body.steps[3].reason, /hold \(insufficient_data\)/);
    const bad = await f.http.post(`${api}/api/workflow/run`, { symbol: 'SYM3', quantity: 0 });
    assert.equal(bad.status, 400);
    assert.equal(codedError(bad).field, 'quantity');
    // A misspelt field is refused, not ignored (the order would go to the default account).
    const typo = await f.http.post(`${api}/api/workflow/run`, { symbol: 'SYM3', Account: 'acct-1' });
    assert.equal(typo.status, 400);
    assert.deepEqual([codedError(typo).code, codedError(typo).field], ['PRT_ERR_INVALID_FIELD', 'Account']);
  });

  test('counts in JSON bodies must be numbers; only the query-string limit takes digits', async () => {
    const wf = await f.http.post(`${api}/api/workflow/run`, { symbol: 'SYM3', quantity: '5' });
    assert.equal(wf.status, 400, JSON.stringify(wf.body));
    assert.deepEqual([codedError(wf).code, codedError(wf).field], ['PRT_ERR_INVALID_FIELD', 'quantity']);
    const risk = await f.http.post(`${api}/api/risk/analyze`, { lookback: '50' });
    assert.equal(risk.status, 400, JSON.stringify(risk.body));
    assert.deepEqual([codedError(risk).code, codedError(risk).field], ['PRT_ERR_INVALID_FIELD', 'lookback']);
    // The quantity of the order a workflow may place is read as sent, or not at all (as POST
    // /orders reads one): 2.0000000000000000001 was taken as 2.
    const loose = await f.http.send(
      'POST',
      `${api}/api/workflow/run`,
      '{"symbol":"SYM3","quantity":2.0000000000000000001}',
      { 'content-type': 'application/json' },
    );
    assert.equal(loose.status, 400, JSON.stringify(loose.body));
    assert.deepEqual(
      [codedError(loose).code, codedError(loose).field],
      ['PRT_ERR_INVALID_FIELD', 'quantity'],
    );
    assert.match(codedError(loose).message, /would be read as 2/);
    const q = await f.http.get(`${api}/api/data/SYM3/bars?interval=1m&limit=2`);
    assert.equal(q.status, 200);
    assert.equal(q.body.bars.length, 2);
  });

  test('risk: unknown account is 404, unknown symbol 400; an empty account has zero VaR', async () => {
    const acct = await f.http.post(`${api}/api/risk/analyze`, { account: 'nobody' });
    assert.equal(acct.status, 404);
    assert.deepEqual([codedError(acct).code, codedError(acct).field], ['TRD_ERR_UNKNOWN_ACCOUNT', 'account']);
    const sym = await f.http.post(`${api}/api/risk/analyze`, { symbols: ['SYM1', 'NOPE'] });
    assert.equal(sym.status, 400);
    assert.deepEqual([codedError(sym).code, codedError(sym).field], ['PRT_ERR_UNKNOWN_SYMBOL', 'symbols[1]']);
    // A misspelt field is named: ignored, `acount` would report the default account and
    // `symbol` every symbol, each looking like the answer asked for.
    for (const [body, field] of [
      [{ acount: 'nobody' }, 'acount'],
      [{ symbol: 'SYM1' }, 'symbol'],
      [{ symbols: ['SYM1'], lookBack: 10 }, 'lookBack'],
    ] as const) {
      const r = await f.http.post(`${api}/api/risk/analyze`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual([codedError(r).code, codedError(r).field], ['PRT_ERR_INVALID_FIELD', field]);
    }
    const empty = await f.http.post(`${api}/api/risk/analyze`, { symbols: ['SYM2'] });
    assert.equal(empty.status, 200);
    assert.equal(empty.body.positions[0].position, 0);
    assert.equal(empty.body.var.var95, 0);
    assert.equal(empty.body.var.reason, 'no_positions');
  });

  test('/health reports every service and the store', async () => {
    const h = await f.http.get(`${api}/health`);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.status, 'ok');
    for (const s of ['market-data', 'execution-engine', 'risk-manager', 'api']) {
      assert.equal(h.body.services[s].status, 'ok', s);
    }
    assert.equal(h.body.store.status, 'ok');
    assert.equal(typeof h.body.store.latencyMs, 'number');
    assert.deepEqual(h.body.memory, { status: 'unlimited' });
    assert.equal(h.body.performanceMode, false);
    assert.equal(h.body.agents.max, 1000);
    assert.deepEqual(h.body.checks, { marketData: 'ok', orders: 'ok', database: 'ok', system: 'ok' });
  });

  test('limit usage: 0 limits are refused; a limit too tiny for a finite ratio reports null', async () => {
    const rm = f.url('risk-manager');
    for (const body of [
      { maxPosition: 0 },
      { maxGrossExposure: 0 },
      { perSymbol: { SYM1: { maxPosition: 0 } } },
    ]) {
      const r = await f.http.put(`${rm}/limits`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(codedError(r).code, 'TRD_ERR_INVALID_LIMITS');
    }
    // wf-1 holds 2 SYM1 (the workflow test): 2 / 5e-324 overflows to Infinity.
    const tiny = await f.http.put(`${rm}/limits`, { maxPosition: 5e-324, maxGrossExposure: 5e-324 });
    assert.equal(tiny.status, 200, JSON.stringify(tiny.body));
    try {
      const r = await f.http.post(`${api}/api/risk/analyze`, { account: 'wf-1', interval: '1s' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.positions[0].position, 2);
      assert.equal(r.body.positions[0].positionUsage, null);
      assert.deepEqual([r.body.limits.grossExposureUsage, r.body.limits.maxPositionUsage], [null, null]);
    } finally {
      const back = await f.http.put(`${rm}/limits`, {
        maxPosition: 1_000_000,
        maxGrossExposure: 1_000_000_000,
      });
      assert.equal(back.status, 200);
    }
    const r = await f.http.post(`${api}/api/risk/analyze`, { account: 'wf-1', interval: '1s' });
    assert.equal(r.body.positions[0].positionUsage, 2 / 1_000_000);
    assert.equal(r.body.limits.maxPositionUsage, 2 / 1_000_000);
  });
});
