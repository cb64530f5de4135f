/**
 * A hash of everything a restart must restore: every book (levels, FIFO queues, stops,
 * last prices), every kept order record (status, fills, clientOrderId, account), positions
 * and open quantities per account name, reference prices and the risk limits. Accounts are
 * named, not indexed (indices may differ between a recovery and a fresh replay). For the
 * crash harness and the recovery tests; allocates freely.
 */
import { createHash } from 'node:crypto';
import type { TradingCore } from './trading-core.ts';

export function stateDigest(core: TradingCore): Record<string, unknown> {
  const name = (a: number) => core.accounts.nameOf(a) ?? String(a);
  const engines = core.engines.map((e) => {
    const snap = e.snapshot();
    return {
      liveOrders: snap.liveOrders,
      books: snap.books.map((b) => ({
        ...b,
        bids: b.bids.map((l) => ({
          ...l,
          orders: l.orders.map((o) => ({ ...o, account: name(o.account) })),
        })),
        asks: b.asks.map((l) => ({
          ...l,
          orders: l.orders.map((o) => ({ ...o, account: name(o.account) })),
        })),
        buyStops: b.buyStops.map((s) => ({ ...s, account: name(s.account) })),
        sellStops: b.sellStops.map((s) => ({ ...s, account: name(s.account) })),
      })),
    };
  });
  const orders = core.store
    .all()
    .map((r) => JSON.stringify(r))
    .sort();
  const positions = core.risk
    .positions()
    .map((a) => ({ ...a, positions: [...a.positions].sort((x, y) => x.symbol.localeCompare(y.symbol)) }))
    .sort((x, y) => x.account.localeCompare(y.account));
  return {
    engines,
    orders,
    positions,
    refTicks: Array.from(core.risk.refTicks),
    limits: core.risk.getLimits(),
  };
}

export function stateHash(core: TradingCore): string {
  return createHash('sha256')
    .update(JSON.stringify(stateDigest(core)))
    .digest('hex');
}
