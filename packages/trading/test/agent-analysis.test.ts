/**
 * The agents' pure parts: historical VaR on a hand-checked example, strategy parameter
 * validation and bar counts, the three strategies on known series (signals and values checked
 * against the test's own arithmetic), limit usage ratios, and the bar persister (closed bars
 * once each; bars in progress only at shutdown; a bar the writer refused is retried).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InstrumentTable, ValidTick, validateTickFields } from '@tickstorm/protocol';
import { BAR_METRIC_1M, BarPersister } from '../src/market-data/bar-persister.ts';
import { MarketState } from '../src/market-data/market-state.ts';
import type { BarsResult, StrategyName } from '../src/workflow/agent-types.ts';
import { usageOf } from '../src/workflow/risk-agent.ts';
import { analyzeStrategy } from '../src/workflow/strategy-agent.ts';
import { requiredBars, resolveStrategyParams } from '../src/workflow/strategy-params.ts';
import { historicalVar } from '../src/workflow/value-at-risk.ts';
import { crossUpCloses, sma } from './support/agent-fixture.ts';

const bars = (closes: number[]) => closes.map((close, i) => ({ time: 60 * i, close }));

function data(closes: number[]): BarsResult {
  return {
    symbol: 'SYM0',
    interval: '1m',
    bars: closes.map((c, i) => ({ time: 60 * i, open: c, high: c, low: c, close: c, volume: 1, ticks: 1 })),
    source: { memory: closes.length, store: 0 },
  };
}

function analyze(strategy: StrategyName, closes: number[], params?: unknown) {
  return analyzeStrategy(
    { symbol: 'SYM0', strategy, params: resolveStrategyParams(strategy, params), interval: '1m' },
    data(closes),
  );
}

describe('historical VaR', () => {
  test('20 returns: VaR95 is the 1st worst P&L, VaR99 too; ES95 their mean', () => {
    // Closes 100 -> returns of -5%, +1%, ... on a long position of 1,000.
    const rets = [-0.05, 0.01, -0.02, 0.03, 0.0, -0.01, 0.02, -0.03, 0.01, 0.01];
    const doubled = [...rets, ...rets.map((r) => r / 2)];
    const closes = [100];
    for (const r of doubled) closes.push(closes[closes.length - 1] * (1 + r));
    const v = historicalVar([{ notional: 1000, bars: bars(closes) }], '1m');
    assert.equal(v.observations, 20);
    assert.deepEqual([v.horizon, v.horizonSeconds], ['1m', 60]);
    // ceil(20 x 0.05) = 1st worst = -5% x 1000; ceil(20 x 0.01) = 1st worst as well.
    assert.ok(Math.abs(v.var95! - 50) < 1e-6, `${v.var95}`);
    assert.ok(Math.abs(v.var99! - 50) < 1e-6, `${v.var99}`);
    assert.ok(Math.abs(v.es95! - 50) < 1e-6, `${v.es95}`);
    const short = historicalVar([{ notional: -1000, bars: bars(closes) }], '1m');
    assert.ok(Math.abs(short.var95! - 30) < 1e-6, `a short loses on the +3% bar: ${short.var95}`);
  });

  test('P&L of two symbols adds up per bar time; too few observations is a null with the reason', () => {
    const a = historicalVar(
      [
        { notional: 100, bars: bars([10, 11]) },
        { notional: 100, bars: bars([10, 9]) },
      ],
      '1s',
      1,
    );
    assert.equal(a.observations, 1);
    assert.ok(Math.abs(a.var95!) < 1e-9, 'a hedge: +10 and -10 cancel');
    const few = historicalVar([{ notional: 1, bars: bars([1, 2, 3]) }], '1m');
    assert.deepEqual([few.var95, few.reason, few.observations], [null, 'insufficient_data', 2]);
  });
});

describe('strategies', () => {
  test('parameters: defaults, bounds, unknown keys, and the bars each strategy needs', () => {
    assert.deepEqual(resolveStrategyParams('macd', undefined), { fast: 12, slow: 26, signal: 9 });
    assert.equal(requiredBars('macd', resolveStrategyParams('macd', {})), 35);
    assert.equal(requiredBars('rsi', resolveStrategyParams('rsi', { period: 7 })), 8);
    assert.equal(requiredBars('sma_crossover', resolveStrategyParams('sma_crossover', {})), 21);
    assert.throws(() => resolveStrategyParams('sma_crossover', { fast: 20, slow: 10 }), {
      field: 'params.fast',
    });
    assert.throws(() => resolveStrategyParams('rsi', { oversold: 80 }), { field: 'params.oversold' });
    assert.throws(() => resolveStrategyParams('rsi', { period: 2.5 }), { field: 'params.period' });
    assert.throws(() => resolveStrategyParams('rsi', 'x'), { field: 'params' });
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const raw = JSON.parse(`{"${key}": 3}`);
      assert.throws(() => resolveStrategyParams('rsi', raw), { field: `params.${key}` }, key);
    }
  });

  test('sma_crossover: cross up = buy, cross down = sell, no cross = hold with the trend', () => {
    const up = crossUpCloses();
    const r = analyze('sma_crossover', up);
    assert.equal(r.signal, 'buy');
    assert.ok(Math.abs((r.inputs.smaFast as number) - sma(up, 5)) < 1e-6);
    const down = up.map((c) => 200 - c);
    assert.equal(analyze('sma_crossover', down).signal, 'sell');
    const flatTrend = analyze('sma_crossover', up.slice(0, -1));
    assert.deepEqual([flatTrend.signal, flatTrend.inputs.trend], ['hold', 'bearish']);
  });

  test('rsi: falling = oversold = buy; an unchanged price is 50 (hold), not 100', () => {
    const falling = Array.from({ length: 20 }, (_, i) => 100 - i);
    const r = analyze('rsi', falling);
    assert.deepEqual([r.signal, r.inputs.rsi, r.inputs.zone], ['buy', 0, 'oversold']);
    const flat = analyze('rsi', Array(20).fill(100));
    assert.deepEqual([flat.signal, flat.inputs.rsi], ['hold', 50]);
  });

  test('macd: the histogram turning positive on the newest bar = buy', () => {
    const closes = Array.from({ length: 40 }, (_, i) => 100 - i * 0.5);
    closes.push(130);
    const r = analyze('macd', closes, { fast: 3, slow: 6, signal: 3 });
    assert.equal(r.signal, 'buy');
    assert.ok((r.inputs.previousHistogram as number) <= 0 && (r.inputs.histogram as number) > 0, 'crossed');
    assert.equal(analyze('macd', closes.slice(0, 10)).reason, 'insufficient_data');
  });
});

describe('limit usage', () => {
  test('a fraction when finite; null for a 0 limit or a ratio that overflows', () => {
    assert.equal(usageOf(1, 4), 0.25);
    assert.equal(usageOf(0, 5e-324), 0);
    assert.equal(usageOf(2, 5e-324), null, '2 / 5e-324 is Infinity');
    assert.equal(usageOf(1, 0), null);
    assert.equal(usageOf(0, 0), null, 'not NaN');
  });
});

describe('bar persister', () => {
  const instruments = new InstrumentTable();
  const scratch = new ValidTick();
  const state = new MarketState(instruments);
  const apply = (symbol: string, price: number, ts: number) => {
    Object.assign(scratch, { price, volume: 2, timestamp: ts, bid: Number.NaN, ask: Number.NaN });
    const p = validateTickFields(instruments.get(symbol), scratch);
    if (p !== null) throw new Error(p.message);
    state.apply(scratch);
  };
  const written: { time: number; name: string; value: number; labels?: Readonly<Record<string, string>> }[] =
    [];
  const persister = new BarPersister(
    state,
    { recordAt: (time, name, value, labels) => written.push({ time, name, value, labels }) > 0 },
    0,
  );

  test('closed bars once each; the bar in progress only with includeOpen (shutdown)', () => {
    for (let i = 0; i < 5; i++) apply('SYM3', 10 + i, 600 + 60 * i + 1);
    apply('SYM4', 7, 600.5);
    assert.equal(persister.flush(false), 4, 'SYM3: 4 closed bars; SYM4: only a bar in progress');
    assert.deepEqual(
      written.map((w) => [w.time, w.value, w.labels?.symbol]),
      [0, 1, 2, 3].map((i) => [(600 + 60 * i) * 1000, 10 + i, 'SYM3']),
    );
    assert.equal(written[0].name, BAR_METRIC_1M);
    assert.deepEqual(written[0].labels, {
      symbol: 'SYM3',
      open: '10',
      high: '10',
      low: '10',
      volume: '2',
      ticks: '1',
    });
    assert.equal(persister.flush(false), 0, 'nothing new');
    apply('SYM3', 20, 600 + 60 * 5 + 1);
    assert.equal(persister.flush(false), 1, 'the bar that just closed');
    persister.stop();
    assert.equal(persister.persisted, 7, 'stop() wrote both bars in progress');
    assert.deepEqual(
      written.slice(-2).map((w) => [w.labels?.symbol, w.value]),
      [
        ['SYM3', 20],
        ['SYM4', 7],
      ],
    );
  });
});

describe('bar persister: a bar the writer refuses is not lost', () => {
  const instruments = new InstrumentTable();
  const scratch = new ValidTick();
  const state = new MarketState(instruments);
  const apply = (symbol: string, price: number, ts: number) => {
    Object.assign(scratch, { price, volume: 1, timestamp: ts, bid: Number.NaN, ask: Number.NaN });
    const p = validateTickFields(instruments.get(symbol), scratch);
    if (p !== null) throw new Error(p.message);
    state.apply(scratch);
  };

  test('recordAt false (ring full): retried on the next flush, in order, once', () => {
    let room = 1;
    const written: number[] = [];
    const persister = new BarPersister(
      state,
      {
        recordAt: (time) => {
          if (room === 0) return false;
          room--;
          written.push(time / 1000);
          return true;
        },
      },
      0,
    );
    for (let i = 0; i < 4; i++) apply('SYM5', 10 + i, 1200 + 60 * i + 1);
    assert.equal(persister.flush(false), 1, 'room for one of the 3 closed bars');
    assert.deepEqual([persister.persisted, persister.refused], [1, 1]);
    room = 10;
    assert.equal(persister.flush(false), 2, 'the refused bar and the one after it');
    assert.deepEqual(written, [1200, 1260, 1320]);
    assert.equal(persister.flush(false), 0, 'nothing written twice');
    persister.stop();
    assert.deepEqual(written, [1200, 1260, 1320, 1380]);
  });
});
