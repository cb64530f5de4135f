/**
 * The asking side of partitioned engines (orders/engine-routing.ts): any engine takes any
 * request on its port and relays those of other partitions to their owner over the bus,
 * `Subject.orderRoute(symbol)` (an order's owner: the symbol its id's tag names), answering
 * the owner's reply verbatim, or 503 + Retry-After when the owner cannot answer
 * (./owner-unavailable.ts). The receiving engine has authenticated the request; the caller's
 * scope travels with it and the owner applies the account rules.
 *
 * Requests that concern every partition (GET /orders, the kill switch) first find the
 * partitions: one 'owner' request per symbol not yet covered by an answer (each answer
 * lists all of its partition's symbols), so a few requests per partition at most.
 */
import { type InstrumentTable, quoteValue } from '@tickstorm/protocol';
import { type Bus, BusError } from '../bus/bus.ts';
import { httpStatusOf, TradingErrorCode } from '../errors.ts';
import { inexactMembersOf } from '../http/exact-numbers.ts';
import { errorBody } from '../http/http-app.ts';
import type { EngineRouting } from '../orders/engine-routing.ts';
import type { AccountScope, GatewayReply, OrderGateway } from '../orders/order-gateway.ts';
import { idTagOf } from '../orders/order-store.ts';
import { ownerUnavailable, type RoutedOp } from './owner-unavailable.ts';
import type { Partition } from './partition.ts';
import { toScopeWire } from './scope-wire.ts';
import { type OrderRouteRequest, type OwnerInfo, Subject } from './subjects.ts';

export interface OrderRoutingOptions {
  bus: Bus;
  partition: Partition;
  instruments: InstrumentTable;
  /** This engine's gateway: its own partition's part of GET /orders. */
  gateway: OrderGateway;
  /** How long a routed request waits for the owner (default 2,000 ms). */
  timeoutMs?: number;
}

interface Partitions {
  /** Every reachable partition's tag (this one's included), sorted. */
  tags: string[];
  /** Symbols nobody answered for. */
  unreachable: string[];
}

export class OrderRouting implements EngineRouting {
  readonly timeoutMs: number;
  /** Requests relayed to another partition, and those answered 503 for want of an owner. */
  routed = 0;
  ownerUnavailable = 0;

