/**
 * Risk limits in human units (quantities and prices as decimals, money in the quote
 * currency), as `GET /limits` shows them and `PUT /limits` takes them. RiskEngine
 * compiles them into per-instrument ticks/lots arrays (compiled-limits.ts).
 *
 * Defaults are production-ish but loose enough for the order-stress scenario
 * (quantities 1..100, prices 90..110 on five symbols, 1,000 orders/s, all on the
 * 'default' account when no account is given): a 10,000-lot order, 1,000,000 of
 * notional, a +-25% band (trades at 90 and orders at 110 are 22% apart), 1,000,000
 * lots per symbol, 1e9 gross, 10,000 orders/s per account (a burst of 1,000 at once fits).
 */
import { cutText, type InstrumentTable } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';

/** The limits that may be overridden per symbol. */
export interface SymbolRiskLimits {
  /** Largest order quantity (decimal, instrument quantity units). */
  maxOrderQty: number;
  /** Largest price x quantity of one order, in the quote currency. */
  maxNotional: number;
  /** A limit price / stop trigger must be within +-priceBandPct % of the reference price. */
  priceBandPct: number;
  /** Largest |position + open same-side quantity| per account, decimal quantity. */
  maxPosition: number;
}

export interface RiskLimits extends SymbolRiskLimits {
  /** Largest sum over symbols of (|position| + open quantity) x reference price, per account. */
  maxGrossExposure: number;
  /** Token bucket per account: refill rate per second, burst the same. */
  maxOrdersPerSecond: number;
  /** Overrides per symbol (missing fields fall back to the top level). */
  perSymbol?: { [symbol: string]: Partial<SymbolRiskLimits> };
}

/** A PUT /limits body: every field optional; in perSymbol, null removes an override. */
export interface RiskLimitsPatch extends Partial<Omit<RiskLimits, 'perSymbol'>> {
  perSymbol?: { [symbol: string]: { [K in keyof SymbolRiskLimits]?: number | null } | null };
}

export const DEFAULT_RISK_LIMITS: Readonly<RiskLimits> = Object.freeze({
  maxOrderQty: 10_000,
  maxNotional: 1_000_000,
  priceBandPct: 25,
  maxPosition: 1_000_000,
  maxGrossExposure: 1_000_000_000,
  maxOrdersPerSecond: 10_000,
});

interface FieldRule {
  /** Exclusive lower bound, or inclusive when `minInclusive`. */
  min: number;
  minInclusive?: boolean;
  max: number;
  what: string;
}

const SYMBOL_FIELDS: Readonly<Record<keyof SymbolRiskLimits, FieldRule>> = {
  maxOrderQty: { min: 0, max: Number.MAX_SAFE_INTEGER, what: 'a quantity > 0' },
  maxNotional: { min: 0, max: Number.MAX_SAFE_INTEGER, what: 'an amount > 0' },
  priceBandPct: { min: 0, max: 1000, what: 'a percentage > 0 and <= 1000' },
  maxPosition: { min: 0, max: Number.MAX_SAFE_INTEGER, what: 'a quantity > 0' },
};

const ACCOUNT_FIELDS: Readonly<Record<'maxGrossExposure' | 'maxOrdersPerSecond', FieldRule>> = {
  maxGrossExposure: { min: 0, max: Number.MAX_SAFE_INTEGER, what: 'an amount > 0' },
  maxOrdersPerSecond: { min: 1, minInclusive: true, max: 1e9, what: 'a rate >= 1 and <= 1e9' },
};

const TOP_FIELDS: Readonly<Record<string, FieldRule>> = { ...SYMBOL_FIELDS, ...ACCOUNT_FIELDS };

/**
 * The error `PUT /limits` answers with: every problem in the message, and as a list; `field`
 * (the limit's path, `perSymbol.AAPL.maxOrderQty`) when one field is at fault.
 */
export class RiskLimitsError extends TradingError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], field?: string) {
    super(TradingErrorCode.INVALID_LIMITS, `invalid risk limits: ${problems.join('; ')}`, field);
    this.problems = problems;
  }
}

/** One problem of a limits object, with the path of the field at fault when there is one. */
interface LimitProblem {
  message: string;
  field?: string;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkNumber(value: unknown, rule: FieldRule, where: string, problems: LimitProblem[]): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.minInclusive ? value >= rule.min : value > rule.min) &&
    value <= rule.max;
  if (!ok)
    problems.push({
      message: `${where} must be ${rule.what}, got ${typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value))}`,
      field: where,
    });
}

/**
 * Every problem in a limits patch (or a full limits object), none thrown. Symbols are
 * checked against `instruments` when given. An empty list means valid.
 */
export function riskLimitProblems(input: unknown, instruments?: InstrumentTable): string[] {
  return limitProblems(input, instruments).map((p) => p.message);
}

