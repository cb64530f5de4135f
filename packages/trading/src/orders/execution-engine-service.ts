/**
 * The execution-engine service (port 5002): order entry, order queries, cancels and
 * book depth over HTTP/1.1 keep-alive. Handlers only translate; OrderGateway decides.
 * With partitioned engines (`routing`), requests for another engine's symbols or orders
 * are relayed to their owner over the bus (docs/deployment.md#partitioned-execution-engines).
 */
import { type InstrumentTable, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import type { FastifyReply } from 'fastify';
import { installAuth, principalOf, type SecurityOptions } from '../auth/request-auth.ts';
import type { OrderBook } from '../book/order-book.ts';
import type { Bus } from '../bus/bus.ts';
import { busHealth, type LeaseHealth } from '../bus/bus-health.ts';
import { ID_RULE, isWellFormedId } from '../domain/well-formed-id.ts';
import { TradingErrorCode } from '../errors.ts';
import type { LoadShed } from '../guards/load-shed.ts';
import { RETRY_AFTER_SECONDS } from '../guards/shed.ts';
import { answerFirst, createHttpApp, errorBody, listen, type ServiceHandle } from '../http/http-app.ts';
import type { HttpLimits } from '../http/http-limits.ts';
import { parseCount, refuseArguments } from '../http/request-fields.ts';
import { takesQuery } from '../http/route-query.ts';
import { bookDepth } from './book-depth.ts';
import type { EngineRouting } from './engine-routing.ts';
import type { OrderCounters } from './order-counters.ts';
import type { GatewayReply, OrderGateway } from './order-gateway.ts';

export interface ExecutionEngineDeps {
  instruments: InstrumentTable;
  gateway: OrderGateway;
  counters: OrderCounters;
  liveOrders: () => number;
  /** The book of an instrument, for depth (read on the event loop, between commands). */
  bookOf: (index: number) => OrderBook;
  host: string;
  port: number;
  /** Keys / protected mode (auth/request-auth.ts). */
  security?: SecurityOptions;
  limits?: Partial<HttpLimits>;
  /** Overload shedding of POST /orders (guards/load-shed.ts). */
  shed?: LoadShed;
  /** The journal's state: /health is "degraded" while it refuses writes. */
  journal?: () => { healthy: boolean; durability: string; writeErrors: number; lastSeq: number[] };
  /** The bus (its state shows on /health; away on a NATS bus = 503). */
  bus?: Bus;
  /** Partitioned engines: relays other partitions' requests to their owner (cluster/order-routing.ts). */
  routing?: EngineRouting;
  /**
   * Its role lease on a NATS bus (cluster/role-lease.ts): while it has lapsed /health is 503
   * "degraded", as the orders are.
   */
  lease?: () => LeaseHealth;
  /** What /health reports about the partition (owned symbols, tag). */
  partition?: () => unknown;
  /**
   * The central risk manager as this engine's cluster view sees it (split deployments, where
   * every order is checked there): /health's `services["risk-manager"]`, as on the api's;
   * not "ok" = degraded, 503 (no order can pass its pre-trade check).
   */
  risk?: () => { status: 'ok' | 'degraded'; detail?: string };
}

const MAX_DEPTH = 1_000;

/** `/orders` or `/orders?...` (the raw URL, before fastify routes it). */
function isOrdersPath(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('/orders')) return false;
  return url.length === 7 || url.charCodeAt(7) === 63;
}

/**
 * The kill switch's account must be one an order could name (1..64 printable ASCII characters other than space): an empty,
 * control-character or over-long name is a 400, never a halt recorded for an account that
 * cannot exist.
 */
function killSwitchAccount(account: string): void {
  if (!isWellFormedId(account)) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_FIELD, `account must be ${ID_RULE}`, 'account');
  }
}

function send(reply: FastifyReply, r: GatewayReply): FastifyReply {
  if (r.headers !== undefined) reply.headers(r.headers);
  return reply.code(r.status).send(r.body);
}

