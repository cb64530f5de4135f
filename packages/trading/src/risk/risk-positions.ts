/**
 * JSON-friendly snapshots of the risk engine's positions, for `GET /positions`. Off the
 * hot path: allocates freely. Quantities and prices are decimals in instrument units,
 * exposure in the currency.
 */
import type { Instrument } from '@tickstorm/protocol';
import type { RiskEngine } from './risk-engine.ts';

export interface PositionRow {
  account: string;
  symbol: string;
  /** Net position, + long / - short. */
  position: number;
  openBuy: number;
  openSell: number;
  /** Last known reference price, null when none yet. */
  referencePrice: number | null;
  /** (|position| + openBuy + openSell) x referencePrice (without one: the valuation of risk-state.ts's provRef). */
  exposure: number;
}

export interface AccountExposure {
  account: string;
  grossExposure: number;
  positions: PositionRow[];
}

function signedQty(inst: Instrument, lots: number): number {
  return lots < 0 ? -inst.qty.fromSteps(-lots) : inst.qty.fromSteps(lots);
}

/** One entry per account that holds a position or open orders (or all accounts when `all`). */
export function positionsSnapshot(
  engine: RiskEngine,
  opts: { account?: string; all?: boolean } = {},
): AccountExposure[] {
  const { accounts, instruments, st, lim, refTicks } = engine;
  const out: AccountExposure[] = [];
  const n = instruments.size;
  for (let a = 0; a < accounts.size; a++) {
    const name = accounts.nameOf(a) ?? String(a);
    if (opts.account !== undefined && opts.account !== name) continue;
    const grossExposure = engine.grossExposure(a);
    const syms = Array.from(st.held.subarray(a * n, a * n + st.heldCount[a])).sort((x, y) => x - y);
    if (syms.length === 0 && opts.all !== true && opts.account === undefined) continue;
    const positions = syms.map((s): PositionRow => {
      const inst = instruments.list[s];
      const k = a * n + s;
      const ref = refTicks[s];
      return {
        account: name,
        symbol: inst.symbol,
        position: signedQty(inst, st.pos[k]),
        openBuy: inst.qty.fromSteps(st.openBuy[k]),
        openSell: inst.qty.fromSteps(st.openSell[k]),
        referencePrice: ref > 0 ? inst.price.fromSteps(ref) : null,
        exposure: lim.unitsToMoney(st.contrib[k]),
      };
    });
    out.push({ account: name, grossExposure, positions });
  }
  return out;
}

/** The rows of every account, flattened (one row per account and symbol held). */
export function positionRows(engine: RiskEngine, account?: string): PositionRow[] {
  return positionsSnapshot(engine, { account }).flatMap((e) => e.positions);
}
