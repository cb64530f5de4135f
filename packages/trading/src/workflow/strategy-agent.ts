/**
 * Strategy analysis over bar closes with trading-signals:
 *
 *   sma_crossover  buy when SMA(fast) crossed above SMA(slow) on the newest bar, sell when it
 *                  crossed below, else hold (the current trend is reported either way)
 *   rsi            RSI(period): buy below oversold, sell above overbought, else hold
 *                  (no price change over the window = RSI 50 by convention, not 100)
 *   macd           MACD(fast, slow, signal) with EMAs: buy when the histogram crossed above
 *                  zero on the newest bar, sell when it crossed below, else hold
 *
 * Too few bars is a value, not an error: signal "hold", reason "insufficient_data", with the
 * counts. Pure: no I/O, the caller supplies the bars.
 */
import { EMA, MACD, RSI, SMA } from 'trading-signals';
import type { BarsResult, Signal, StrategyRequest, StrategyResult } from './agent-types.ts';
import { requiredBars } from './strategy-params.ts';

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);

export function analyzeStrategy(req: StrategyRequest, data: BarsResult): StrategyResult {
  const closes = data.bars.map((b) => b.close);
  const required = requiredBars(req.strategy, req.params);
  const last = data.bars.length > 0 ? data.bars[data.bars.length - 1] : undefined;
  const barsInfo = { used: closes.length, required, memory: data.source.memory, store: data.source.store };
  const base = {
    symbol: req.symbol,
    strategy: req.strategy,
    interval: req.interval,
    lastBarTime: last?.time ?? null,
    cached: false,
  };
  if (closes.length < required) {
    return {
      ...base,
      signal: 'hold',
      reason: 'insufficient_data',
      inputs: { params: req.params, bars: { ...barsInfo, available: closes.length } },
    };
  }
  let signal: Signal;
  let values: Record<string, unknown>;
  switch (req.strategy) {
    case 'sma_crossover':
      ({ signal, values } = smaCrossover(closes, req.params.fast, req.params.slow));
      break;
    case 'rsi':
      ({ signal, values } = rsi(closes, req.params));
      break;
    case 'macd':
      ({ signal, values } = macd(closes, req.params));
      break;
  }
  return {
    ...base,
    signal,
    inputs: { ...values, lastClose: last!.close, params: req.params, bars: barsInfo },
  };
}

function smaCrossover(closes: number[], fast: number, slow: number) {
  const f = new SMA(fast);
  const s = new SMA(slow);
  let prevFast: number | null = null;
  let prevSlow: number | null = null;
  for (let i = 0; i < closes.length; i++) {
    if (i === closes.length - 1) {
      prevFast = f.getResult();
      prevSlow = s.getResult();
    }
    f.add(closes[i]);
    s.add(closes[i]);
  }
  const fastNow = f.getResultOrThrow();
  const slowNow = s.getResultOrThrow();
  let signal: Signal = 'hold';
  if (prevFast !== null && prevSlow !== null) {
    if (prevFast <= prevSlow && fastNow > slowNow) signal = 'buy';
    else if (prevFast >= prevSlow && fastNow < slowNow) signal = 'sell';
  }
  const trend = fastNow > slowNow ? 'bullish' : fastNow < slowNow ? 'bearish' : 'flat';
  return {
    signal,
    values: {
      smaFast: round(fastNow),
      smaSlow: round(slowNow),
      previousSmaFast: round(prevFast),
      previousSmaSlow: round(prevSlow),
      trend,
      crossed: signal !== 'hold',
    },
  };
}

function rsi(closes: number[], p: Readonly<Record<string, number>>) {
  const r = new RSI(p.period);
  for (const c of closes) r.add(c);
  const window = closes.slice(-(p.period + 1));
  const flat = window.every((c) => c === window[0]);
  const value = flat ? 50 : r.getResultOrThrow();
  const signal: Signal = value < p.oversold ? 'buy' : value > p.overbought ? 'sell' : 'hold';
  const zone = value < p.oversold ? 'oversold' : value > p.overbought ? 'overbought' : 'neutral';
  return { signal, values: { rsi: round(value), zone } };
}

function macd(closes: number[], p: Readonly<Record<string, number>>) {
  const m = new MACD(new EMA(p.fast), new EMA(p.slow), new EMA(p.signal));
  let prev: number | null = null;
  for (let i = 0; i < closes.length; i++) {
    if (i === closes.length - 1) prev = m.getResult()?.histogram ?? null;
    m.add(closes[i]);
  }
  const now = m.getResultOrThrow();
  let signal: Signal = 'hold';
  if (prev !== null) {
    if (prev <= 0 && now.histogram > 0) signal = 'buy';
    else if (prev >= 0 && now.histogram < 0) signal = 'sell';
  }
  return {
    signal,
    values: {
      macd: round(now.macd),
      signal: round(now.signal),
      histogram: round(now.histogram),
      previousHistogram: round(prev),
    },
  };
}
