/**
 * The pre-trade check of an execution engine whose risk manager runs in another process
 * (cluster/remote-risk-client.ts implements it over the bus). The order gateway awaits
 * `check`; on a pass the risk manager holds a reservation for the order's quantity, which
 * the gateway either binds to the order it submits (the order's first book event carries
 * it) or releases when it does not submit the order.
 */
import type { OrderRequest } from './order-request.ts';

export interface RemoteVerdict {
  /** A risk code (risk/risk-codes.ts), 0 = pass. */
  code: number;
  /** The reservation held for the order on a pass, else null. */
  res: string | null;
}

export interface RemoteRiskCheck {
  /**
   * The risk manager's verdict. Rejects with a TradingError TRD_ERR_RISK_UNAVAILABLE when it
   * cannot be had (nobody serves the check, timeout, bus down): nothing was reserved then.
   */
  check(req: OrderRequest): Promise<RemoteVerdict>;
  /** The next order submitted to a book is the one `res` was reserved for (null: none). */
  bind(res: string | null): void;
  /** The order `res` was reserved for will not be placed. */
  release(res: string): void;
}
