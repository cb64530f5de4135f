/**
 * The multi-agent workflow (POST /api/workflow/run): data collection -> strategy -> risk ->
 * execution, each step under its own timeout (./step-timeout.ts).
 *
 * - Execution runs only when the strategy says buy or sell AND the risk step's pre-trade
 *   verdict for the order allows it; otherwise it is "skipped" with the reason.
 * - The order is a market order (IOC) of `quantity` on `account`, its clientOrderId the
 *   workflow id: an execution that timed out may still have been placed; look it up by that id.
 * - A step that times out or fails ends the chain: it is "timeout"/"error", the rest "skipped".
 *   The answer goes out at the deadline; the step itself may still be running (it got an
 *   aborted signal): `onLingering` receives a promise of its real end (the api keeps the
 *   request's in-flight slot until then).
 *
 * HTTP status of the answer (the body is always the full report): 200 when every step is ok
 * or skipped; 504 TRD_ERR_WORKFLOW_TIMEOUT when a step timed out; when a step failed, the
 * status of its coded error (e.g. 503 TRD_ERR_SERVICE_UNAVAILABLE, or the execution engine's
 * 422/429/503 for an order it refused), with that error in `error`.
 */
import { TradingErrorCode } from '../errors.ts';
import { errorBody, toCodedError } from '../http/http-app.ts';
import type { BarInterval } from '../market-data/market-state.ts';
import { DEFAULT_RISK_LOOKBACK, type WorkflowRequest } from './agent-requests.ts';
import type { AgentSteps, BarsResult, RiskReport, Signal, StrategyResult } from './agent-types.ts';
import { runWithTimeout, type StepOutcome } from './step-timeout.ts';
import { barsToFetch } from './strategy-params.ts';

export const DEFAULT_STEP_TIMEOUT_MS = 2_000;

export type StepName = 'data' | 'strategy' | 'risk' | 'execution';
export type StepStatus = 'ok' | 'skipped' | 'timeout' | 'error';
const STEP_NAMES: readonly StepName[] = ['data', 'strategy', 'risk', 'execution'];

export interface StepReport {
  name: StepName;
  status: StepStatus;
  /** Wall time of the step (0 when skipped). */
  ms: number;
  result?: unknown;
  reason?: string;
  error?: { code: string; message: string; field?: string };
}

export interface WorkflowReport {
  workflowId: string;
  symbol: string;
  account: string;
  strategy: string;
  status: 'ok' | 'timeout' | 'error';
  signal: Signal | null;
  steps: StepReport[];
  totalMs: number;
  stepTimeoutMs: number;
  error?: { code: string; message: string; step?: StepName };
}

export interface WorkflowOutcome {
  status: number;
  headers?: Record<string, string>;
  body: WorkflowReport;
}

export interface WorkflowOptions {
  stepTimeoutMs: number;
  /** Ring capacity per interval (bounds the bars fetched). */
  capacity: (interval: BarInterval) => number;
  /** Called with the real end of a step that timed out but may still be running. */
  onLingering?: (settled: Promise<void>) => void;
}

let seq = 0;

