/**
 * The execution-engine service (port 5002): order entry, order queries, cancels and
 * book depth over HTTP/1.1 keep-alive. Handlers only translate; OrderGateway decides.
 */
import { type InstrumentTable, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import type { FastifyReply } from 'fastify';
import { installAuth, principalOf, type SecurityOptions } from '../auth/request-auth.ts';
import type { OrderBook } from '../book/order-book.ts';
import { Side } from '../domain/enums.ts';
import { TradingErrorCode } from '../errors.ts';
import type { LoadShed } from '../guards/load-shed.ts';
import { createHttpApp, errorBody, listen, type ServiceHandle } from '../http/http-app.ts';
import type { HttpLimits } from '../http/http-limits.ts';
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
}

const MAX_DEPTH = 1_000;

function send(reply: FastifyReply, r: GatewayReply): FastifyReply {
  if (r.headers !== undefined) reply.headers(r.headers);
  return reply.code(r.status).send(r.body);
}

export async function startExecutionEngineService(d: ExecutionEngineDeps): Promise<ServiceHandle> {
  const app = createHttpApp({ bodyLimit: 64 * 1024, limits: d.limits });
  installAuth(app, d.security);
  const started = Date.now();
  const shed = d.shed;

  app.post('/orders', async (req, reply) => {
    if (shed?.shedding === true) {
      shed.shed++;
      d.counters.received++;
      d.counters.reject('OVERLOADED');
      reply.header('retry-after', '1');
      return reply
        .code(503)
        .send(errorBody(TradingErrorCode.OVERLOADED, 'the execution engine is overloaded; retry later'));
    }
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

  app.get('/orders', async (req, reply) =>
    send(reply, d.gateway.list(req.query as Record<string, unknown>, principalOf(req))),
  );

  app.get<{ Params: { id: string } }>('/orders/:id', async (req, reply) =>
    send(reply, d.gateway.get(req.params.id, principalOf(req))),
  );

  app.delete<{ Params: { id: string } }>('/orders/:id', async (req, reply) =>
    send(reply, await d.gateway.cancel(req.params.id, principalOf(req))),
  );

  // The kill switch (admin only: auth/route-rights.ts).
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/halt', async (req, reply) =>
    send(reply, await d.gateway.halt(req.params.account)),
  );
  app.post<{ Params: { account: string } }>('/admin/accounts/:account/resume', async (req, reply) =>
    send(reply, d.gateway.resume(req.params.account)),
  );

  app.get<{ Params: { symbol: string }; Querystring: { depth?: string } }>('/book/:symbol', async (req) => {
    const inst = d.instruments.get(req.params.symbol);
    const depth = req.query.depth === undefined ? 10 : Number(req.query.depth);
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
      throw new ProtocolError(
        ProtocolErrorCode.INVALID_FIELD,
        `depth must be an integer 1..${MAX_DEPTH}`,
        'depth',
      );
    }
    const book = d.bookOf(inst.index);
    const prices = new Float64Array(depth);
    const qtys = new Float64Array(depth);
    const counts = new Int32Array(depth);
    const side = (s: number) => {
      const n = book.depth(s, depth, prices, qtys, counts);
      return Array.from({ length: n }, (_, i) => ({
        price: inst.price.fromSteps(prices[i]),
        quantity: inst.qty.fromSteps(qtys[i]),
        orders: counts[i],
      }));
    };
    return {
      symbol: inst.symbol,
      bids: side(Side.BUY),
      asks: side(Side.SELL),
      last: book.last === 0 ? null : inst.price.fromSteps(book.last),
      timestamp: Date.now() / 1000,
    };
  });

  app.get('/health', async () => {
    const journal = d.journal?.();
    return {
      status: journal === undefined || journal.healthy ? 'ok' : 'degraded',
      service: 'execution-engine',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      liveOrders: d.liveOrders(),
      ordersInFlight: d.gateway.pending,
      ...(journal === undefined ? {} : { journal }),
    };
  });

  app.get('/stats', async () => d.counters.stats(d.liveOrders()));

  return listen('execution-engine', app, d.host, d.port);
}
