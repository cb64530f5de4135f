/**
 * The order-handling core of a process: instruments, accounts, pre-trade risk, matching
 * shards (each with its sequenced input log) behind a router, order records, counters and
 * the gateway. Built once per process that runs the execution engine or the risk manager.
 *
 * With an input log (the default) the core is durable (docs/input-log.md, "Durability and
 * recovery"): it starts from the data directory's newest snapshot plus the journal after
 * it, journals every state-changing command (orders with account and clientOrderId,
 * cancels, last prices, limits) before acknowledging it (group-committed fdatasync with
 * durability 'fsync'), snapshots on a schedule and at close, and prunes by retention.
 */
import { existsSync, renameSync } from 'node:fs';
import type { InstrumentTable } from '@tickstorm/protocol';
import { makeDir } from '@tickstorm/protocol';
import type { EngineListener } from '../book/engine-types.ts';
import { ListenerChain } from '../book/listener-chain.ts';
import { MatchingEngine } from '../book/matching-engine.ts';
import type { OrderBook } from '../book/order-book.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { HaltedAccounts } from '../orders/halted-accounts.ts';
import { OrderCounters } from '../orders/order-counters.ts';
import { OrderGateway } from '../orders/order-gateway.ts';
import type { OrderRequest } from '../orders/order-request.ts';
import { OrderStore } from '../orders/order-store.ts';
import type { RemoteRiskCheck } from '../orders/remote-risk.ts';
import { checkDataFiles } from '../persistence/data-file-access.ts';
import {
  commitFreshFloor,
  freshFloor,
  freshFloorReads,
  settleFreshFloor,
  stageFreshFloor,
} from '../persistence/fresh-floor.ts';
import {
  activeLogPath,
  haltedAccountsPath,
  hasState,
  keepLegacyLog,
  listSnapshots,
  moveStateAside,
  prune,
  removeTempFiles,
  replayJournal,
  segmentPath,
  snapshotPath,
} from '../persistence/journal-dir.ts';
import {
  chooseSnapshot,
  describeSkipped,
  generationFloor,
  type SkippedSnapshot,
  setAsideSkipped,
} from '../persistence/snapshot-choice.ts';
import { readSnapshotMeta, type Sections, writeSnapshotFile } from '../persistence/snapshot-file.ts';
import { captureImage, type ImageMeta, restoreImage } from '../persistence/state-image.ts';
import { AccountRegistry } from '../risk/account-registry.ts';
import { RiskEngine } from '../risk/risk-engine.ts';
import type { RiskLimits } from '../risk/risk-limits.ts';
import { type CommandClock, LocalShard } from '../routing/local-shard.ts';
import { OrderRouter, Router } from '../routing/router.ts';
import { CommandKind, type CommandRecord } from '../sequencing/command-codec.ts';
import type { InputLogReader } from '../sequencing/input-log-reader.ts';
import { fsyncDir, InputLogWriter, type InputLogWriterOptions } from '../sequencing/input-log-writer.ts';

/** 'fsync': acknowledged once fdatasync covered it (survives a power loss); 'write': once written (survives a process crash). */
export type Durability = 'fsync' | 'write';
export const DURABILITIES: readonly Durability[] = ['fsync', 'write'];

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
  /** Default 'fsync' (group-committed fdatasync before every acknowledgement). */
  durability?: Durability;
  /**
   * Central risk in another process (docs/deployment.md, "Risk across processes"): the
   * gateway awaits this check instead of the in-process one, which then only keeps this
   * engine's own positions.
   */
  remoteRisk?: RemoteRiskCheck;
  /** More listeners of every matching engine, after the core's own (e.g. the risk events publisher). */
  listeners?: readonly EngineListener[];
  /** Move the data directory's journals and snapshots aside and start empty (`--fresh`). */
  fresh?: boolean;
  /** Snapshot every so often when the journal moved (default 60,000 ms; 0 = only at close). */
  snapshotIntervalMs?: number;
  /**
   * A start that replayed at least this many journal records past the newest snapshot writes a
   * snapshot at once (default 10,000; with a snapshot interval above 0): a process killed more
   * often than the interval would otherwise replay a longer tail at every start.
   */
  recoverySnapshotRecords?: number;
  /** Snapshots kept (default 2); older ones and the segments only they needed are deleted. 0 = keep everything. */
  retainSnapshots?: number;
  /** Where recovery reports go (default console.log). */
  report?: (line: string) => void;
  /** The partition tag order ids carry (`<tag>.<id>`; cluster/partition.ts); absent = untagged ids. */
  idTag?: string;
  /** Why nothing may be matched now (a NATS role lease that lapsed, cluster/role-lease.ts); null: go on. */
  fenced?: () => string | null;
  /** Keep `<log>.synced` markers of the fdatasync'd offset (crash harness; env TICKSTORM_SYNC_MARKER=1). */
  syncMarker?: boolean;
}

