/**
 * The risk-manager service (port 5003): the pre-trade check as an endpoint, the limits
 * (read and validated update), and positions. In one-process mode the same RiskEngine
 * object sits in-process on the execution engine's critical path; with a NATS bus it is the
 * central risk node's (../cluster/risk-node.ts), which the engines ask over the bus.
 */
import { installAuth, principalOf, type SecurityOptions } from '../auth/request-auth.ts';
import type { Bus } from '../bus/bus.ts';
import { busHealth, type LeaseHealth } from '../bus/bus-health.ts';
import { ID_RULE, isWellFormedId } from '../domain/well-formed-id.ts';
import { TradingErrorCode } from '../errors.ts';
import { createHttpApp, listen, type ServiceHandle, sendError } from '../http/http-app.ts';
import type { HttpLimits } from '../http/http-limits.ts';
import { takesQuery } from '../http/route-query.ts';
import type { RiskEngine } from './risk-engine.ts';
import type { RiskLimits } from './risk-limits.ts';

/**
 * POST /check's verdict: the order gateway's check (../orders/order-gateway.ts), the same
 * decode and risk check as order entry with nothing sent. Typed here by its shape so that
 * risk does not depend on orders (orders depends on risk).
 */
export interface PreTradeCheck {
  check(body: unknown, scope?: ReturnType<typeof principalOf>): { status: number; body: unknown };
}

export interface RiskManagerDeps {
  risk: RiskEngine;
  /** PUT /limits through the journal (validated, journalled durably, then applied); default: applied at once. */
  updateLimits?: (patch: unknown) => Promise<RiskLimits>;
  gateway: PreTradeCheck;
  host: string;
  port: number;
  /** Keys / protected mode (auth/request-auth.ts). */
  security?: SecurityOptions;
  /** The process's bus (its state shows on /health; a NATS bus away is "degraded"). */
  bus?: Bus;
  limits?: Partial<HttpLimits>;
  /** The central risk manager's bookkeeping (reservations, rebuild epoch), shown by /health. */
  central?: () => unknown;
  /** Its role lease on a NATS bus (cluster/role-lease.ts): /health is 503 while it has lapsed. */
  lease?: () => LeaseHealth;
}

export async function startRiskManagerService(d: RiskManagerDeps): Promise<ServiceHandle> {
  const app = createHttpApp({ bodyLimit: 256 * 1024, limits: d.limits });
  installAuth(app, d.security);
  const started = Date.now();

  app.post('/check', async (req, reply) => {
    const r = d.gateway.check(req.body, principalOf(req));
    return reply.code(r.status).send(r.body);
  });
  app.get('/limits', async () => d.risk.getLimits());
  app.put('/limits', async (req) =>
    d.updateLimits === undefined ? d.risk.updateLimits(req.body) : d.updateLimits(req.body),
  );
  // As GET /orders: a misspelt parameter (`?acount=`) is named, not read as "every account".
  app.get<{ Querystring: { account?: unknown } }>('/positions', takesQuery('account'), async (req, reply) => {
    const key = principalOf(req);
    const named = req.query.account;
    // As GET /orders: `account` once, an account id (a repeated one arrives as an array).
    if (named !== undefined && (typeof named !== 'string' || !isWellFormedId(named))) {
      return sendError(
        reply,
        TradingErrorCode.INVALID_QUERY,
        typeof named === 'string' ? `account must be ${ID_RULE}` : 'account must be given once',
        'account',
      );
    }
    const wanted = named;
    if (key === undefined || key.role === 'admin') {
      return { accounts: d.risk.positions(wanted), timestamp: Date.now() / 1000 };
    }
    // A trader sees its own accounts only.
    if (wanted !== undefined && !key.holds(wanted)) {
      return sendError(
        reply,
        TradingErrorCode.ACCOUNT_FORBIDDEN,
        `this key does not hold account ${wanted}`,
        'account',
      );
    }
    const accounts = (wanted === undefined ? key.accounts : [wanted]).flatMap((a) => d.risk.positions(a));
    return { accounts, timestamp: Date.now() / 1000 };
  });
  app.get('/health', async (_req, reply) => {
    const b = busHealth(d.bus);
    const lease = d.lease?.();
    const down = b.away || lease?.state === 'lapsed';
    reply.code(down ? 503 : 200);
    return {
      status: down ? 'degraded' : 'ok',
      ...b.detail,
      service: 'risk-manager',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      accounts: d.risk.accounts.size,
      bus: b.bus,
      ...(lease === undefined ? {} : { lease }),
      ...(d.central === undefined ? {} : { central: d.central() }),
    };
  });

  return listen('risk-manager', app, d.host, d.port);
}
