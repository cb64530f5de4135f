/**
 * What /health on the api says about each service when the bus is NATS: read from the
 * cluster view (./cluster-view.ts), never by calling the other processes.
 *
 * - ok: at least one UP instance runs the service and none of those reports a problem
 *   (its journal refusing writes, a stats provider throwing, its store failing).
 * - degraded: UP instances that report problems ("<instance>: <problem>"); or no UP
 *   instance at all: "down: no live instance (last heard <instance> on <host> N ms ago)",
 *   or "down: no instance heard on the bus" when none ever heartbeated. With the 1,500 ms
 *   rule and 500 ms beats, a process that dies shows here within 2 s. More than one UP
 *   risk manager is degraded too (risk is central, exactly one may run), and so are two UP
 *   execution engines owning one symbol (its book would be split in two).
 */
import type { BusState } from '../bus/bus.ts';
import type { ServiceName } from '../config/service-config.ts';
import type { ClusterView, InstanceState } from './cluster-view.ts';

export interface ServiceStatus {
  status: 'ok' | 'degraded';
  detail?: string;
  /** Instances up / known (down ones not yet dropped). */
  instances: { up: number; down: number };
}

export function serviceStatus(view: ClusterView, service: ServiceName): ServiceStatus {
  const all = view.instances().filter((s) => s.hb.services.includes(service));
  const up = all.filter((s) => s.up);
  const instances = { up: up.length, down: all.length - up.length };
  if (up.length === 0) {
    const last = all.reduce<InstanceState | undefined>(
      (m, s) => (m === undefined || s.lastSeenMsAgo < m.lastSeenMsAgo ? s : m),
      undefined,
    );
    return {
      status: 'degraded',
      detail:
        last === undefined
          ? 'down: no instance heard on the bus'
          : `down: no live instance (last heard ${describe(last)} ${last.lastSeenMsAgo} ms ago)`,
      instances,
    };
  }
  const problems = up.flatMap((s) => s.hb.health.problems.map((p) => `${s.hb.instanceId}: ${p}`));
  // One owner per symbol: two engines serving one symbol's subject would split its book in two.
  if (service === 'execution-engine' && up.length > 1) {
    const clash = overlappingSymbols(up);
    if (clash !== null) problems.unshift(clash);
  }
  // Central risk: a second risk manager would split the checks (and the reservations) between two ledgers.
  if (service === 'risk-manager' && up.length > 1) {
    problems.unshift(
      `${up.length} risk managers up (${up.map(describe).join(', ')}): exactly one may run (docs/deployment.md)`,
    );
  }
  if (problems.length > 0) return { status: 'degraded', detail: problems.join('; '), instances };
  return { status: 'ok', detail: `${up.length} instance${up.length === 1 ? '' : 's'} up`, instances };
}

/** The bus as this process sees it: degraded ("bus reconnecting") unless connected. */
export function busStatus(state: BusState): { status: 'ok' | 'degraded'; detail?: string } {
  return state === 'connected' ? { status: 'ok' } : { status: 'degraded', detail: `bus ${state}` };
}

/** A symbol owned by two UP engines (`symbols` null = every symbol), as a problem line; null when none. */
function overlappingSymbols(engines: InstanceState[]): string | null {
  const owner = new Map<string, InstanceState>();
  const all = engines.filter((e) => e.hb.symbols === null || e.hb.symbols === undefined);
  if (all.length > 0) {
    const other = engines.find((e) => e !== all[0]);
    return `${describe(all[0])} owns every symbol (no --symbols) and ${describe(other!)} runs too: each symbol must have exactly one engine (docs/deployment.md)`;
  }
  for (const e of engines) {
    for (const sym of e.hb.symbols ?? []) {
      const first = owner.get(sym);
      if (first !== undefined && first !== e) {
        return `symbol ${sym} is owned by ${describe(first)} and ${describe(e)}: each symbol must have exactly one engine (docs/deployment.md)`;
      }
      owner.set(sym, e);
    }
  }
  return null;
}

function describe(s: InstanceState): string {
  return `${s.hb.instanceId} (pid ${s.hb.pid}) on ${s.hb.host}`;
}