export interface RecoveryReport {
  snapshot: string | null;
  /** Journal records replayed after the snapshot. */
  replayed: number;
  /** Torn tails cut: file, offset, bytes. */
  torn: { file: string; at: number; bytes: number }[];
  movedAside: string | null;
  ms: number;
}

export class TradingCore {
  readonly accounts = new AccountRegistry();
  readonly risk: RiskEngine;
  readonly engines: MatchingEngine[];
  readonly router: OrderRouter<LocalShard>;
  readonly store: OrderStore;
  readonly counters = new OrderCounters();
  readonly gateway: OrderGateway;
  /** Paths of the (active) input logs this run writes. */
  readonly logPaths: string[] = [];
  readonly durability: Durability;
  readonly recovery: RecoveryReport;
  /** Journal write failures seen on the last-price path (never thrown from there). */
  journalErrors = 0;
  snapshotsWritten = 0;
  lastSnapshotMs = 0;
  /** fdatasyncs and write errors of the logs rotated away at snapshots (journalStats counts the whole run). */
  private rotatedSyncs = 0;
  private rotatedWriteErrors = 0;
  private readonly clock: CommandClock = { micros: 0 };
  private readonly logging: boolean;
  private readonly report: (line: string) => void;
  private timer: NodeJS.Timeout | null = null;
  private snapshotSeqSum = -1;
  private closed = false;

