/**
 * The order-handling core of a process: instruments, accounts, pre-trade risk, matching
 * shards (each with its sequenced input log) behind a router, order records, counters and
 * the gateway. Built once per process that runs the execution engine or the risk manager.
 */
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { InstrumentTable } from '@tickstorm/protocol';
import { ListenerChain } from '../book/listener-chain.ts';
import { MatchingEngine } from '../book/matching-engine.ts';
import type { OrderBook } from '../book/order-book.ts';
import { OrderCounters } from '../orders/order-counters.ts';
import { OrderGateway } from '../orders/order-gateway.ts';
import { OrderStore } from '../orders/order-store.ts';
import { AccountRegistry } from '../risk/account-registry.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import { LocalShard } from '../routing/local-shard.ts';
import { OrderRouter, Router } from '../routing/router.ts';
import { InputLogWriter } from '../sequencing/input-log-writer.ts';

export interface TradingCoreOptions {
  instruments: InstrumentTable;
  dataDir: string;
  shards?: number;
  /** Write each shard's sequenced input log under dataDir (default true). */
  inputLog?: boolean;
  riskLimits?: RiskLimits;
  maxInFlight?: number;
  /** Keys on: the only accounts (registered now; requests never create one). */
  accounts?: readonly string[];
}

export class TradingCore {
  readonly accounts = new AccountRegistry();
  readonly risk: RiskEngine;
  readonly engines: MatchingEngine[];
  readonly router: OrderRouter<LocalShard>;
  readonly store: OrderStore;
  readonly counters = new OrderCounters();
  readonly gateway: OrderGateway;
  /** Paths of the input logs this run writes. */
  readonly logPaths: string[] = [];

  constructor(readonly o: TradingCoreOptions) {
    const n = o.shards ?? 1;
    if (o.accounts !== undefined) {
      for (const a of o.accounts) this.accounts.intern(a);
      this.accounts.closed = true;
    }
    this.risk = new RiskEngine(o.instruments, o.riskLimits, undefined, this.accounts);
    this.store = new OrderStore(o.instruments, n);
    const router = new Router({ shardCount: n, instruments: o.instruments });
    this.engines = [];
    const shards: LocalShard[] = [];
    if (o.inputLog !== false) mkdirSync(o.dataDir, { recursive: true });
    for (let s = 0; s < n; s++) {
      const engine = new MatchingEngine(o.instruments);
      const listener = new ListenerChain([this.risk, this.counters, this.store.listenerFor(s)]);
      let log: InputLogWriter | undefined;
      if (o.inputLog !== false) {
        const path = join(o.dataDir, `input-log-${s}.bin`);
        keepPrevious(path);
        log = InputLogWriter.open(path);
        this.logPaths.push(path);
      }
      this.engines.push(engine);
      shards.push(new LocalShard(engine, { index: s, log, listener }));
    }
    this.router = new OrderRouter(router, shards);
    this.gateway = new OrderGateway({
      instruments: o.instruments,
      router: this.router,
      risk: this.risk,
      accounts: this.accounts,
      store: this.store,
      counters: this.counters,
      maxInFlight: o.maxInFlight,
    });
  }

  bookOf(index: number): OrderBook {
    return this.engines[this.router.router.shardOf(index)].books[index];
  }

  liveOrders(): number {
    let n = 0;
    for (const e of this.engines) n += e.liveOrders;
    return n;
  }

  /** An external last price (market data) for stops and the risk band. */
  setLastPrice(book: number, priceTicks: number): void {
    this.risk.setReferencePrice(book, priceTicks);
    this.router.setLastPrice(book, priceTicks);
  }

  /** Writes what the logs buffer and closes them. */
  close(): Promise<void> {
    return this.router.close();
  }
}

/**
 * Each run starts a fresh input log; a previous one is kept beside it with its time, for
 * `tickstorm replay`.
 */
function keepPrevious(path: string): void {
  if (!existsSync(path) || statSync(path).size === 0) return;
  const stamp = new Date(statSync(path).mtimeMs).toISOString().replace(/[:.]/g, '-');
  renameSync(path, path.replace(/\.bin$/, `.${stamp}.bin`));
}