export async function runWorkflow(
  steps: AgentSteps,
  req: WorkflowRequest,
  o: WorkflowOptions,
): Promise<WorkflowOutcome> {
  const t0 = performance.now();
  const workflowId = `wf-${Date.now().toString(36)}-${(++seq).toString(36)}`;
  const reports: StepReport[] = [];
  const body: WorkflowReport = {
    workflowId,
    symbol: req.symbol,
    account: req.account,
    strategy: req.strategy,
    status: 'ok',
    signal: null,
    steps: reports,
    totalMs: 0,
    stepTimeoutMs: o.stepTimeoutMs,
  };
  const finish = (status: number, headers?: Record<string, string>): WorkflowOutcome => {
    for (const name of STEP_NAMES.slice(reports.length)) {
      reports.push({ name, status: 'skipped', ms: 0, reason: 'an earlier step did not complete' });
    }
    body.totalMs = Math.round((performance.now() - t0) * 1000) / 1000;
    return headers === undefined ? { status, body } : { status, headers, body };
  };
  /** Records a step; returns its value, or an outcome ending the chain. */
  const step = async <T>(
    name: StepName,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ value: T } | { end: WorkflowOutcome }> => {
    const r: StepOutcome<T> = await runWithTimeout(fn, o.stepTimeoutMs);
    if (r.status === 'ok') {
      reports.push({ name, status: 'ok', ms: r.ms, result: r.value });
      return { value: r.value };
    }
    if (r.status === 'timeout') {
      o.onLingering?.(r.settled);
      const message = `the ${name} step did not answer within ${o.stepTimeoutMs} ms`;
      reports.push({ name, status: 'timeout', ms: r.ms, reason: message });
      body.status = 'timeout';
      body.error = { code: TradingErrorCode.WORKFLOW_TIMEOUT, message, step: name };
      return { end: finish(504) };
    }
    const coded = toCodedError(r.error);
    reports.push({ name, status: 'error', ms: r.ms, error: coded.body.error });
    body.status = 'error';
    body.error = { ...coded.body.error, step: name };
    return { end: finish(coded.status) };
  };

  const limit = barsToFetch(req.strategy, req.params, o.capacity(req.interval));
  const data = await step<BarsResult>('data', (s) =>
    steps.data({ symbol: req.symbol, interval: req.interval, limit }, s),
  );
  if ('end' in data) return data.end;
  const bars = data.value.bars;
  reports[0].result = {
    symbol: data.value.symbol,
    interval: data.value.interval,
    bars: bars.length,
    source: data.value.source,
    lastBar: bars.length > 0 ? bars[bars.length - 1] : null,
  };
  const strategy = await step<StrategyResult>('strategy', (s) => steps.strategy(req, data.value, s));
  if ('end' in strategy) return strategy.end;
  const signal = strategy.value.signal;
  body.signal = signal;
  const order =
    signal === 'hold'
      ? undefined
      : {
          symbol: req.symbol,
          side: signal,
          type: 'market',
          quantity: req.quantity,
          price: null,
          account: req.account,
          clientOrderId: workflowId,
        };
  const lookback = Math.min(DEFAULT_RISK_LOOKBACK, o.capacity(req.interval));
  const risk = await step<RiskReport>('risk', (s) =>
    steps.risk(
      {
        account: req.account,
        symbols: [req.symbol],
        interval: req.interval,
        lookback,
        order,
        allowUnknownAccount: true,
      },
      s,
    ),
  );
  if ('end' in risk) return risk.end;
  if (order === undefined) {
    const why = strategy.value.reason === undefined ? '' : ` (${strategy.value.reason})`;
    reports.push({ name: 'execution', status: 'skipped', ms: 0, reason: `strategy signal is hold${why}` });
    return finish(200);
  }
  const verdict = risk.value.preTrade;
  if (verdict !== undefined && !verdict.allowed) {
    reports.push({
      name: 'execution',
      status: 'skipped',
      ms: 0,
      reason: `risk does not allow the order: ${verdict.code} (${verdict.message})`,
    });
    return finish(200);
  }
  const exec = await step('execution', (s) => steps.execute(order, s));
  if ('end' in exec) return exec.end;
  const reply = exec.value;
  if (reply.status >= 300) {
    // The engine refused the order: the step failed with the engine's own coded error.
    const last = reports[reports.length - 1];
    const err = (reply.body as { error?: { code: string; message: string } }).error ?? {
      code: TradingErrorCode.INTERNAL,
      message: `execution answered ${reply.status}`,
    };
    last.status = 'error';
    last.result = undefined;
    last.error = err;
    body.status = 'error';
    body.error = { ...errorBody(err.code, err.message).error, step: 'execution' };
    return finish(reply.status, reply.headers);
  }
  reports[reports.length - 1].result = { status: reply.status, order: reply.body };
  return finish(200);
}
