/**
 * The direct question to the holder of a single-owner role (docs/deployment.md, "Two of one
 * role"), asked by a start that found the role's lease held (./role-lease.ts, ./role-claims.ts):
 * a live process answers at once, and the start is refused with TRD_ERR_SERVICE_IN_USE (exit 1)
 * naming it (an engine: the symbol and the owner's partition). Two engines owning one symbol
 * would split its book and issue the same order ids; two risk managers would each hold half of
 * the reservations. No answer ("no responders", a timeout: a holder killed, stalled, or starting
 * at the same instant) decides nothing here: the lease does (renewed: refused; expired: taken).
 */
import type { Bus } from '../bus/bus.ts';
import { BusError } from '../bus/bus.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { type OrderRouteRequest, type OwnerInfo, Queue, type RiskQuery, Subject } from './subjects.ts';

/** How long each question waits for a live owner's answer. */
export const ROLE_PROBE_TIMEOUT_MS = 1000;

/** Who answered `subject`, or undefined when nobody serves it (or nobody answered in time). */
async function answerOf<Q, R>(bus: Bus, subject: string, q: Q, timeoutMs: number): Promise<R | undefined> {
  try {
    return await bus.request<Q, R>(subject, q, timeoutMs);
  } catch (err) {
    if (err instanceof BusError && err.code === 'BUS_HANDLER_FAILED') {
      return { failed: err.message } as R;
    }
    return undefined;
  }
}

/** Refuses when a live engine already serves any of `symbols` (its tag and symbols named). */
export async function refuseSecondEngine(
  bus: Bus,
  symbols: readonly string[],
  timeoutMs = ROLE_PROBE_TIMEOUT_MS,
): Promise<void> {
  const answers = await Promise.all(
    symbols.map((symbol) =>
      answerOf<OrderRouteRequest, { status: number; body: OwnerInfo }>(
        bus,
        Subject.orderRoute(symbol),
        { op: 'owner' },
        timeoutMs,
      ),
    ),
  );
  const i = answers.findIndex((a) => a !== undefined);
  if (i < 0) return;
  const info = answers[i]?.body;
  const who =
    info === undefined || !Array.isArray(info.symbols)
      ? 'another engine'
      : info.tag === ''
        ? 'a live engine that owns every symbol (no --symbols)'
        : `the live engine of partition ${info.tag} (--symbols ${info.symbols.slice(0, 8).join(',')}${info.symbols.length > 8 ? ',…' : ''})`;
  throw new TradingError(
    TradingErrorCode.SERVICE_IN_USE,
    `execution-engine: ${symbols[i]} is already served on the bus by ${who}: each symbol must have exactly one engine; stop that one first, or give this one other --symbols (docs/deployment.md)`,
    'symbols',
  );
}

/** Refuses when a live risk manager already answers on the bus. */
export async function refuseSecondRiskManager(bus: Bus, timeoutMs = ROLE_PROBE_TIMEOUT_MS): Promise<void> {
  const limits = await answerOf<RiskQuery, unknown>(bus, Subject.RISK_QUERY, { op: 'limits' }, timeoutMs);
  if (limits === undefined) return;
  throw new TradingError(
    TradingErrorCode.SERVICE_IN_USE,
    `risk-manager: a live risk manager already answers on the bus (queue ${Queue.RISK}): exactly one may run; stop that one first (docs/deployment.md)`,
  );
}
