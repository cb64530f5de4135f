/**
 * Order entry: decode -> de-duplicate clientOrderId -> pre-trade risk (in-process, on the
 * critical path; or awaited from the central risk manager of a split deployment, see
 * ./remote-risk.ts) -> route to the book's shard (sequenced into the input log, matched) ->
 * wait for the log batch holding the command to be written (group commit: one write per
 * shard per event-loop turn, ./turn-commit.ts) -> answer.
 * Returns plain {status, body, headers} values; the HTTP layer only sends them.
 */
import { type InstrumentTable, ProtocolError, ProtocolErrorCode, quoteValue } from '@tickstorm/protocol';
import { CancelResult } from '../book/engine-types.ts';
import { CancelReason } from '../domain/enums.ts';
import { OrderStatus } from '../domain/order-status.ts';
import { ID_RULE, isWellFormedId } from '../domain/well-formed-id.ts';
import { type ErrorCode, httpStatusOf, TradingError, TradingErrorCode } from '../errors.ts';
import { errorBody } from '../http/http-app.ts';
import type { AccountRegistry } from '../risk/account-registry.ts';
import { RiskCode, riskCodeMessage, riskCodeName } from '../risk/risk-codes.ts';
import type { RiskEngine } from '../risk/risk-engine.ts';
import type { LocalShard } from '../routing/local-shard.ts';
import type { OrderRouter } from '../routing/router.ts';
import { HaltedAccounts } from './halted-accounts.ts';
import type { OrderCounters } from './order-counters.ts';
import { type OrderRequest, parseOrderRequest } from './order-request.ts';
import type { OrderStore } from './order-store.ts';
import type { RemoteRiskCheck, RemoteVerdict } from './remote-risk.ts';
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
  /**
   * The pre-trade check of a central risk manager in another process (absent: `risk`,
   * in-process and synchronous). `risk` then only keeps this engine's own positions.
   */
  remoteRisk?: RemoteRiskCheck;
  /** The kill switch's halted accounts (default: in memory only; ./halted-accounts.ts). */
  halted?: HaltedAccounts;
  /**
   * Why this engine must not touch its books now (its role lease lapsed: a stall, the bus cut
   * off; cluster/role-lease.ts), null when it may. Asked right before each submit, cancel and halt
   * changes a book: a stalled process that wakes refuses what it read meanwhile.
   */
  fenced?: () => string | null;
}

export class OrderGateway {
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly defaultAccount: string;
  /** One group commit per shard, by shard index. */
  private readonly commits: TurnCommit[];
  /** Accounts stopped by the kill switch (halt / resume). */
  private readonly halted: HaltedAccounts;

