/**
 * What a service's own `/health` says about its bus. A NATS bus that is away (reconnecting or
 * closed) degrades the service and answers 503: its updates, checks or routed orders cannot
 * reach the other processes. The in-process bus is never away.
 */
import type { Bus, BusState } from './bus.ts';

export interface BusHealth {
  /** True while a NATS bus is not connected. */
  away: boolean;
  /** `{detail: "bus reconnecting"}` while away, else nothing (spread into the answer). */
  detail: { detail?: string };
  /** The bus as reported (absent without a bus). */
  bus: { kind: Bus['kind']; state: BusState; instanceId: string } | undefined;
}

/**
 * A role lease held on the bus (../cluster/role-lease.ts) as an engine's or a risk manager's
 * /health shows it: while it has lapsed the service acts for its role in nothing (503).
 */
export interface LeaseHealth {
  state: 'held' | 'lapsed' | 'unleased';
  /** Why it is not held. */
  problem?: string;
}

export function busHealth(bus: Bus | undefined): BusHealth {
  if (bus === undefined) return { away: false, detail: {}, bus: undefined };
  const state = bus.state();
  const away = bus.kind === 'nats' && state !== 'connected';
  return {
    away,
    detail: away ? { detail: `bus ${state}` } : {},
    bus: { kind: bus.kind, state, instanceId: bus.instanceId },
  };
}