  constructor(private readonly o: OrderRoutingOptions) {
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  /** The instrument another partition owns, or undefined (unknown symbols stay local: 4xx). */
  private foreign(symbol: unknown): string | undefined {
    if (typeof symbol !== 'string') return undefined;
    const inst = this.o.instruments.find(symbol);
    return inst === undefined || this.o.partition.owns(inst.index) ? undefined : inst.symbol;
  }

  /** The owner symbol named by an order id's tag, when another partition owns it. */
  private ownerOfId(id: string): string | undefined {
    const tag = idTagOf(id);
    return tag === undefined ? undefined : this.foreign(tag);
  }

  private async ask(symbol: string, q: OrderRouteRequest, op: RoutedOp): Promise<GatewayReply> {
    this.routed++;
    try {
      return await this.o.bus.request<OrderRouteRequest, GatewayReply>(
        Subject.orderRoute(symbol),
        q,
        this.timeoutMs,
      );
    } catch (err) {
      this.ownerUnavailable++;
      return ownerUnavailable(err, symbol, op, this.timeoutMs);
    }
  }

  submit(body: unknown, scope: AccountScope | undefined): Promise<GatewayReply> | undefined {
    const symbol =
      body !== null && typeof body === 'object'
        ? this.foreign((body as { symbol?: unknown }).symbol)
        : undefined;
    if (symbol === undefined) return undefined;
    // A price or quantity JSON.parse read as another number is refused here (its decode's 400,
    // order-request.ts): the owner would see only the number read, not the literal sent.
    const loose = inexactMembersOf(body as object);
    if (loose !== undefined && (loose.has('price') || loose.has('quantity'))) return undefined;
    return this.ask(symbol, { op: 'submit', body, scope: toScopeWire(scope) }, 'submit');
  }

  get(id: string, scope: AccountScope | undefined): Promise<GatewayReply> | undefined {
    const symbol = this.ownerOfId(id);
    if (symbol === undefined) return undefined;
    return this.ask(symbol, { op: 'get', id, scope: toScopeWire(scope) }, 'get');
  }

  cancel(id: string, scope: AccountScope | undefined): Promise<GatewayReply> | undefined {
    const symbol = this.ownerOfId(id);
    if (symbol === undefined) return undefined;
    return this.ask(symbol, { op: 'cancel', id, scope: toScopeWire(scope) }, 'cancel');
  }

  book(symbol: string, depth: number): Promise<GatewayReply> | undefined {
    const owner = this.foreign(symbol);
    if (owner === undefined) return undefined;
    return this.ask(owner, { op: 'book', symbol: owner, depth }, 'book');
  }

  /**
   * Every reachable partition's tag, by asking 'owner' for each symbol no answer covered yet.
   * A bus that is away stops the search: every symbol not covered is unreachable.
   */
  private async partitions(): Promise<Partitions> {
    const p = this.o.partition;
    const covered = new Set(p.symbols);
    const tags = new Set([p.tag]);
    const unreachable: string[] = [];
    let busDown = false;
    for (const inst of this.o.instruments.list) {
      const symbol = inst.symbol;
      if (covered.has(symbol)) continue;
      covered.add(symbol);
      if (busDown) {
        unreachable.push(symbol);
        continue;
      }
      try {
        const r = await this.o.bus.request<OrderRouteRequest, GatewayReply>(
          Subject.orderRoute(symbol),
          { op: 'owner' },
          this.timeoutMs,
        );
        const info = r.body as OwnerInfo;
        tags.add(info.tag);
        for (const s of info.symbols) covered.add(s);
      } catch (err) {
        if (!(err instanceof BusError)) throw err;
        busDown = err.code === 'BUS_CLOSED';
        unreachable.push(symbol);
      }
    }
    return { tags: [...tags].sort(), unreachable };
  }

  private unreachableReply(
    unreachable: string[],
    what: string,
    extra: Record<string, unknown> = {},
  ): GatewayReply {
    this.ownerUnavailable++;
    const code = TradingErrorCode.OWNER_UNAVAILABLE;
    const shown =
      unreachable.length > 10 ? `${unreachable.slice(0, 10).join(', ')}, …` : unreachable.join(', ');
    return {
      status: httpStatusOf(code),
      headers: { 'retry-after': '1' },
      body: {
        ...errorBody(code, `no execution engine answered for ${shown}: ${what}; retry later`, 'symbol'),
        ...extra,
        unreachable,
      },
    };
  }

  /** One partition's GET /orders page (this one's locally). */
  private async listOne(tag: string, query: Record<string, string>, scope: AccountScope | undefined) {
    if (tag === this.o.partition.tag) return this.o.gateway.list(query, scope);
    return this.ask(tag, { op: 'list', query, scope: toScopeWire(scope) }, 'list');
  }

  /**
   * GET /orders across every partition: partitions in tag order, each one's own order inside
   * (an order id's tag says where a cursor resumes). Every partition must answer: a listing
   * for reconciliation that silently missed one would be wrong, so a missing owner is a 503.
   */
  async list(query: Record<string, unknown>, scope: AccountScope | undefined): Promise<GatewayReply> {
    const { cursor: _c, after: _a, ...rest } = query;
    // Validation (unknown parameters, limit, account rights) answered here, as a single engine would.
    const probe = this.o.gateway.list(rest, scope);
    if (probe.status !== 200) return probe;
    if (query.cursor !== undefined && query.after !== undefined) return this.o.gateway.list(query, scope);
    const cursorField = query.cursor === undefined ? 'after' : 'cursor';
    const cursor = (query.cursor ?? query.after) as string | undefined;
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(rest)) if (k !== 'limit') base[k] = v as string;
    const limit = Number(query.limit ?? '100');
    const { tags, unreachable } = await this.partitions();
    if (unreachable.length > 0)
      return this.unreachableReply(unreachable, 'their open orders cannot be listed');
    let start = 0;
    if (cursor !== undefined) {
      const tag = idTagOf(cursor) ?? '';
      start = tags.indexOf(tag);
      if (start < 0) {
        const code = TradingErrorCode.INVALID_QUERY;
        return {
          status: httpStatusOf(code),
          body: errorBody(code, `${quoteValue(cursor)} is not an order id`, cursorField),
        };
      }
    }
    const orders: { id: string }[] = [];
    let more = false;
    for (let i = start; i < tags.length; i++) {
      const need = limit - orders.length;
      const q: Record<string, string> = { ...base, limit: String(Math.max(need, 1)) };
      if (i === start && cursor !== undefined) q[cursorField] = cursor;
      const r = await this.listOne(tags[i], q, scope);
      if (r.status !== 200) return r;
      const page = r.body as { orders: { id: string }[]; nextCursor: string | null };
      if (need === 0) {
        // The page is full: is there anything after it?
        if (page.orders.length > 0) {
          more = true;
          break;
        }
        continue;
      }
      orders.push(...page.orders);
      if (page.nextCursor !== null) {
        more = true;
        break;
      }
    }
    return {
      status: 200,
      body: {
        orders,
        count: orders.length,
        nextCursor: more && orders.length > 0 ? orders[orders.length - 1].id : null,
        partitions: tags,
      },
    };
  }

  /**
   * The kill switch on every partition: this engine's answer (`local`) plus each other
   * partition's. `cancelled` counts the open orders cancelled on all of them; `partitions`
   * has each one's answer by tag. A partition that does not answer makes it a 503 (the
   * partial result included): halt and resume are idempotent, so the retry is safe.
   */
  async admin(op: 'halt' | 'resume', account: string, local: GatewayReply): Promise<GatewayReply> {
    if (local.status !== 200) return local;
    const { tags, unreachable } = await this.partitions();
    const parts: Record<string, unknown> = { [this.o.partition.tag]: local.body };
    let cancelled = Number((local.body as { cancelled?: number }).cancelled ?? 0);
    let wasHalted = (local.body as { wasHalted?: boolean }).wasHalted === true;
    for (const tag of tags) {
      if (tag === this.o.partition.tag) continue;
      const r = await this.ask(tag, { op, account }, op);
      if (r.status !== 200) {
        unreachable.push(tag);
        continue;
      }
      const b = r.body as { cancelled?: number; wasHalted?: boolean };
      parts[tag] = b;
      cancelled += Number(b.cancelled ?? 0);
      wasHalted ||= b.wasHalted === true;
    }
    const body =
      op === 'halt'
        ? { account, halted: true, cancelled, partitions: parts }
        : { account, halted: false, wasHalted, partitions: parts };
    if (unreachable.length > 0) {
      return this.unreachableReply(unreachable, `the ${op} did not reach their partition`, body);
    }
    return { status: 200, body };
  }

  /** /health's partition section. */
  stats(): Record<string, unknown> {
    return {
      tag: this.o.partition.tag,
      symbols: this.o.partition.symbols,
      routed: this.routed,
      ownerUnavailable: this.ownerUnavailable,
    };
  }
}