  constructor(private readonly o: OrderGatewayOptions) {
    this.halted = o.halted ?? new HaltedAccounts();
    this.maxInFlight = o.maxInFlight ?? 10_000;
    this.defaultAccount = o.defaultAccount ?? 'default';
    this.commits = o.router.shards.map((s) => new TurnCommit(s));
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Resolves once shard `index`'s journal holds (durably) everything applied so far. */
  commitShard(index: number): Promise<void> {
    return this.commits[index].wait();
  }

  /** The kept order `body`'s clientOrderId (if it is a well-formed one) names on `account`. */
  private keptDuplicate(body: unknown, account: string): { clientOrderId: string; id: string } | undefined {
    const cid =
      typeof body === 'object' && body !== null
        ? (body as { clientOrderId?: unknown }).clientOrderId
        : undefined;
    if (typeof cid !== 'string' || !isWellFormedId(cid)) return undefined;
    const rec = this.o.store.byClientOrderId(account, cid);
    return rec === undefined ? undefined : { clientOrderId: cid, id: rec.id };
  }

  /** 503 + Retry-After while the role lease has lapsed (`fenced`); null when the books may change. */
  private fencedReply(): GatewayReply | null {
    const why = this.o.fenced?.() ?? null;
    if (why === null) return null;
    const r = coded(TradingErrorCode.ROLE_LEASE_UNAVAILABLE, `${why}; nothing was done, retry later`);
    return { ...r, headers: { 'retry-after': '1' } };
  }

  /** The journal failure that refuses new commands on `shard`, if any. */
  private journalDown(shardIndex: number): Error | null {
    return this.o.router.shards[shardIndex].log?.failure ?? null;
  }

  /** Risk verdict only (POST /check): the same decode and the same check, nothing sent. */
  check(body: unknown, scope?: AccountScope): GatewayReply {
    const account = this.accountFor(body, scope);
    if (typeof account !== 'string') return account;
    if (this.halted.has(account)) {
      return coded(TradingErrorCode.ACCOUNT_HALTED, `account ${account} is halted by an admin`, 'account');
    }
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
        // A retry of an order placed before the halt still learns its id (docs: retry with
        // the same clientOrderId when an answer was lost); nothing new is placed either way.
        const dup = this.keptDuplicate(body, a);
        if (dup !== undefined) return duplicateReply(c, dup.clientOrderId, dup.id);
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
      if (dup !== undefined) return duplicateReply(c, req.clientOrderId, dup.id);
    }
    const remote = this.o.remoteRisk;
    // The reservation the central risk manager holds for this order (remote risk only).
    let res: string | null = null;
    let accountIdx = -1;
    if (remote === undefined) {
      const code = this.riskCheck(req, true);
      if (code !== RiskCode.OK) return deniedReply(c, code);
    } else {
      let v: RemoteVerdict;
      this.inFlight++;
      try {
        v = await remote.check(req);
      } catch (err) {
        c.reject(TradingErrorCode.RISK_UNAVAILABLE);
        return riskUnavailableReply(err);
      } finally {
        this.inFlight--;
      }
      if (v.code !== RiskCode.OK) return deniedReply(c, v.code);
      res = v.res;
      // While the check was away, the clientOrderId may have been used or the account halted.
      if (req.clientOrderId !== undefined) {
        const dup = this.o.store.byClientOrderId(req.account, req.clientOrderId);
        if (dup !== undefined) {
          if (res !== null) remote.release(res);
          return duplicateReply(c, req.clientOrderId, dup.id);
        }
      }
      if (this.halted.has(req.account)) {
        if (res !== null) remote.release(res);
        c.reject(TradingErrorCode.ACCOUNT_HALTED);
        return coded(
          TradingErrorCode.ACCOUNT_HALTED,
          `account ${req.account} is halted by an admin`,
          'account',
        );
      }
      accountIdx = this.o.accounts.intern(req.account);
      if (accountIdx < 0) {
        if (res !== null) remote.release(res);
        return deniedReply(c, RiskCode.UNKNOWN_ACCOUNT);
      }
      // This engine's own risk state values the cell as a local check would have (and as a
      // replay of the journal does): without a reference, at the order's price.
      this.o.risk.valueOpenOrder(accountIdx, req.inst.index, req.priceTicks);
    }
    const book = req.inst.index;
    const shardIndex = this.o.router.router.shardOf(book);
    const shard = this.o.router.shards[shardIndex];
    const down = this.journalDown(shardIndex);
    if (down !== null) {
      if (res !== null) remote!.release(res);
      c.reject(TradingErrorCode.JOURNAL_UNAVAILABLE);
      return journalReply(down);
    }
    const fenced = this.fencedReply();
    if (fenced !== null) {
      if (res !== null) remote!.release(res);
      c.reject(TradingErrorCode.ROLE_LEASE_UNAVAILABLE);
      return fenced;
    }
    this.o.store.begin(req, shard.index);
    if (remote === undefined) accountIdx = this.o.accounts.indexOf(req.account);
    let r: ReturnType<LocalShard['submit']>;
    if (res !== null) remote!.bind(res);
    try {
      r = shard.submit(
        book,
        req.side,
        req.type,
        req.priceTicks,
        req.lots,
        accountIdx,
        req.account,
        req.clientOrderId ?? '',
        req.priceAsked ?? 0,
      );
    } catch (err) {
      // The journal refused the command before the engine saw it: nothing happened.
      this.o.store.end();
      if (res !== null) {
        remote!.bind(null);
        remote!.release(res);
      }
      c.reject(TradingErrorCode.JOURNAL_UNAVAILABLE);
      return journalReply(err);
    }
    this.o.store.end();
    if (res !== null) remote!.bind(null);
    const rec = this.o.store.lastCreated;
    if (r.result < 0 || rec === null) {
      if (res !== null) remote!.release(res);
      c.reject('ENGINE_REFUSED');
      throw new ProtocolError(
        ProtocolErrorCode.INVALID_FIELD,
        `the matching engine refused the order (${r.result})`,
      );
    }
    // The answer states the order as its own command left it: fills by later commands (a
    // tick firing this stop, an order crossing it) may not be covered by the batch awaited.
    const acked = rec.copy();
    this.inFlight++;
    try {
      await this.commits[shardIndex].wait();
    } catch (err) {
      // Applied but not journalled (yet): never acknowledged. A retry with the same
      // clientOrderId answers 409 naming this order; the journal keeps the record buffered.
      c.reject(TradingErrorCode.JOURNAL_UNAVAILABLE);
      return journalReply(err, rec.id);
    } finally {
      this.inFlight--;
    }
    return { status: 201, body: acked };
  }

