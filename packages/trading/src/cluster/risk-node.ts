/**
 * The central pre-trade risk manager of a split deployment (docs/deployment.md, "Risk across
 * processes"): the process running `risk-manager` with a NATS bus. It holds its own accounts,
 * RiskEngine and limits, and over the bus:
 *
 * - serves Subject.RISK_CHECK (queue RISK): the same seven checks with the same codes as the
 *   in-process path; a pass reserves the order's quantity (./risk-ledger.ts) and answers it;
 * - applies the engines' Subject.RISK_EVENTS (trades, accepts, cancels, releases, states);
 * - takes reference prices from market data (Topic.MARKET_UPDATE) and from trades;
 * - serves Subject.RISK_QUERY (queue RISK): positions and limits;
 * - rebuilds positions and open quantities from the engines at start, when an engine says
 *   hello and when its own bus connection comes back (Subject.RISK_RESYNC), and serves
 *   checks only after a short settle window for the first states to arrive.
 *
 * Its limits survive a restart: `PUT /limits` writes `<dataDir>/risk-limits.json` (atomic,
 * fsynced) before applying them, and the file is read at start.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import type { Bus } from '../bus/bus.ts';
import { type MarketUpdate, Topic } from '../bus/topics.ts';
import { httpStatusOf, TradingErrorCode } from '../errors.ts';
import { errorBody } from '../http/http-app.ts';
import type { AccountScope, GatewayReply } from '../orders/order-gateway.ts';
import { parseOrderRequest } from '../orders/order-request.ts';
import { AccountRegistry, DEFAULT_ACCOUNT } from '../risk/account-registry.ts';
import { RiskCode, riskCodeMessage, riskCodeName } from '../risk/risk-codes.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import type { AccountExposure } from '../risk/risk-positions.ts';
import { RISK_CHECK_TIMEOUT_MS } from './remote-risk-client.ts';
import { RiskLedger, type RiskLedgerOptions, type RiskLedgerStats } from './risk-ledger.ts';
import { readRiskLimitsFile, writeRiskLimitsFile } from './risk-limits-file.ts';
import type { RiskCheckReply, RiskCheckRequest, RiskEventEnvelope, RiskResync } from './risk-wire.ts';
import { Queue, type RiskQuery, Subject } from './subjects.ts';

export interface RiskNodeOptions {
  bus: Bus;
  instruments: InstrumentTable;
  /** Where risk-limits.json lives. */
  dataDir: string;
  /** Limits when none were saved (default DEFAULT_RISK_LIMITS). */
  limits?: RiskLimits;
  /** Keys on: the only accounts. */
  accounts?: readonly string[];
  /** After the first resync, checks are served once this long has passed (default 250 ms). */
  settleMs?: number;
  /** How often expired reservations are swept (default 5,000 ms). */
  sweepMs?: number;
  ledger?: Omit<RiskLedgerOptions, 'wantState' | 'onHello'>;
  report?: (line: string) => void;
  /** Why no reservation may be granted now (its role lease lapsed: cluster/role-lease.ts); null: go on. */
  fenced?: () => string | null;
}

