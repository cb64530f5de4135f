/**
 * Strategy parameters: defaults, validation (a coded 400 naming `params.<key>`), and the
 * number of bars each strategy needs for one signal.
 *
 *   sma_crossover  fast 5, slow 20                 (integers, 1 <= fast < slow <= 1000)
 *   rsi            period 14, overbought 70, oversold 30  (period 2..1000; 0 < oversold < overbought < 100)
 *   macd           fast 12, slow 26, signal 9      (integers, 1 <= fast < slow <= 1000, signal 1..1000)
 */
import { ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import type { StrategyName, StrategyParams } from './agent-types.ts';

interface Rule {
  def: number;
  min: number;
  max: number;
  integer: boolean;
}

const int = (def: number, min: number, max: number): Rule => ({ def, min, max, integer: true });
const num = (def: number, min: number, max: number): Rule => ({ def, min, max, integer: false });

const RULES: Readonly<Record<StrategyName, Readonly<Record<string, Rule>>>> = {
  sma_crossover: { fast: int(5, 1, 999), slow: int(20, 2, 1000) },
  rsi: { period: int(14, 2, 1000), overbought: num(70, 0.01, 99.99), oversold: num(30, 0.01, 99.99) },
  macd: { fast: int(12, 1, 999), slow: int(26, 2, 1000), signal: int(9, 1, 1000) },
};

function invalid(field: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.INVALID_FIELD, message, field);
}

/** The parameters with defaults filled in; throws a coded error naming the first bad field. */
export function resolveStrategyParams(strategy: StrategyName, raw: unknown): StrategyParams {
  const rules = RULES[strategy];
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw invalid('params', 'params must be an object');
  }
  const given = (raw ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    // Own keys only: `in` would also accept Object.prototype names (toString, constructor, ...).
    if (!Object.hasOwn(rules, key)) {
      throw invalid(
        `params.${key}`,
        `unknown parameter ${JSON.stringify(key)} for ${strategy}; expected ${Object.keys(rules).join(', ')}`,
      );
    }
  }
  const out: Record<string, number> = {};
  for (const [key, r] of Object.entries(rules)) {
    const v = given[key] ?? r.def;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (r.integer && !Number.isInteger(v)) ||
      v < r.min ||
      v > r.max
    ) {
      throw invalid(
        `params.${key}`,
        `params.${key} must be ${r.integer ? 'an integer' : 'a number'} ${r.min}..${r.max}`,
      );
    }
    out[key] = v;
  }
  if ((strategy === 'sma_crossover' || strategy === 'macd') && !(out.fast < out.slow)) {
    throw invalid('params.fast', 'params.fast must be smaller than params.slow');
  }
  if (strategy === 'rsi' && !(out.oversold < out.overbought)) {
    throw invalid('params.oversold', 'params.oversold must be smaller than params.overbought');
  }
  return Object.freeze(out);
}

/** Bars needed for one signal (the crossover strategies compare the last two bars). */
export function requiredBars(strategy: StrategyName, p: StrategyParams): number {
  switch (strategy) {
    case 'sma_crossover':
      return p.slow + 1;
    case 'rsi':
      return p.period + 1;
    case 'macd':
      return p.slow + p.signal;
  }
}

/** Bars fetched for an analysis: the minimum plus a warm-up for the smoothed indicators, capped. */
export function barsToFetch(strategy: StrategyName, p: StrategyParams, capacity: number): number {
  const need = requiredBars(strategy, p);
  const want = strategy === 'sma_crossover' ? need : need * 3;
  return Math.max(1, Math.min(capacity, want));
}

/** A stable cache key of resolved parameters. */
export function paramsKey(p: StrategyParams): string {
  return Object.keys(p)
    .sort()
    .map((k) => `${k}=${p[k]}`)
    .join(',');
}