  /**
   * GET /orders?account=A&status=open&limit=N&cursor=ID (or after=ID): the open orders of an
   * account (all accounts without one), in id order (not time order), a page at a time, so that a client
   * can reconcile after a restart. `nextCursor` is null on the last page.
   */
  list(q: Record<string, unknown>, scope?: AccountScope): GatewayReply {
    const bad = (field: string, message: string) => coded(TradingErrorCode.INVALID_QUERY, message, field);
    for (const k of Object.keys(q)) {
      if (!['account', 'status', 'limit', 'cursor', 'after'].includes(k)) {
        return bad(k, `unknown query parameter ${k} (account, status, limit, cursor or after)`);
      }
      if (typeof q[k] !== 'string') return bad(k, `${k} must be given once`);
    }
    const status = (q.status as string | undefined) ?? 'open';
    if (status !== 'open') return bad('status', 'status must be "open" (the orders a client must reconcile)');
    const account = q.account as string | undefined;
    if (account !== undefined && !isWellFormedId(account)) {
      return bad('account', `account must be ${ID_RULE}`);
    }
    // A key bound to accounts lists only those (all of them when none is named).
    let accounts: string | readonly string[] | undefined = account;
    if (scope !== undefined && scope.role === 'trader') {
      if (account === undefined) accounts = scope.accounts;
      else if (!scope.holds(account))
        return coded(
          TradingErrorCode.ACCOUNT_FORBIDDEN,
          `this key does not hold account ${account}`,
          'account',
        );
    }
    const limitText = (q.limit as string | undefined) ?? '100';
    const limit = Number(limitText);
    if (!/^[0-9]{1,4}$/.test(limitText) || limit < 1 || limit > 1000) {
      return bad('limit', 'limit must be an integer 1..1000');
    }
    if (q.cursor !== undefined && q.after !== undefined)
      return bad('cursor', 'give cursor or after, not both');
    const cursor = (q.cursor ?? q.after) as string | undefined;
    let after: { shard: number; engineId: number } | undefined;
    if (cursor !== undefined) {
      after = this.o.store.parseId(cursor);
      if (after === undefined)
        return bad(q.cursor === undefined ? 'after' : 'cursor', `${quoteValue(cursor)} is not an order id`);
    }
    const page = this.o.store.openOrders(accounts, limit + 1, after);
    const more = page.length > limit;
    if (more) page.length = limit;
    return {
      status: 200,
      body: {
        orders: page,
        count: page.length,
        nextCursor: more ? page[page.length - 1].id : null,
      },
    };
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
    const down = this.journalDown(rec.shard);
    if (down !== null) return journalReply(down);
    const fenced = this.fencedReply();
    if (fenced !== null) return fenced;
    let r: ReturnType<LocalShard['cancel']>;
    try {
      r = shard.cancel(rec.engineId);
    } catch (err) {
      return journalReply(err);
    }
    if (r.result !== CancelResult.CANCELLED || rec.status !== OrderStatus.CANCELLED) {
      return coded(TradingErrorCode.ORDER_NOT_CANCELLABLE, `order ${id} is not live`);
    }
    try {
      await this.commits[rec.shard].wait();
    } catch (err) {
      return journalReply(err, rec.id);
    }
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
      // A malformed one (`""`) is the decode's 400 PRT_ERR_INVALID_FIELD, for a trader as for an admin.
      if (scope === undefined || scope.holds(named) || !isWellFormedId(named)) return named;
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
    const unknown = this.unknownAccount(account);
    if (unknown !== undefined) return unknown;
    const fenced = this.fencedReply();
    if (fenced !== null) return fenced;
    this.halted.add(account);
    const open = this.o.store.openOrdersOf(account);
    let cancelled = 0;
    const shards = new Set<number>();
    for (const rec of open) {
      const r = this.o.router.shards[rec.shard].cancel(rec.engineId, CancelReason.HALTED);
      if (r.result === CancelResult.CANCELLED) {
        cancelled++;
        shards.add(rec.shard);
      }
    }
    await Promise.all([...shards].map((s) => this.commits[s].wait()));
    return { status: 200, body: { account, halted: true, cancelled } };
  }

  /**
   * After a restart: the open orders of halted accounts are cancelled (reason `halted`),
   * completing a halt that a crash cut between recording the account (written first) and
   * journalling its cancels. A halted account has no open order otherwise (new ones are
   * refused), so this is a no-op after a halt that was answered. Returns the orders cancelled.
   */
  completeHalts(): number {
    let cancelled = 0;
    for (const account of this.halted.list()) {
      for (const rec of this.o.store.openOrdersOf(account)) {
        const r = this.o.router.shards[rec.shard].cancel(rec.engineId, CancelReason.HALTED);
        if (r.result === CancelResult.CANCELLED) cancelled++;
      }
    }
    return cancelled;
  }

