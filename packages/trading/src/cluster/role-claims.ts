/**
 * The leases a process takes at start for its single-owner roles (./role-lease.ts): the risk
 * manager's key and one key per symbol of its execution engine, in one lease. Only on a NATS
 * bus (in one process there is nobody to share a role with).
 */
import type { Bus } from '../bus/bus.ts';
import { NatsBus } from '../bus/nats-bus.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { refuseSecondEngine, refuseSecondRiskManager } from './role-in-use.ts';
import {
  engineKey,
  holderName,
  LEASE_TTL_MS,
  leaseUnavailable,
  noJetStream,
  RISK_MANAGER_KEY,
  RoleLease,
} from './role-lease.ts';

/**
 * How long the claim asks a holder directly: a live one answers in a millisecond or two; one that
 * does not (stalled, killed) is then watched through its lease (./role-lease.ts), so a short
 * wait costs nothing but a loaded holder's fast refusal.
 */
const CLAIM_PROBE_TIMEOUT_MS = 250;

export interface RoleClaims {
  bus: Bus;
  riskManager: boolean;
  /** The execution engine's symbols (none: no engine here). */
  symbols: readonly string[];
  onLost: (err: TradingError) => void;
  report: (line: string) => void;
  /** The no-JetStream warning (default: report). */
  warn?: (line: string) => void;
}

/** Takes the leases (null when there is no role to lease), or throws as RoleLease.claim does. */
export async function claimRoles(c: RoleClaims): Promise<RoleLease | null> {
  if (!(c.bus instanceof NatsBus) || (!c.riskManager && c.symbols.length === 0)) return null;
  const bus = c.bus;
  const symbolOf = new Map(c.symbols.map((s) => [engineKey(s), s]));
  const keys = [...(c.riskManager ? [RISK_MANAGER_KEY] : []), ...symbolOf.keys()];
  const role =
    c.riskManager && c.symbols.length > 0
      ? 'execution-engine, risk-manager'
      : c.riskManager
        ? 'risk-manager'
        : 'execution-engine';
  let kv: Awaited<ReturnType<NatsBus['keyValue']>>;
  try {
    kv = await bus.keyValue('roles', LEASE_TTL_MS);
  } catch (err) {
    if (!noJetStream(err)) throw leaseUnavailable(`${role} (--bus ${bus.url})`, err);
    // A plain nats-server (no -js): the start asks the bus whether a live owner answers, as
    // before the leases. That refuses a second one started later, not one started at the same
    // instant or beside a stalled owner: said once, with what to change.
    (c.warn ?? c.report)(
      `${role}: the bus's nats-server runs without JetStream, so this role holds no lease: a second ${role} started at the same instant, or while this one is stalled, is not refused; start nats-server with -js and a store directory (-sd DIR) for that (docs/deployment.md, "Two of one role")`,
    );
    if (c.riskManager) await refuseSecondRiskManager(bus);
    if (c.symbols.length > 0) await refuseSecondEngine(bus, c.symbols);
    return null;
  }
  return RoleLease.claim({
    kv,
    role,
    keys,
    instanceId: bus.instanceId,
    probe: async () => {
      if (c.riskManager) await refuseSecondRiskManager(bus, CLAIM_PROBE_TIMEOUT_MS);
      if (c.symbols.length > 0) await refuseSecondEngine(bus, c.symbols, CLAIM_PROBE_TIMEOUT_MS);
    },
    refusal: (key, h) => {
      const renewed = `which renewed it while this one waited: it is alive (stalled for a moment, or started at the same instant)`;
      const symbol = symbolOf.get(key);
      return symbol === undefined
        ? new TradingError(
            TradingErrorCode.SERVICE_IN_USE,
            `risk-manager: the risk manager's lease is held by ${holderName(h)}, ${renewed}: exactly one may run; stop that one first (docs/deployment.md)`,
          )
        : new TradingError(
            TradingErrorCode.SERVICE_IN_USE,
            `execution-engine: ${symbol} is leased to the engine ${holderName(h)}, ${renewed}: each symbol must have exactly one engine; stop that one first, or give this one other --symbols (docs/deployment.md)`,
            'symbols',
          );
    },
    onLost: c.onLost,
    report: c.report,
    warn: c.warn,
    reopen: () => bus.keyValue('roles', LEASE_TTL_MS),
    connected: () => bus.state() === 'connected',
    onReconnect: (back) => bus.onState((s) => s === 'connected' && back()),
  });
}