export class RiskNode {
  readonly accounts = new AccountRegistry();
  readonly risk: RiskEngine;
  readonly ledger: RiskLedger;
  /** Resolves once checks are served. */
  readonly ready: Promise<void>;
  private readonly stops: (() => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private resyncScheduled = false;
  private settled: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly o: RiskNodeOptions) {
    const saved = readRiskLimitsFile(o.dataDir, o.instruments);
    this.risk = new RiskEngine(o.instruments, saved ?? o.limits, undefined, this.accounts);
    if (o.accounts !== undefined) {
      for (const a of o.accounts) this.accounts.intern(a);
      this.accounts.closed = true;
    }
    const bus = o.bus;
    this.ledger = new RiskLedger(this.risk, {
      ...o.ledger,
      wantState: (engine, epoch) =>
        bus.publish<RiskResync>(Subject.RISK_RESYNC, { node: bus.instanceId, epoch, engine }),
      onHello: () => this.scheduleResync(),
    });
    this.stops.push(
      bus.subscribe<RiskEventEnvelope>(Subject.RISK_EVENTS, (m) => this.ledger.apply(m.engine, m.e)),
      bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, (u) => {
        this.risk.setReferencePrice(u.book, u.lastTicks);
      }),
      bus.serve<RiskQuery, AccountExposure[] | RiskLimits>(
        Subject.RISK_QUERY,
        (q) => (q.op === 'limits' ? this.risk.getLimits() : this.risk.positions(q.account)),
        Queue.RISK,
      ),
      bus.onState((s) => {
        if (s === 'connected') this.scheduleResync();
      }),
    );
    this.resync();
    this.ready = new Promise<void>((resolve) => {
      this.settled = resolve;
      const t = setTimeout(() => {
        if (this.closed) return resolve();
        this.stops.push(
          bus.serve<RiskCheckRequest, RiskCheckReply>(
            Subject.RISK_CHECK,
            (q) => {
              // No verdict while positions are rebuilt: the engine asks again (within its budget).
              if (this.ledger.rebuilding()) return { code: -1, res: null, retryInMs: 10 };
              // a stalled node that wakes grants nothing before its lease is renewed (the engine: 503)
              const fenced = o.fenced?.() ?? null;
              if (fenced !== null) throw new Error(fenced);
              const code = this.ledger.check(q);
              return { code, res: code === RiskCode.OK ? q.res : null };
            },
            Queue.RISK,
          ),
        );
        // One round trip on this connection after the subscription: once it is answered, the
        // server has the subscription too, and engines' checks find this node.
        bus
          .request(Subject.RISK_QUERY, { op: 'limits' }, RISK_CHECK_TIMEOUT_MS)
          .catch(() => {})
          .then(() => resolve());
      }, o.settleMs ?? 250);
      this.timers.push(t);
    });
    const sweep = setInterval(() => this.ledger.sweep(), o.sweepMs ?? 5000);
    sweep.unref();
    this.timers.push(sweep);
  }

  /** Starts the node; resolves once it serves checks. */
  static async start(o: RiskNodeOptions): Promise<RiskNode> {
    const node = new RiskNode(o);
    await node.ready;
    return node;
  }

  /** Asks every engine for its state and rebuilds from the answers; returns the epoch. */
  resync(): number {
    const epoch = this.ledger.resync();
    this.o.bus.publish<RiskResync>(Subject.RISK_RESYNC, { node: this.o.bus.instanceId, epoch });
    return epoch;
  }

  /** PUT /limits: validated, saved durably, then applied. */
  async updateLimits(patch: unknown): Promise<RiskLimits> {
    const limits = this.risk.previewLimits(patch);
    writeRiskLimitsFile(this.o.dataDir, limits);
    return this.risk.setLimits(limits);
  }

  /** POST /check: the verdict on this node's state, nothing reserved. */
  check(body: unknown, scope?: AccountScope): GatewayReply {
    const named =
      body !== null && typeof body === 'object' ? (body as { account?: unknown }).account : undefined;
    let account = scope?.accounts[0] ?? DEFAULT_ACCOUNT;
    if (typeof named === 'string') {
      if (scope !== undefined && !scope.holds(named)) {
        const code = TradingErrorCode.ACCOUNT_FORBIDDEN;
        return {
          status: httpStatusOf(code),
          body: errorBody(
            code,
            `this key does not hold account ${JSON.stringify(named).slice(0, 80)}`,
            'account',
          ),
        };
      }
      account = named;
    }
    const req = parseOrderRequest(body, this.o.instruments, account);
    const fresh = this.accounts.size;
    const a = this.accounts.intern(req.account);
    const code = this.risk.peek(req.inst.index, req.side, req.type, req.priceTicks, req.lots, a);
    // a check places nothing: a new account is not kept by it (AccountRegistry.forgetNewest)
    if (a === fresh) this.accounts.forgetNewest(a);
    return {
      status: 200,
      body: { allowed: code === RiskCode.OK, code: riskCodeName(code), message: riskCodeMessage(code) },
    };
  }

  stats(): RiskLedgerStats {
    return this.ledger.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.stops.splice(0)) s();
    this.settled?.();
  }

  private scheduleResync(): void {
    if (this.resyncScheduled || this.closed) return;
    this.resyncScheduled = true;
    setImmediate(() => {
      this.resyncScheduled = false;
      if (!this.closed) this.resync();
    });
  }
}
