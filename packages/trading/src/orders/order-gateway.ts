/**
 * Order entry: decode -> de-duplicate clientOrderId -> pre-trade risk (in-process, on the
 * critical path) -> route to the book's shard (sequenced into the input log, matched) ->
 * wait for the log batch holding the command to be written (group commit: one write per
 * shard per event-loop turn, ./turn-commit.ts) -> answer.
 * Returns plain {status, body, headers} values; the HTTP layer only sends them.
 */
import { type InstrumentTable, ProtocolError, ProtocolErrorCode } from '@tickstorm/protocol';
import { CancelResult } from '../book/engine-types.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { type ErrorCode, httpStatusOf, TradingErrorCode } from '../errors.ts';
import { errorBody } from '../http/http-app.ts';
import type { AccountRegistry } from '../risk/account-registry.ts';
import { RiskCode, riskCodeMessage, riskCodeName } from '../risk/risk-codes.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { LocalShard } from '../routing/local-shard.ts';
import type { OrderRouter } from '../routing/router.ts';
import type { OrderCounters } from './order-counters.ts';
import { type OrderRequest, parseOrderRequest } from './order-request.ts';
import type { OrderStore } from './order-store.ts';
import { TurnCommit } from './turn-commit.ts';

export interface GatewayReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * Who is asking (keys on: the request's key, auth/keys.ts): a trader acts for its accounts
 * only; undefined = unrestricted (keys off, loopback).
 */
export interface AccountScope {
  readonly role: string;
  /** The accounts it holds; the first is its default. */
  readonly accounts: readonly string[];
  holds(account: string): boolean;
}

export interface OrderGatewayOptions {
  instruments: InstrumentTable;
  router: OrderRouter<LocalShard>;
  risk: RiskEngine;
  accounts: AccountRegistry;
  store: OrderStore;
  counters: OrderCounters;
  /** Order requests in flight (matched, waiting for their log batch) beyond which new ones get 503. */
  maxInFlight?: number;
  defaultAccount?: string;
}

export class OrderGateway {
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly defaultAccount: string;
  /** One group commit per shard, by shard index. */
  private readonly commits: TurnCommit[];
  /** Accounts stopped by the kill switch (halt / resume). */
  private readonly halted = new Set<string>();

  constructor(private readonly o: OrderGatewayOptions) {
    this.maxInFlight = o.maxInFlight ?? 10_000;
    this.defaultAccount = o.defaultAccount ?? 'default';
    this.commits = o.router.shards.map((s) => new TurnCommit(s));
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Risk verdict only (POST /check): the same decode and the same check, nothing sent. */
  check(body: unknown, scope?: AccountScope): GatewayReply {
    const account = this.accountFor(body, scope);
    if (typeof account !== 'string') return account;
    const req = parseOrderRequest(body, this.o.instruments, account);
    const code = this.riskCheck(req, false);
    return {
      status: 200,
      body: { allowed: code === RiskCode.OK, code: riskCodeName(code), message: riskCodeMessage(code) },
    };
  }

  async submit(body: unknown, scope?: AccountScope): Promise<GatewayReply> {
    const c = this.o.counters;
    c.received++;
    let account = this.defaultAccount;
    if (scope !== undefined || this.halted.size > 0) {
      const a = this.accountFor(body, scope);
      if (typeof a !== 'string') {
        c.reject(TradingErrorCode.ACCOUNT_FORBIDDEN);
        return a;
      }
      if (this.halted.has(a)) {
        c.reject(TradingErrorCode.ACCOUNT_HALTED);
        return coded(TradingErrorCode.ACCOUNT_HALTED, `account ${a} is halted by an admin`, 'account');
      }
      account = a;
    }
    if (this.inFlight >= this.maxInFlight) {
      c.reject('OVERLOADED');
      const r = coded(
        TradingErrorCode.OVERLOADED,
        `more than ${this.maxInFlight} orders in flight; retry later`,
      );
      return { ...r, headers: { 'retry-after': '1' } };
    }
    let req: OrderRequest;
    try {
      req = parseOrderRequest(body, this.o.instruments, account);
    } catch (err) {
      c.reject((err as ProtocolError).code ?? 'INVALID');
      throw err;
    }
    if (req.clientOrderId !== undefined) {
      const dup = this.o.store.byClientOrderId(req.account, req.clientOrderId);
      if (dup !== undefined) {
        c.reject(TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID);
        const b = errorBody(
          TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID,
          `clientOrderId ${req.clientOrderId} was already used by order ${dup.id}`,
          'clientOrderId',
        );
        return {
          status: httpStatusOf(TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID),
          body: { ...b, orderId: dup.id },
        };
      }
    }
    const code = this.riskCheck(req, true);
    if (code !== RiskCode.OK) {
      const reason = riskCodeName(code);
      c.reject(reason);
      // The per-account order rate is a risk denial too, but the client's remedy is to wait.
      const limited = code === RiskCode.RATE_LIMIT_EXCEEDED;
      const coded = limited ? TradingErrorCode.RATE_LIMITED : TradingErrorCode.RISK_REJECTED;
      const b = { error: { code: coded, reason, message: riskCodeMessage(code) } };
      if (limited) return { status: httpStatusOf(coded), headers: { 'retry-after': '1' }, body: b };
      return { status: httpStatusOf(coded), body: b };
    }
    const book = req.inst.index;
    const shardIndex = this.o.router.router.shardOf(book);
    const shard = this.o.router.shards[shardIndex];
    this.o.store.begin(req, shard.index);
    const accountIdx = this.o.accounts.indexOf(req.account);
    const r = shard.submit(book, req.side, req.type, req.priceTicks, req.lots, accountIdx);
    this.o.store.end();
    const rec = this.o.store.lastCreated;
    if (r.result < 0 || rec === null) {
      c.reject('ENGINE_REFUSED');
      throw new ProtocolError(
        ProtocolErrorCode.INVALID_FIELD,
        `the matching engine refused the order (${r.result})`,
      );
    }
    this.inFlight++;
    try {
      await this.commits[shardIndex].wait();
    } finally {
      this.inFlight--;
    }
    return { status: 201, body: rec };
  }

  get(id: string, scope?: AccountScope): GatewayReply {
    const rec = this.o.store.get(id);
    // Another account's order is as absent as a missing one: existence is not leaked.
    if (rec === undefined || (scope !== undefined && !scope.holds(rec.account))) {
      return coded(TradingErrorCode.ORDER_NOT_FOUND, `no order ${id}`, 'id');
    }
    return { status: 200, body: rec };
  }

  async cancel(id: string, scope?: AccountScope): Promise<GatewayReply> {
    const rec = this.o.store.get(id);
    if (rec === undefined || (scope !== undefined && !scope.holds(rec.account))) {
      return coded(TradingErrorCode.ORDER_NOT_FOUND, `no order ${id}`, 'id');
    }
    if (rec.terminal) {
      return coded(TradingErrorCode.ORDER_NOT_CANCELLABLE, `order ${id} is already ${rec.toJSON().status}`);
    }
    const shard = this.o.router.shards[rec.shard];
    const r = shard.cancel(rec.engineId);
    if (r.result !== CancelResult.CANCELLED || rec.status !== OrderStatus.CANCELLED) {
      return coded(TradingErrorCode.ORDER_NOT_CANCELLABLE, `order ${id} is not live`);
    }
    await this.commits[rec.shard].wait();
    return { status: 200, body: rec };
  }

  /**
   * The account an order is for: the body's `account` if the scope holds it (else a 403
   * reply), otherwise the scope's first account (unrestricted: the body's, or the default).
   */
  private accountFor(body: unknown, scope: AccountScope | undefined): string | GatewayReply {
    const named =
      body !== null && typeof body === 'object' ? (body as { account?: unknown }).account : undefined;
    if (typeof named === 'string') {
      if (scope === undefined || scope.holds(named)) return named;
      return coded(
        TradingErrorCode.ACCOUNT_FORBIDDEN,
        `this key does not hold account ${JSON.stringify(named).slice(0, 80)}`,
        'account',
      );
    }
    return scope?.accounts[0] ?? this.defaultAccount;
  }

  /** Kill switch: refuses the account's new orders and cancels its open ones. */
  async halt(account: string): Promise<GatewayReply> {
    this.halted.add(account);
    const open = this.o.store.all().filter((r) => r.account === account && !r.terminal);
    let cancelled = 0;
    const shards = new Set<number>();
    for (const rec of open) {
      const r = this.o.router.shards[rec.shard].cancel(rec.engineId);
      if (r.result === CancelResult.CANCELLED) {
        cancelled++;
        shards.add(rec.shard);
      }
    }
    await Promise.all([...shards].map((s) => this.commits[s].wait()));
    return { status: 200, body: { account, halted: true, cancelled } };
  }

  resume(account: string): GatewayReply {
    const was = this.halted.delete(account);
    return { status: 200, body: { account, halted: false, wasHalted: was } };
  }

  isHalted(account: string): boolean {
    return this.halted.has(account);
  }

  private riskCheck(req: OrderRequest, consume: boolean): number {
    const account = this.o.accounts.intern(req.account);
    const i = req.inst.index;
    return consume
      ? this.o.risk.checkNow(i, req.side, req.type, req.priceTicks, req.lots, account)
      : this.o.risk.peek(i, req.side, req.type, req.priceTicks, req.lots, account);
  }
}

/** A coded error reply; the status comes from the one table in errors.ts. */
function coded(code: ErrorCode, message: string, field?: string): GatewayReply {
  return { status: httpStatusOf(code), body: errorBody(code, message, field) };
}
