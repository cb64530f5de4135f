/**
 * Validation of the agent endpoints' inputs. Every problem is a coded 400 naming the field
 * (PRT_ERR_MISSING_FIELD, PRT_ERR_INVALID_FIELD, PRT_ERR_UNKNOWN_SYMBOL), thrown before any
 * agent runs. Bar limits are bounded by market data's ring capacity (`capacity`).
 */
import { type InstrumentTable, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import { ID_RULE, isWellFormedId } from '../domain/well-formed-id.ts';
import { inexactMembersOf, inexactNumber } from '../http/exact-numbers.ts';
import { invalidField, parseCount, refuseUnknownFields } from '../http/request-fields.ts';
import { parseInterval } from '../market-data/bar-fields.ts';
import type { BarInterval } from '../market-data/market-state.ts';

import { STRATEGY_NAMES, type StrategyName, type StrategyRequest } from './agent-types.ts';
import { resolveStrategyParams } from './strategy-params.ts';

export const DEFAULT_RISK_LOOKBACK = 250;
/** Largest order quantity a workflow may place (the risk limits still apply). */
export const MAX_WORKFLOW_QUANTITY = 1_000_000;

export type Capacity = (interval: BarInterval) => number;

function missing(field: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.MISSING_FIELD, `${field} is required`, field);
}

export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidField('body', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function parseSymbol(instruments: InstrumentTable, v: unknown, field = 'symbol'): string {
  if (v === undefined || v === null) throw missing(field);
  return instruments.get(v, field).symbol;
}

export function parseAccount(v: unknown, def = 'default'): string {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string' || !isWellFormedId(v)) {
    throw invalidField('account', `account must be ${ID_RULE}`);
  }
  return v;
}

export function parseStrategyName(v: unknown, def?: StrategyName): StrategyName {
  if (v === undefined || v === null) {
    if (def !== undefined) return def;
    throw missing('strategy');
  }
  if (typeof v !== 'string' || !(STRATEGY_NAMES as readonly string[]).includes(v)) {
    throw invalidField('strategy', `strategy must be one of ${STRATEGY_NAMES.join(', ')}`);
  }
  return v as StrategyName;
}

const STRATEGY_FIELDS = new Set(['symbol', 'strategy', 'params', 'interval']);
const RISK_FIELDS = new Set(['account', 'symbols', 'interval', 'lookback']);

/**
 * The body of POST /api/strategy/analyze, refusing any field it does not take: a misspelt
 * `param` or `intreval` ignored would analyse with the defaults and look like an answer.
 */
export function strategyBody(body: unknown): Record<string, unknown> {
  const b = bodyObject(body);
  refuseUnknownFields(b, STRATEGY_FIELDS, 'a strategy analysis takes symbol, strategy, params and interval');
  return b;
}

/**
 * The body of POST /api/risk/analyze (none is `{}`), refusing any field it does not take: a
 * misspelt `acount` ignored would report the default account, a `symbol` every symbol.
 */
export function riskBody(body: unknown): Record<string, unknown> {
  const b = body === undefined || body === null ? {} : bodyObject(body);
  refuseUnknownFields(b, RISK_FIELDS, 'a risk analysis takes account, symbols, interval and lookback');
  return b;
}

/** POST /api/strategy/analyze `{symbol, strategy, params?, interval?}`. */
export function parseStrategyRequest(
  instruments: InstrumentTable,
  body: unknown,
  defaultStrategy?: StrategyName,
): StrategyRequest {
  const b = bodyObject(body);
  const symbol = parseSymbol(instruments, b.symbol);
  const strategy = parseStrategyName(b.strategy, defaultStrategy);
  return {
    symbol,
    strategy,
    params: resolveStrategyParams(strategy, b.params),
    interval: parseInterval(b.interval),
  };
}

/** `symbols` of a risk request: unknown symbol -> 400 naming `symbols[i]`; duplicates dropped. */
export function parseSymbols(instruments: InstrumentTable, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > instruments.size) {
    throw invalidField('symbols', `symbols must be an array of at most ${instruments.size} symbols`);
  }
  return [...new Set(v.map((s, i) => instruments.get(s, `symbols[${i}]`).symbol))];
}

export interface WorkflowRequest extends StrategyRequest {
  account: string;
  quantity: number;
}

const WORKFLOW_FIELDS = new Set(['symbol', 'account', 'quantity', 'strategy', 'params', 'interval']);

/**
 * POST /api/workflow/run `{symbol, account?, quantity?, strategy?, params?, interval?}`. No other
 * field: the workflow places an order, and a misspelt `Account` ignored would place it on
 * `default` (as POST /orders refuses one).
 */
export function parseWorkflowRequest(instruments: InstrumentTable, body: unknown): WorkflowRequest {
  const b = bodyObject(body);
  refuseUnknownFields(
    b,
    WORKFLOW_FIELDS,
    'a workflow takes symbol, account, quantity, strategy, params and interval',
  );
  const req = parseStrategyRequest(instruments, b, 'sma_crossover');
  // the quantity of the order it may place: read as sent or not at all, as POST /orders reads one
  const loose = inexactMembersOf(b)?.get('quantity');
  if (loose !== undefined) throw inexactNumber('quantity', loose, b.quantity);
  return {
    ...req,
    account: parseAccount(b.account),
    quantity: parseCount(b.quantity, 'quantity', 1, 1, MAX_WORKFLOW_QUANTITY),
  };
}