  constructor(readonly o: TradingCoreOptions) {
    const t0 = performance.now();
    const n = o.shards ?? 1;
    this.durability = o.durability ?? 'fsync';
    if (!DURABILITIES.includes(this.durability)) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `durability must be fsync or write, got ${this.durability}`,
      );
    }
    this.logging = o.inputLog !== false;
    this.report = o.report ?? ((line) => console.log(line));
    this.risk = new RiskEngine(o.instruments, o.riskLimits, undefined, this.accounts);
    this.store = new OrderStore(o.instruments, n, undefined, o.idTag);
    const clock = this.clock;
    this.store.now = () => clock.micros / 1e6;
    const router = new Router({ shardCount: n, instruments: o.instruments });
    const dir = o.dataDir;
    let movedAside: string | null = null;
    let genFloor = 0;
    let meta: ImageMeta | null = null;
    let snapshot: string | null = null;
    let sections: Sections | null = null;
    let skipped: SkippedSnapshot[] = [];
    if (this.logging) {
      makeDir(dir);
      checkDataFiles(dir);
      const settled = settleFreshFloor(dir, o.fresh === true);
      if (settled !== null) this.report(settled);
      // (an unreadable fresh-floor alone is replaced too: it would refuse every start)
      if (o.fresh === true && (hasState(dir) || !freshFloorReads(dir))) {
        genFloor = generationFloor(dir);
        // staged first, in force once the state is aside: a crash after the move and before
        // the snapshot below keeps the base; one before the move does not renumber that state
        stageFreshFloor(dir, genFloor);
        movedAside = moveStateAside(dir);
        commitFreshFloor(dir);
        if (movedAside !== null) this.report(`--fresh: previous state moved to ${movedAside}`);
      }
      removeTempFiles(dir);
      for (let s = 0; s < n; s++) {
        const legacy = keepLegacyLog(activeLogPath(dir, s));
        if (legacy !== null) this.report(`input log of an older format kept as ${legacy} (not recovered)`);
      }
      const choice = chooseSnapshot(dir);
      skipped = choice.skipped;
      for (const k of skipped)
        this.report(`${describeSkipped([k])}; recovering from an older snapshot, or the whole journal`);
      if (choice.chosen !== null) {
        snapshot = choice.chosen.path;
        sections = choice.chosen.sections;
        meta = choice.chosen.meta;
        if (meta.shards !== n) {
          throw new TradingError(
            TradingErrorCode.INVALID_CONFIG,
            `${dir} holds the state of ${meta.shards} shard(s), not ${n}: start with --shards ${meta.shards}, or --fresh`,
          );
        }
      } else if (existsSync(activeLogPath(dir, n))) {
        throw new TradingError(
          TradingErrorCode.INVALID_CONFIG,
          `${dir} holds an input log of shard ${n}: start with the shard count it was written with, or --fresh`,
        );
      }
    } else if (hasState(dir) && generationFloor(dir) > 1) {
      // the journal's orders would be neither recovered nor counted: this run would issue their
      // ids again, and so would the next journalled start (it continues from the journal)
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `${dir} holds a journal with orders: --no-input-log would issue their order ids again; start with the input log, move the state aside with --fresh (input log on), or use another --data-dir`,
      );
    }
    this.engines = [];
    const chains: ListenerChain[] = [];
    for (let s = 0; s < n; s++) {
      // a snapshot's base; without one, a --fresh's (now, or recorded by one a crash cut short
      // before its snapshot was written)
      const genBase = meta?.engines[s]?.genBase ?? Math.max(genFloor, this.logging ? freshFloor(dir) : 0);
      const engine = new MatchingEngine(o.instruments, { genBase });
      const chain = new ListenerChain([
        this.risk,
        this.counters,
        this.store.listenerFor(s),
        ...(o.listeners ?? []),
      ]);
      engine.listener = chain;
      this.engines.push(engine);
      chains.push(chain);
    }
    const torn: RecoveryReport['torn'] = [];
    let replayed = 0;
    const shards: LocalShard[] = [];
    if (this.logging && meta !== null && sections !== null) {
      restoreImage(
        {
          instruments: o.instruments,
          engines: this.engines,
          risk: this.risk,
          accounts: this.accounts,
          store: this.store,
        },
        sections,
        meta,
      );
      sections = null;
    }
    for (let s = 0; s < n; s++) {
      let log: InputLogWriter | undefined;
      if (this.logging) {
        const after = meta?.lastSeq[s] ?? 0;
        this.counters.recovering = true; // the previous process counted these orders
        let rep: ReturnType<typeof replayJournal>;
        try {
          rep = replayJournal(dir, s, after, (rec, reader) => {
            // without a snapshot nothing else says which --shards wrote the journal: a book
            // this shard does not own means another count (its orders would sit in an
            // engine no request reaches)
            if (
              rec.kind !== CommandKind.CANCEL &&
              rec.kind !== CommandKind.SET_LIMITS &&
              router.shardOf(rec.book) !== s
            )
              throw wrongShardCount(
                reader.path,
                o.instruments.list[rec.book]?.symbol ?? `book ${rec.book}`,
                s,
                n,
              );
            this.applyRecovered(s, rec, reader);
          });
        } catch (err) {
          // an older snapshot whose journal is gone: say which newer one could not be read
          if (skipped.length === 0 || !(err instanceof TradingError)) throw err;
          throw new TradingError(err.code, `${err.message} (${describeSkipped(skipped)})`, err.field);
        } finally {
          this.counters.recovering = false;
        }
        replayed += rep.records;
        const path = activeLogPath(dir, s);
        log = InputLogWriter.open(path, this.writerOptions(rep.lastSeq + 1));
        if (log.lastSeq !== rep.lastSeq) {
          log.closeSync();
          throw new TradingError(
            TradingErrorCode.LOG_CORRUPT,
            `input log ${path}: ends at seq ${log.lastSeq}, but the state recovered reaches seq ${rep.lastSeq}`,
          );
        }
        if (log.truncatedBytes > 0) {
          torn.push({ file: path, at: log.truncatedAt, bytes: log.truncatedBytes });
          this.report(
            `input log ${path}: cut a torn tail of ${log.truncatedBytes} bytes at byte ${log.truncatedAt} (an unacknowledged write)`,
          );
        }
        this.logPaths.push(path);
      }
      shards.push(new LocalShard(this.engines[s], { index: s, log, listener: chains[s], clock }));
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
      remoteRisk: o.remoteRisk,
      fenced: o.fenced,
      halted: new HaltedAccounts(this.logging ? haltedAccountsPath(dir) : undefined),
    });
    this.recovery = { snapshot, replayed, torn, movedAside, ms: performance.now() - t0 };
    // Keys on: their accounts exist from the start, and requests register no new one (after
    // recovery, so that recovered account indexes stay those of the snapshot and journal).
    if (o.accounts !== undefined) {
      for (const a of o.accounts) this.accounts.intern(a);
      this.accounts.closed = true;
    }
    // Open orders on a symbol without a reference price are valued at their prices by the
    // pre-trade check (risk-state.ts), which is not journalled: replayed orders set it again
    // (applyRecovered), a snapshot keeps it; one written before it did, the live orders here.
    if (snapshot !== null || replayed > 0) {
      for (const rec of this.store.exportRecords().live) {
        this.risk.valueOpenOrder(this.accounts.indexOf(rec.account), rec.inst.index, rec.priceTicks);
      }
    }
    if (this.logging && (snapshot !== null || replayed > 0)) {
      this.report(
        `recovered ${this.liveOrders()} live orders from ${snapshot ?? 'no snapshot'} + ${replayed} journal records in ${Math.round(this.recovery.ms)} ms`,
      );
    }
    if (skipped.length > 0) {
      for (const to of setAsideSkipped(dir, skipped)) this.report(`unreadable snapshot kept as ${to}`);
    }
    // Records replayed past the newest snapshot are not in any snapshot yet: the journal has
    // moved since it, so the next scheduled snapshot (or the graceful stop) writes one and
    // the next restart does not replay them again.
    this.snapshotSeqSum = replayed > 0 ? -1 : this.seqSum();
    // A halt cut short by the crash is completed here, after the line above: its cancels move
    // the journal, so the next snapshot covers them.
    const unhalted = this.gateway.completeHalts();
    if (unhalted > 0) {
      this.report(`cancelled ${unhalted} open orders of halted accounts (a halt cut short by the crash)`);
    }
    const every = o.snapshotIntervalMs ?? 60_000;
    if (this.logging && every > 0) {
      this.timer = setInterval(() => {
        if (this.seqSum() !== this.snapshotSeqSum) this.trySnapshot();
      }, every);
      this.timer.unref();
      if (replayed > 0 && replayed >= (o.recoverySnapshotRecords ?? 10_000)) {
        try {
          this.report(`snapshot of the ${replayed} replayed journal records written: ${this.snapshot()}`);
        } catch (err) {
          this.report(`snapshot failed: ${(err as Error).message}`); // the scheduled one tries again
        }
      }
    }
    // After --fresh the generation base the new ids start at is in fresh-floor and in a
    // snapshot (the journal holds commands, not the base): written now, before any order, so
    // that a crash before the first scheduled snapshot replays the new journal onto the same ids.
    if (genFloor > 0 && this.snapshot(false) === null) {
      throw new TradingError(TradingErrorCode.INTERNAL, 'the snapshot after --fresh was not written');
    }
  }

  bookOf(index: number): OrderBook {
    return this.engines[this.router.router.shardOf(index)].books[index];
  }

  liveOrders(): number {
    let n = 0;
    for (const e of this.engines) n += e.liveOrders;
    return n;
  }

  /** Whether market data's `priceTicks` on `book` would fire a pending stop now. */
  firesStopAt(book: number, priceTicks: number): boolean {
    return this.engines[this.router.router.shardOf(book)]?.firesStopAt(book, priceTicks) === true;
  }

  /**
   * An external last price (market data) for stops and the risk band. Journalled, and the
   * journal flushed at the end of this turn (with the stop fills it triggered), not at the
   * next order's. A journal failure is counted and reported, never thrown.
   */
  setLastPrice(book: number, priceTicks: number): void {
    this.risk.setReferencePrice(book, priceTicks);
    try {
      this.router.setLastPrice(book, priceTicks);
    } catch (err) {
      this.journalFailed(err);
      return;
    }
    if (this.logging) {
      this.gateway.commitShard(this.router.router.shardOf(book)).catch((err) => this.journalFailed(err));
    }
  }

  /** PUT /limits: validated, journalled (durably), then applied; resolves to the limits now in force. */
  async updateLimits(patch: unknown): Promise<RiskLimits> {
    const limits = this.risk.previewLimits(patch);
    if (this.logging) {
      const shard = this.router.shards[0];
      shard.log?.appendLimits(JSON.stringify(limits));
      await this.gateway.commitShard(0);
    }
    return this.risk.setLimits(limits);
  }

  /** The journal's state for /health and /metrics. */
  journalStats(): {
    durability: Durability | 'off';
    healthy: boolean;
    writeErrors: number;
    lastSeq: number[];
    syncs: number;
    snapshots: number;
  } {
    let healthy = true;
    let writeErrors = this.journalErrors + this.rotatedWriteErrors;
    let syncs = this.rotatedSyncs;
    for (const s of this.router.shards) {
      if (s.log === null) continue;
      if (s.log.failure !== null) healthy = false;
      writeErrors += s.log.writeErrors;
      syncs += s.log.syncs;
    }
    return {
      durability: this.logging ? this.durability : 'off',
      healthy,
      writeErrors,
      lastSeq: this.router.shards.map((s) => s.log?.lastSeq ?? s.sequencer.lastSeq),
      syncs,
      snapshots: this.snapshotsWritten,
    };
  }

  /**
   * Writes a snapshot now: the active logs are flushed (fdatasync with 'fsync') and, with
   * `rotate` (the default; not at a graceful stop, which leaves the log whole for `tickstorm
   * replay`), renamed into segments; the state is captured, written atomically, then old
   * snapshots and the segments only they needed are pruned. Synchronous (consistent
   * between two commands). Returns the snapshot's path.
   */
  snapshot(rotate = true): string | null {
    if (!this.logging || this.closed) return null;
    const t0 = performance.now();
    const dir = this.o.dataDir;
    const lastSeq: number[] = [];
    // the journal is durable up to the snapshot's seqs whatever the durability: a snapshot never runs ahead of its journal
    for (const shard of this.router.shards) shard.log?.flushSync(true);
    let rotated = false;
    for (const shard of this.router.shards) {
      const log = shard.log!;
      lastSeq.push(log.lastSeq);
      if (!rotate || log.fileFirstSeq === 0) continue;
      renameSync(log.path, segmentPath(dir, shard.index, log.fileFirstSeq));
      log.closeSync();
      this.rotatedSyncs += log.syncs;
      this.rotatedWriteErrors += log.writeErrors;
      shard.log = InputLogWriter.open(activeLogPath(dir, shard.index), this.writerOptions(log.lastSeq + 1));
      shard.log.fault = log.fault;
      rotated = true;
    }
    if (rotated) fsyncDir(dir);
    const snaps = listSnapshots(dir);
    const n = snaps.length === 0 ? 1 : snaps[snaps.length - 1].n + 1;
    const path = snapshotPath(dir, n);
    const image = captureImage(
      {
        instruments: this.o.instruments,
        engines: this.engines,
        risk: this.risk,
        accounts: this.accounts,
        store: this.store,
      },
      lastSeq,
    );
    writeSnapshotFile(path, image);
    this.snapshotSeqSum = this.seqSum();
    this.snapshotsWritten++;
    const retain = this.o.retainSnapshots ?? 2;
    if (retain > 0) {
      prune(dir, retain, (oldest) =>
        oldest.path === path ? lastSeq : readSnapshotMeta(oldest.path).lastSeq,
      );
    }
    this.lastSnapshotMs = performance.now() - t0;
    return path;
  }

  /** Flushes the logs, snapshots (when the journal moved) and closes the logs. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.logging && this.seqSum() !== this.snapshotSeqSum) this.trySnapshot(false);
    this.closed = true;
    for (const shard of this.router.shards) {
      try {
        await shard.close();
      } catch (err) {
        this.report(`input log of shard ${shard.index} closed with an error: ${(err as Error).message}`);
      }
    }
  }

  /** Writes what can be written, synchronously (a fatal error's last act). */
  flushSync(): void {
    for (const s of this.router.shards) {
      try {
        s.log?.flushSync();
      } catch {
        // nothing more can be done
      }
    }
  }

  private writerOptions(nextSeq: number): InputLogWriterOptions {
    return {
      fsync: this.durability === 'fsync',
      nextSeq,
      syncMarker: this.o.syncMarker ?? process.env.TICKSTORM_SYNC_MARKER === '1',
    };
  }

  private trySnapshot(rotate = true): void {
    try {
      this.snapshot(rotate);
    } catch (err) {
      this.report(`snapshot failed: ${(err as Error).message}`);
    }
  }

  private seqSum(): number {
    let n = 0;
    for (const s of this.router?.shards ?? []) n += s.log?.lastSeq ?? 0;
    return n;
  }

  private journalFailed(err: unknown): void {
    this.journalErrors++;
    if (this.journalErrors === 1 || this.journalErrors % 1000 === 0) {
      this.report(
        `journal write failed on the last-price path (${this.journalErrors}): ${(err as Error).message}`,
      );
    }
  }

  /** Applies one recovered journal record to shard `s`'s engine, exactly as the live path did. */
  private applyRecovered(s: number, rec: CommandRecord, reader: InputLogReader): void {
    this.clock.micros = rec.timestamp;
    const engine = this.engines[s];
    switch (rec.kind) {
      case CommandKind.NEW_ORDER: {
        const name =
          reader.accountName !== '' ? reader.accountName : (this.accounts.nameOf(rec.account) ?? 'default');
        const account = this.accounts.intern(name);
        const req: OrderRequest = {
          inst: this.o.instruments.list[rec.book],
          side: rec.side as OrderRequest['side'],
          type: rec.type as OrderRequest['type'],
          priceTicks: rec.priceTicks,
          lots: rec.qty,
          clientOrderId: reader.clientOrderId === '' ? undefined : reader.clientOrderId,
          account: name,
        };
        if (reader.priceAsked > 0) req.priceAsked = reader.priceAsked;
        // The check that passed it (not journalled) valued its cell at its price: again here.
        this.risk.valueOpenOrder(account, rec.book, rec.priceTicks);
        this.store.begin(req, s);
        engine.submit(rec.book, rec.side, rec.type, rec.priceTicks, rec.qty, account);
        this.store.end();
        break;
      }
      case CommandKind.CANCEL:
        engine.cancel(rec.orderId, rec.type);
        break;
      case CommandKind.SET_LAST_PRICE:
        this.risk.setReferencePrice(rec.book, rec.priceTicks);
        engine.setLastPrice(rec.book, rec.priceTicks);
        break;
      case CommandKind.SET_LIMITS:
        this.risk.setLimits(JSON.parse(reader.text));
        break;
    }
  }
}

/** A journal whose records belong to another shard layout than `--shards n`. */
function wrongShardCount(path: string, symbol: string, shard: number, n: number): TradingError {
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `input log ${path} holds commands for ${symbol}, which shard ${shard} does not own with --shards ${n}: it was written with another shard count; start with that --shards, or --fresh`,
    'shards',
  );
}
