/**
 * The order gateway's pre-trade check at the central risk manager, over the bus
 * (orders/remote-risk.ts; docs/deployment.md, "Risk across processes"). Each check names a
 * reservation id of this engine's (`<instance id>:<n>`) so that the engine can release what
 * it reserved even when the answer never came: a timeout or a cut connection releases the id
 * (a late check then reserves nothing). While the node rebuilds positions (a window of at
 * most 250 ms after an engine joins) it answers "retry in N ms", and the check asks again
 * within its time budget. Nobody serving the check, a timeout or a closed bus is
 * TRD_ERR_RISK_UNAVAILABLE (the gateway answers 503 + Retry-After): never a hang.
 */
import type { Bus } from '../bus/bus.ts';
import { BusError } from '../bus/bus.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { OrderRequest } from '../orders/order-request.ts';
import type { RemoteRiskCheck, RemoteVerdict } from '../orders/remote-risk.ts';
import type { RiskEventPublisher } from './risk-event-publisher.ts';
import type { RiskCheckReply, RiskCheckRequest } from './risk-wire.ts';
import { Subject } from './subjects.ts';

/** How long an order waits for the risk manager's verdict by default. */
export const RISK_CHECK_TIMEOUT_MS = 1000;

export class RemoteRiskClient implements RemoteRiskCheck {
  private seq = 0;
  /** Checks that got no verdict (RISK_UNAVAILABLE). */
  unavailable = 0;

  constructor(
    private readonly bus: Bus,
    private readonly events: RiskEventPublisher,
    private readonly timeoutMs = RISK_CHECK_TIMEOUT_MS,
  ) {}

  async check(req: OrderRequest): Promise<RemoteVerdict> {
    const res = `${this.bus.instanceId}:${++this.seq}`;
    const q: RiskCheckRequest = {
      res,
      symbol: req.inst.symbol,
      book: req.inst.index,
      side: req.side,
      type: req.type,
      priceTicks: req.priceTicks,
      lots: req.lots,
      account: req.account,
    };
    const deadline = performance.now() + this.timeoutMs;
    try {
      for (;;) {
        const left = Math.max(1, Math.round(deadline - performance.now()));
        const a = await this.bus.request<RiskCheckRequest, RiskCheckReply>(Subject.RISK_CHECK, q, left);
        if (a.retryInMs === undefined) return { code: a.code, res: a.res };
        // The node is rebuilding positions (a brief window after an engine joins): ask again.
        if (performance.now() + a.retryInMs >= deadline) {
          throw new BusError(
            'BUS_TIMEOUT',
            `the risk manager was rebuilding positions for ${this.timeoutMs} ms`,
          );
        }
        await new Promise((r) => setTimeout(r, a.retryInMs));
      }
    } catch (err) {
      this.unavailable++;
      const code = err instanceof BusError ? err.code : 'BUS_CLOSED';
      // Nobody got a no-responders request; anything else may have been served (and reserved).
      if (code !== 'BUS_NO_RESPONDERS') this.events.release(res);
      throw new TradingError(
        TradingErrorCode.RISK_UNAVAILABLE,
        `the risk manager gave no verdict (${code}: ${(err as Error).message})`,
      );
    }
  }

  bind(res: string | null): void {
    this.events.pendingRes = res;
  }

  release(res: string): void {
    this.events.release(res);
  }
}