export async function startExecutionEngineService(d: ExecutionEngineDeps): Promise<ServiceHandle> {
  const app = createHttpApp({ bodyLimit: 64 * 1024, limits: d.limits });
  installAuth(app, d.security);
  const started = Date.now();
  const shed = d.shed;

  // Overload: POST /orders refused before fastify sees it (no routing, hooks, body read,
  // parse or signature check): the cheapest answer the server can give, so the backlog
  // drains and every request still gets an answer (guards/load-shed.ts).
  if (shed !== undefined) {
    const body = JSON.stringify(
      errorBody(TradingErrorCode.OVERLOADED, 'the execution engine is overloaded; retry later'),
    );
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'retry-after': RETRY_AFTER_SECONDS,
    };
    answerFirst(app, (req, res) => {
      if (req.method !== 'POST' || !isOrdersPath(req.url) || !shed.refuse()) return false;
      d.counters.received++;
      d.counters.reject('OVERLOADED');
      d.counters.outcomes.refusedUnread();
      res.writeHead(503, headers);
      res.end(body);
      return true;
    });
  }

  app.post('/orders', async (req, reply) => {
    // Another partition's symbol: its owner answers (and counts it).
    const routed = d.routing?.submit(req.body, principalOf(req));
    if (routed !== undefined) return send(reply, await routed);
    const t0 = performance.now();
    let answer: { status: number; body: unknown } | undefined;
    try {
      answer = await d.gateway.submit(req.body, principalOf(req));
      return send(reply, answer);
    } finally {
      d.counters.latency.recordMs(performance.now() - t0);
      d.counters.outcomes.count(req.body, answer);
    }
  });

  app.get('/orders', takesQuery('account', 'status', 'limit', 'cursor', 'after'), async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    if (d.routing !== undefined) return send(reply, await d.routing.list(q, principalOf(req)));
    return send(reply, d.gateway.list(q, principalOf(req)));
  });

  app.get<{ Params: { id: string } }>('/orders/:id', async (req, reply) => {
    const routed = d.routing?.get(req.params.id, principalOf(req));
    if (routed !== undefined) return send(reply, await routed);
    return send(reply, d.gateway.get(req.params.id, principalOf(req)));
  });

  app.delete<{ Params: { id: string } }>('/orders/:id', async (req, reply) => {
    refuseArguments(req.query, req.body, 'DELETE /orders/:id (a whole cancel)');
    const routed = d.routing?.cancel(req.params.id, principalOf(req));
    if (routed !== undefined) return send(reply, await routed);
    return send(reply, await d.gateway.cancel(req.params.id, principalOf(req)));
  });

  // The kill switch (admin only: auth/route-rights.ts); partitioned: every engine applies it.
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/halt', async (req, reply) => {
    refuseArguments(req.query, req.body, 'POST /admin/accounts/:account/halt');
    killSwitchAccount(req.params.account);
    const local = await d.gateway.halt(req.params.account);
    if (d.routing === undefined) return send(reply, local);
    return send(reply, await d.routing.admin('halt', req.params.account, local));
  });
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/resume', async (req, reply) => {
    refuseArguments(req.query, req.body, 'POST /admin/accounts/:account/resume');
    killSwitchAccount(req.params.account);
    const local = d.gateway.resume(req.params.account);
    if (d.routing === undefined) return send(reply, local);
    return send(reply, await d.routing.admin('resume', req.params.account, local));
  });

  app.get<{ Params: { symbol: string }; Querystring: { depth?: string } }>(
    '/book/:symbol',
    takesQuery('depth'),
    async (req, reply) => {
      const inst = d.instruments.get(req.params.symbol);
      // Decimal digits only, as every other count in a query (not 0x10, 1e1 or " 5").
      const depth = parseCount(req.query.depth, 'depth', 10, 1, MAX_DEPTH, 'query');
      const routed = d.routing?.book(inst.symbol, depth);
      if (routed !== undefined) return send(reply, await routed);
      return bookDepth(inst, d.bookOf(inst.index), depth);
    },
  );

  app.get('/health', async (_req, reply) => {
    const journal = d.journal?.();
    // Apart from the others (a NATS bus), an engine without its bus can check no risk: 503.
    const b = busHealth(d.bus);
    const risk = d.risk?.();
    const riskDown = risk !== undefined && risk.status !== 'ok';
    const lease = d.lease?.();
    if (b.away || riskDown || lease?.state === 'lapsed') reply.code(503);
    return {
      status:
        !b.away && !riskDown && lease?.state !== 'lapsed' && (journal === undefined || journal.healthy)
          ? 'ok'
          : 'degraded',
      ...b.detail,
      service: 'execution-engine',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      liveOrders: d.liveOrders(),
      ordersInFlight: d.gateway.pending,
      ...(journal === undefined ? {} : { journal }),
      ...(d.partition === undefined ? {} : { partition: d.partition() }),
      ...(b.bus === undefined ? {} : { bus: b.bus }),
      ...(lease === undefined ? {} : { lease }),
      ...(risk === undefined ? {} : { services: { 'risk-manager': risk } }),
    };
  });

  app.get('/stats', async () => d.counters.stats(d.liveOrders()));

  return listen('execution-engine', app, d.host, d.port);
}
