/**
 * The owner's side of partitioned engines: serves `Subject.orderRoute(symbol)` in queue
 * `Queue.ENGINES` for every symbol this engine owns, and answers each OrderRouteRequest
 * with the same GatewayReply its own HTTP handler would send (errors included, as coded
 * replies: the asking engine relays them verbatim).
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { OrderBook } from '../book/order-book.ts';
import type { Bus } from '../bus/bus.ts';
import { noteInexactWire } from '../http/exact-numbers.ts';
import { toCodedError } from '../http/http-app.ts';
import { bookDepth } from '../orders/book-depth.ts';
import type { OrderCounters } from '../orders/order-counters.ts';
import type { GatewayReply, OrderGateway } from '../orders/order-gateway.ts';
import type { Partition } from './partition.ts';
import { fromScopeWire } from './scope-wire.ts';
import { type OrderRouteRequest, type OwnerInfo, Queue, Subject } from './subjects.ts';

export interface OrderRouteServerDeps {
  bus: Bus;
  partition: Partition;
  instruments: InstrumentTable;
  gateway: OrderGateway;
  counters: OrderCounters;
  bookOf: (index: number) => OrderBook;
}

/** Starts serving; returns the function that stops it. */
export function serveOrderRoutes(d: OrderRouteServerDeps): () => void {
  const handle = async (q: OrderRouteRequest): Promise<GatewayReply> => {
    try {
      return await answer(d, q);
    } catch (err) {
      const { status, body } = toCodedError(err);
      return status === 503 || status === 429
        ? { status, body, headers: { 'retry-after': '1' } }
        : { status, body };
    }
  };
  const stops = d.partition.symbols.map((symbol) =>
    d.bus.serve<OrderRouteRequest, GatewayReply>(Subject.orderRoute(symbol), handle, Queue.ENGINES),
  );
  return () => {
    for (const stop of stops) stop();
  };
}

async function answer(d: OrderRouteServerDeps, q: OrderRouteRequest): Promise<GatewayReply> {
  switch (q?.op) {
    case 'submit': {
      // Counted here, as the owner's own POST /orders would be (the asking engine does not count it).
      const t0 = performance.now();
      let reply: GatewayReply | undefined;
      try {
        // the literals the sender's parse saw and the bus's JSON cannot carry: refused here as at the sender
        if (q.inexact !== undefined) noteInexactWire(q.body, q.inexact);
        reply = await d.gateway.submit(q.body, fromScopeWire(q.scope));
        return reply;
      } finally {
        d.counters.latency.recordMs(performance.now() - t0);
        d.counters.outcomes.count(q.body, reply);
      }
    }
    case 'get':
      return d.gateway.get(String(q.id), fromScopeWire(q.scope));
    case 'cancel':
      return d.gateway.cancel(String(q.id), fromScopeWire(q.scope));
    case 'book': {
      const inst = d.instruments.get(q.symbol);
      const depth = Math.min(Math.max(Math.trunc(Number(q.depth)) || 10, 1), 1000);
      return { status: 200, body: bookDepth(inst, d.bookOf(inst.index), depth) };
    }
    case 'list':
      return d.gateway.list(q.query ?? {}, fromScopeWire(q.scope));
    case 'halt':
      return d.gateway.halt(String(q.account));
    case 'resume':
      return d.gateway.resume(String(q.account));
    case 'owner': {
      const info: OwnerInfo = { tag: d.partition.tag, symbols: [...d.partition.symbols] };
      return { status: 200, body: info };
    }
    default:
      throw new Error(`unknown order route op ${JSON.stringify((q as { op?: unknown })?.op)}`);
  }
}