function limitProblems(input: unknown, instruments?: InstrumentTable): LimitProblem[] {
  const problems: LimitProblem[] = [];
  if (!isPlainObject(input)) return [{ message: 'limits must be a JSON object' }];
  for (const [key, value] of Object.entries(input)) {
    if (key === 'perSymbol') continue;
    const rule = Object.hasOwn(TOP_FIELDS, key) ? TOP_FIELDS[key] : undefined;
    // names are cut: a 100,000-character one was echoed whole in the 400
    if (rule === undefined)
      problems.push({ message: `${cutText(key)} is not a risk limit`, field: cutText(key) });
    else checkNumber(value, rule, key, problems);
  }
  const per = input.perSymbol;
  if (per === undefined) return problems;
  if (!isPlainObject(per)) {
    problems.push({ message: 'perSymbol must be an object of symbol -> limits', field: 'perSymbol' });
    return problems;
  }
  for (const [symbol, overrides] of Object.entries(per)) {
    const where = `perSymbol.${cutText(symbol)}`;
    if (symbol === '__proto__' || (instruments !== undefined && instruments.find(symbol) === undefined)) {
      problems.push({ message: `${where}: unknown symbol`, field: where });
    }
    if (overrides === null) continue;
    if (!isPlainObject(overrides)) {
      problems.push({ message: `${where} must be an object of limits or null`, field: where });
      continue;
    }
    for (const [key, value] of Object.entries(overrides)) {
      const rule = Object.hasOwn(SYMBOL_FIELDS, key)
        ? SYMBOL_FIELDS[key as keyof SymbolRiskLimits]
        : undefined;
      if (rule === undefined)
        problems.push({
          message: `${where}.${cutText(key)} is not a per-symbol risk limit`,
          field: `${where}.${cutText(key)}`,
        });
      else if (value !== null) checkNumber(value, rule, `${where}.${key}`, problems);
    }
  }
  return problems;
}

/** A deep copy of `limits` (no shared perSymbol objects). */
export function cloneRiskLimits(limits: Readonly<RiskLimits>): RiskLimits {
  const out: RiskLimits = {
    maxOrderQty: limits.maxOrderQty,
    maxNotional: limits.maxNotional,
    priceBandPct: limits.priceBandPct,
    maxPosition: limits.maxPosition,
    maxGrossExposure: limits.maxGrossExposure,
    maxOrdersPerSecond: limits.maxOrdersPerSecond,
  };
  if (limits.perSymbol !== undefined) {
    const per: { [symbol: string]: Partial<SymbolRiskLimits> } = {};
    for (const [symbol, o] of Object.entries(limits.perSymbol)) per[symbol] = { ...o };
    out.perSymbol = per;
  }
  return out;
}

/**
 * `patch` laid over `base` (assumed valid): top-level fields replace; perSymbol merges
 * per symbol and per field, `null` removing a symbol's overrides or one field of them.
 */
export function mergeRiskLimits(base: Readonly<RiskLimits>, patch: RiskLimitsPatch): RiskLimits {
  const out = cloneRiskLimits(base);
  for (const key of Object.keys(TOP_FIELDS) as (keyof Omit<RiskLimits, 'perSymbol'>)[]) {
    const v = patch[key];
    if (typeof v === 'number') out[key] = v;
  }
  if (patch.perSymbol !== undefined) {
    const per = out.perSymbol ?? {};
    for (const [symbol, o] of Object.entries(patch.perSymbol)) {
      if (o === null) {
        delete per[symbol];
        continue;
      }
      const merged: Partial<SymbolRiskLimits> = { ...per[symbol] };
      for (const [key, v] of Object.entries(o) as [keyof SymbolRiskLimits, number | null | undefined][]) {
        if (v === null) delete merged[key];
        else if (typeof v === 'number') merged[key] = v;
      }
      if (Object.keys(merged).length === 0) delete per[symbol];
      else per[symbol] = merged;
    }
    if (Object.keys(per).length === 0) delete out.perSymbol;
    else out.perSymbol = per;
  }
  return out;
}

export interface ValidateRiskLimitsOptions {
  /** What the input is laid over (current limits for PUT /limits). Default DEFAULT_RISK_LIMITS. */
  base?: Readonly<RiskLimits>;
  /** When given, perSymbol keys must be known symbols. */
  instruments?: InstrumentTable;
}

/**
 * Validates `input` (a full limits object or a partial update) and returns it merged over
 * `opts.base`. Throws RiskLimitsError (TRD_ERR_INVALID_LIMITS) naming EVERY problem.
 */
export function validateRiskLimits(input: unknown, opts: ValidateRiskLimitsOptions = {}): RiskLimits {
  const problems = limitProblems(input, opts.instruments);
  if (problems.length > 0) {
    const field = problems.length === 1 ? problems[0].field : undefined;
    throw new RiskLimitsError(
      problems.map((p) => p.message),
      field,
    );
  }
  return mergeRiskLimits(opts.base ?? DEFAULT_RISK_LIMITS, input as RiskLimitsPatch);
}

/** The effective limits of one symbol (overrides over the top level). */
export function symbolLimits(limits: Readonly<RiskLimits>, symbol: string): SymbolRiskLimits {
  const o = limits.perSymbol?.[symbol];
  return {
    maxOrderQty: o?.maxOrderQty ?? limits.maxOrderQty,
    maxNotional: o?.maxNotional ?? limits.maxNotional,
    priceBandPct: o?.priceBandPct ?? limits.priceBandPct,
    maxPosition: o?.maxPosition ?? limits.maxPosition,
  };
}
