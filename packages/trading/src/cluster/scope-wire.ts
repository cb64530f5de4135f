/**
 * The caller's scope (role and accounts of its key) as it travels with a routed request:
 * the receiving engine authenticated the request; the owner applies the same account rules
 * with the scope it is given (the bus is inside the trust boundary: docs/deployment.md).
 */
import type { AccountScope } from '../orders/order-gateway.ts';
import type { ScopeWire } from './subjects.ts';

export function toScopeWire(scope: AccountScope | undefined): ScopeWire | undefined {
  return scope === undefined ? undefined : { role: scope.role, accounts: [...scope.accounts] };
}

/** An AccountScope with ApiKey's rule: an admin holds every account, a trader its own. */
export function fromScopeWire(wire: ScopeWire | undefined): AccountScope | undefined {
  if (wire === undefined || wire === null) return undefined;
  const accounts = Array.isArray(wire.accounts) ? wire.accounts.filter((a) => typeof a === 'string') : [];
  const role = String(wire.role);
  return { role, accounts, holds: (account) => role === 'admin' || accounts.includes(account) };
}