  resume(account: string): GatewayReply {
    if (!this.halted.has(account)) {
      const unknown = this.unknownAccount(account);
      if (unknown !== undefined) return unknown;
    }
    const was = this.halted.delete(account);
    return { status: 200, body: { account, halted: false, wasHalted: was } };
  }

  /**
   * Keys on (the accounts are closed: only the keys' own exist), an account no key holds is
   * 404: an operator's typo must not answer `halted: true` while the real account trades on.
   * Without keys an account can be halted before its first order.
   */
  private unknownAccount(account: string): GatewayReply | undefined {
    if (!this.o.accounts.closed || this.o.accounts.indexOf(account) >= 0) return undefined;
    return coded(
      TradingErrorCode.UNKNOWN_ACCOUNT,
      `no account ${JSON.stringify(account).slice(0, 80)}`,
      'account',
    );
  }

  isHalted(account: string): boolean {
    return this.halted.has(account);
  }

  private riskCheck(req: OrderRequest, consume: boolean): number {
    const accounts = this.o.accounts;
    const fresh = accounts.size;
    const account = accounts.intern(req.account);
    const i = req.inst.index;
    const code = consume
      ? this.o.risk.checkNow(i, req.side, req.type, req.priceTicks, req.lots, account)
      : this.o.risk.peek(i, req.side, req.type, req.priceTicks, req.lots, account);
    // a new account is kept by its first accepted order, not by a check or a refusal
    if (account === fresh && (!consume || code !== RiskCode.OK)) accounts.forgetNewest(account);
    return code;
  }
}

/** 503 TRD_ERR_JOURNAL_UNAVAILABLE with Retry-After: the journal could not take the command. */
function journalReply(err: unknown, orderId?: string): GatewayReply {
  const e = err as Error;
  if (
    !(e instanceof TradingError) ||
    (e.code !== TradingErrorCode.JOURNAL_UNAVAILABLE && e.code !== TradingErrorCode.SHUTTING_DOWN)
  ) {
    throw err;
  }
  const base = errorBody(
    e.code,
    orderId === undefined
      ? `${e.message}; nothing was done, retry later`
      : `${e.message}; order ${orderId} is not acknowledged (retry with the same clientOrderId to learn its fate)`,
  );
  return {
    status: httpStatusOf(e.code),
    headers: { 'retry-after': '1' },
    body: orderId === undefined ? base : { ...base, orderId },
  };
}

/** 409 TRD_ERR_DUPLICATE_CLIENT_ORDER_ID naming the order that used the clientOrderId. */
function duplicateReply(c: OrderCounters, clientOrderId: string, orderId: string): GatewayReply {
  c.reject(TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID);
  const b = errorBody(
    TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID,
    `clientOrderId ${clientOrderId} was already used by order ${orderId}`,
    'clientOrderId',
  );
  return {
    status: httpStatusOf(TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID),
    body: { ...b, orderId },
  };
}

/** A risk denial: 422 TRD_ERR_RISK_REJECTED, or 429 TRD_ERR_RATE_LIMITED + Retry-After, with the reason code. */
function deniedReply(c: OrderCounters, code: number): GatewayReply {
  const reason = riskCodeName(code);
  c.reject(reason);
  // The per-account order rate is a risk denial too, but the client's remedy is to wait.
  const limited = code === RiskCode.RATE_LIMIT_EXCEEDED;
  const coded = limited ? TradingErrorCode.RATE_LIMITED : TradingErrorCode.RISK_REJECTED;
  const b = { error: { code: coded, reason, message: riskCodeMessage(code) } };
  if (limited) return { status: httpStatusOf(coded), headers: { 'retry-after': '1' }, body: b };
  return { status: httpStatusOf(coded), body: b };
}

/** 503 TRD_ERR_RISK_UNAVAILABLE with Retry-After: the central risk manager gave no verdict, nothing was done. */
function riskUnavailableReply(err: unknown): GatewayReply {
  const e = err as Error;
  if (!(e instanceof TradingError) || e.code !== TradingErrorCode.RISK_UNAVAILABLE) throw err;
  return {
    status: httpStatusOf(e.code),
    headers: { 'retry-after': '1' },
    body: errorBody(e.code, `${e.message}; nothing was done, retry later`),
  };
}

/** A coded error reply; the status comes from the one table in errors.ts. */
function coded(code: ErrorCode, message: string, field?: string): GatewayReply {
  return { status: httpStatusOf(code), body: errorBody(code, message, field) };
}
