/**
 * The lease of a role only one process may hold (docs/deployment.md, "Two of one role"): the risk
 * manager (key `risk-manager`) and each symbol's execution engine (key `engine.<symbol>`), in a
 * JetStream key-value bucket on the bus's nats-server (NatsBus.keyValue: file storage, entries
 * expire LEASE_TTL_MS after their last write).
 *
 * - Claim: `create()` of every key, which the server does atomically (it fails when the key
 *   holds a value), so of two processes started at the same instant exactly one gets a key. The
 *   first key (in sorted order) is created alone, then the others at once: two claims of the same
 *   set meet on the first key and the loser takes nothing. A claim that finds a key held releases
 *   what it took, asks the holder directly (./role-in-use.ts: a live owner answers at once, and
 *   the start is refused naming it) and otherwise watches the key: renewed, the holder is alive
 *   (stalled for a moment, or starting at the same instant) and the start is refused; expired
 *   (not renewed for LEASE_TTL_MS: killed, or stalled that long), the claim is made again.
 * - Renewal: the holder writes every key again every LEASE_RENEW_MS, each write conditional on
 *   the key's last revision being its own. Its lease is good until LEASE_TTL_MS after it sent the
 *   last write the server confirmed, less CLOCK_MARGIN_MS, by this process's monotonic clock: the
 *   server expires the key no earlier. `problem()` says when it is not good (a stall, the bus cut
 *   off): the engine then matches no order and the risk manager grants no reservation until a
 *   renewal succeeds. A stalled process that wakes checks this before anything else it read.
 * - A renewal that finds a key gone (expired while this process could not renew) creates it
 *   again; one that finds it held by another process has been taken over: `onLost` (the system
 *   stops itself; the CLI exits 1 with TRD_ERR_SERVICE_IN_USE).
 * - A graceful close deletes the keys: a successor starts at once.
 */
import { randomInt } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import type { LeaseHealth } from '../bus/bus-health.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { goneFromHere, ownIdentity } from '../persistence/process-identity.ts';

/** A key is taken over this long after its holder's last renewal. */
export const LEASE_TTL_MS = 3000;
/** The holder writes its keys again this often. */
export const LEASE_RENEW_MS = 1000;
/** Taken off the holder's own reckoning of its lease (the server's clock may run a little fast). */
const CLOCK_MARGIN_MS = 500;
/** How often a claim that found a key held looks at it again. */
const WATCH_MS = 100;
/** Error code of a conditional write whose expected revision is not the key's (JetStream). */
const WRONG_LAST_SEQUENCE = 10071;

/** A key's value: who holds it. */
export interface LeaseHolder {
  instanceId: string;
  pid: number;
  host: string;
  role: string;
  /** Epoch ms of the claim. */
  since: number;
  /** Its start time, the kernel's boot id and its pid namespace (../persistence/process-identity.ts). */
  started?: string;
  bootId?: string;
  pidNamespace?: string;
}

export interface ClaimOptions {
  kv: KV;
  /** 'execution-engine' or 'risk-manager': said in messages. */
  role: string;
  keys: readonly string[];
  instanceId: string;
  /** Throws TRD_ERR_SERVICE_IN_USE when a live holder answers (./role-in-use.ts). */
  probe: () => Promise<void>;
  /** The refusal when the holder of `key` renewed while this claim waited. */
  refusal: (key: string, holder: LeaseHolder | undefined) => TradingError;
  /** Called once when a renewal finds a key taken by another process. */
  onLost: (err: TradingError) => void;
  report: (line: string) => void;
  /** Warnings (the server back without JetStream); default: report. */
  warn?: (line: string) => void;
  /** False while the bus is away: a close then leaves its keys to expire rather than wait on the bus. */
  connected?: () => boolean;
  /**
   * Opens the bucket again (creating it when absent): a renewal that finds it gone (nats-server
   * restarted with its store lost: a new pod, a new disk) makes it anew and takes its keys there.
   */
  reopen?: () => Promise<KV>;
  /** Calls `back` whenever the bus is connected again (renewed then, not at the next tick); returns the stop. */
  onReconnect?: (back: () => void) => () => void;
}

/** The key of an engine's symbol: JetStream keys take [-/_=.A-Za-z0-9]; anything else is =XX. */
export function engineKey(symbol: string): string {
  return `engine.${symbol.replace(/[^A-Za-z0-9_-]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
}

export const RISK_MANAGER_KEY = 'risk-manager';

const enc = new TextEncoder();

function holderOf(e: KvEntry | null): LeaseHolder | undefined {
  if (e === null || e.operation !== 'PUT') return undefined;
  try {
    return e.json<LeaseHolder>();
  } catch {
    return undefined;
  }
}

function apiCode(err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } })?.api_error?.err_code;
}

/** Names a holder for messages: pid, host and instance. */
export function holderName(h: LeaseHolder | undefined): string {
  return h === undefined ? 'another process' : `pid ${h.pid} on ${h.host} (instance ${h.instanceId})`;
}

/** Whether `err` says the server runs without JetStream (a plain `nats-server`). */
export function noJetStream(err: unknown): boolean {
  return /503|no responders|jetstream not enabled/i.test((err as Error)?.message ?? String(err));
}

/** TRD_ERR_ROLE_LEASE_UNAVAILABLE: the bucket cannot be opened or written (no JetStream, most likely). */
export function leaseUnavailable(role: string, err: unknown): TradingError {
  const m = (err as Error)?.message ?? String(err);
  const hint = noJetStream(err)
    ? ": the bus's nats-server runs without JetStream; start it with -js and a store directory (-sd DIR)"
    : '';
  return new TradingError(
    TradingErrorCode.ROLE_LEASE_UNAVAILABLE,
    `${role}: cannot take its lease on the bus (${m})${hint} (docs/deployment.md, "Two of one role")`,
    'bus',
  );
}

export class RoleLease {
  /**
   * performance.now() when the last renewal the server confirmed was sent: the lease is good
   * until LEASE_TTL_MS after it, less CLOCK_MARGIN_MS.
   */
  private lastConfirmed: number;
  private readonly timer: NodeJS.Timeout;
  /** The renewal under way: a close waits for it (its writes give the keys new revisions). */
  private inflight: Promise<void> | null = null;
  /** The bus came back while a renewal was under way: renew again as soon as it ends. */
  private again = false;
  private lost: TradingError | null = null;
  private closed = false;
  /** A renewal found the server without JetStream (restarted without -js): no lease held. */
  private withoutJetStream = false;
  private readonly offReconnect: (() => void) | undefined;
  private kv: KV;

  private constructor(
    private readonly o: ClaimOptions,
    private readonly value: Uint8Array,
    private readonly revs: Map<string, number>,
    sentAt: number,
  ) {
    this.kv = o.kv;
    this.lastConfirmed = sentAt;
    this.timer = setInterval(() => void this.renew(), LEASE_RENEW_MS);
    this.timer.unref();
    this.offReconnect = o.onReconnect?.(() => this.renewNow());
  }

  /** Takes every key, or throws TRD_ERR_SERVICE_IN_USE (a live holder) or TRD_ERR_ROLE_LEASE_UNAVAILABLE. */
  static async claim(o: ClaimOptions): Promise<RoleLease> {
    const me = ownIdentity();
    const holder: LeaseHolder = {
      instanceId: o.instanceId,
      pid: me.pid,
      host: me.host,
      role: o.role,
      since: Date.now(),
      started: me.started,
      bootId: me.bootId,
      pidNamespace: me.pidNamespace,
    };
    const value = enc.encode(JSON.stringify(holder));
    const keys = [...o.keys].sort();
    // a holder that neither renews nor expires within this (a server that does not expire keys)
    const deadline = performance.now() + 2 * LEASE_TTL_MS + LEASE_RENEW_MS;
    let watched: Map<string, KvEntry | null> | null = null;
    for (;;) {
      const sentAt = performance.now();
      const { revs, held } = await RoleLease.createAll(o, keys, value);
      if (held.length === 0) {
        if (watched !== null) {
          const before = [...watched.values()].map((e) => holderName(holderOf(e)));
          o.report(
            `${o.role}: took over the lease of ${[...new Set(before)].join(', ')}: not renewed for ${LEASE_TTL_MS} ms (killed, or stalled: a stalled one stops itself when it wakes)`,
          );
        }
        return new RoleLease(o, value, revs, sentAt);
      }
      // a live holder answers its subjects at once: refused, named
      await o.probe();
      // a holder on this machine whose process is gone (kill -9, then restarted here): its keys
      // are freed now rather than when they expire (every key of the claim it holds: freeGone)
      if (await RoleLease.freeGone(o, held)) continue;
      const first = watched === null;
      watched ??= new Map();
      for (const k of held) {
        if (!watched.has(k)) watched.set(k, await o.kv.get(k).catch(() => null));
      }
      if (first) {
        const [k, e] = [...watched][0];
        o.report(
          `${o.role}: ${k} is leased to ${holderName(holderOf(e))}, which does not answer: waiting for it to renew its lease (this start is then refused) or to let it expire, ${LEASE_TTL_MS} ms after its last renewal (then taken over)`,
        );
      }
      await RoleLease.watch(o, watched, deadline);
      // the keys watched expired or were released: claim again, after a pause of its own (two
      // claims that took parts of each other's keys do not meet again at once)
      await new Promise((r) => setTimeout(r, randomInt(0, WATCH_MS)));
    }
  }

  /** Creates every key (the first alone); releases what it took when one is held. */
  private static async createAll(
    o: ClaimOptions,
    keys: readonly string[],
    value: Uint8Array,
  ): Promise<{ revs: Map<string, number>; held: string[] }> {
    const revs = new Map<string, number>();
    const held: string[] = [];
    let failure: unknown;
    const one = async (k: string) => {
      try {
        revs.set(k, await o.kv.create(k, value));
      } catch (err) {
        if (apiCode(err) === WRONG_LAST_SEQUENCE) held.push(k);
        else failure ??= err;
      }
    };
    await one(keys[0]);
    if (held.length === 0 && failure === undefined) await Promise.all(keys.slice(1).map(one));
    if (held.length > 0 || failure !== undefined) {
      await Promise.all([...revs].map(([k, rev]) => o.kv.delete(k, { previousSeq: rev }).catch(() => {})));
      revs.clear();
    }
    if (failure !== undefined) throw leaseUnavailable(o.role, failure);
    return { revs, held };
  }

  /**
   * When a key of `held` is held by a process that ran on this machine and is gone (its pid free,
   * a zombie, or another process's: ../persistence/process-identity.ts), deletes every key of
   * this claim that process holds (one line per such holder); true when it deleted any. A holder
   * elsewhere, or one that cannot be checked, is left to its lease.
   */
  private static async freeGone(o: ClaimOptions, held: readonly string[]): Promise<boolean> {
    const entries = await Promise.all(held.map((k) => o.kv.get(k).catch(() => null)));
    const gone = new Set<string>();
    for (const e of entries) {
      const h = holderOf(e);
      if (h !== undefined && goneFromHere(h)) gone.add(h.instanceId);
    }
    if (gone.size === 0) return false;
    // all this claim's keys, not only the first held: one pass frees the dead holder's whole set
    const all = await Promise.all(o.keys.map(async (k) => ({ k, e: await o.kv.get(k).catch(() => null) })));
    const freed = new Map<string, { h: LeaseHolder; keys: string[] }>();
    await Promise.all(
      all.map(async ({ k, e }) => {
        const h = holderOf(e);
        if (e === null || h === undefined || !gone.has(h.instanceId)) return;
        try {
          await o.kv.delete(k, { previousSeq: e.revision });
        } catch {
          return; // renewed or taken meanwhile: the claim finds out
        }
        const f = freed.get(h.instanceId) ?? { h, keys: [] };
        f.keys.push(k);
        freed.set(h.instanceId, f);
      }),
    );
    for (const { h, keys } of freed.values()) {
      const named = keys.length === 1 ? keys[0] : `${keys.length} keys`;
      o.report(
        `${o.role}: took over the lease of ${holderName(h)} (${named}) at once: that process no longer runs on this machine`,
      );
    }
    return freed.size > 0;
  }

  /** Until one of `watched` is renewed by its holder (refused) or none is held any more. */
  private static async watch(
    o: ClaimOptions,
    watched: Map<string, KvEntry | null>,
    deadline: number,
  ): Promise<void> {
    for (;;) {
      let stillHeld = false;
      for (const [k, first] of watched) {
        const now = await o.kv.get(k).catch(() => first);
        const h = holderOf(now);
        if (h === undefined) continue;
        const h0 = holderOf(first);
        if (h0 === undefined || h.instanceId !== h0.instanceId) {
          // another claim took it meanwhile: watch that one from here
          watched.set(k, now);
          stillHeld = true;
          continue;
        }
        if (now !== null && first !== null && now.revision !== first.revision) throw o.refusal(k, h);
        stillHeld = true;
      }
      if (!stillHeld) return;
      if (performance.now() > deadline) {
        const [k, e] = [...watched][0];
        throw o.refusal(k, holderOf(e));
      }
      await new Promise((r) => setTimeout(r, WATCH_MS));
    }
  }

  /**
   * Why this process must not act for its role now (null: the lease is good). One clock read:
   * called for every order.
   */
  problem(): string | null {
    if (this.lost !== null) return this.lost.message;
    const since = performance.now() - this.lastConfirmed;
    if (since < LEASE_TTL_MS - CLOCK_MARGIN_MS) return null;
    void this.renew();
    return `${this.o.role}: its lease was last renewed ${Math.round(since)} ms ago (it is taken over ${LEASE_TTL_MS} ms after): this process was stalled or cut off from the bus; nothing is done until it is renewed`;
  }

  /**
   * What /health says of it: held; lapsed (the service then acts for its role in nothing, its
   * /health is 503); or none held since the server came back without JetStream (the role goes on).
   */
  health(): LeaseHealth {
    const why = this.problem();
    if (why !== null) return { state: 'lapsed', problem: why };
    if (this.withoutJetStream)
      return { state: 'unleased', problem: "the bus's nats-server runs without JetStream" };
    return { state: 'held' };
  }

  /** Writes every key again (conditional on its own last revision); one at a time. */
  renew(): Promise<void> {
    if (this.inflight !== null || this.closed || this.lost !== null)
      return this.inflight ?? Promise.resolve();
    // nothing is sent while the bus is away: its answer could only come as a timeout, after the
    // reconnect, and hold back the renewal made then
    if (this.o.connected?.() === false) return Promise.resolve();
    this.inflight = this.renewAll().finally(() => {
      this.inflight = null;
      if (this.again) {
        this.again = false;
        void this.renew();
      }
    });
    return this.inflight;
  }

  /**
   * The bus is back: renew now. A renewal still under way (sent as the bus went away, its answer
   * lost: it ends with its timeout) is followed by another at once rather than at the next tick.
   */
  private renewNow(): void {
    if (this.inflight !== null) this.again = true;
    else void this.renew();
  }

  private async renewAll(): Promise<void> {
    const sentAt = performance.now();
    let ok = true;
    await Promise.all(
      [...this.revs].map(async ([k, rev]) => {
        if (!(await this.renewKey(k, rev))) ok = false;
      }),
    );
    if (ok && this.lost === null && !this.closed) this.lastConfirmed = sentAt;
  }

  /** One key's renewal; false when it did not (yet) succeed. */
  private async renewKey(k: string, rev: number): Promise<boolean> {
    let kv = this.kv;
    try {
      this.revs.set(k, await kv.update(k, this.value, rev));
      return this.leasedAgain();
    } catch (err) {
      if (apiCode(err) !== WRONG_LAST_SEQUENCE) {
        // no stream answers the write: the bucket is gone (the server lost its store); made anew
        if (!noJetStream(err) || this.o.reopen === undefined) return false; // the bus away: the next tick
        try {
          kv = this.kv = await this.o.reopen();
        } catch (again) {
          // the server came back without JetStream: no lease to hold (as a start there, said
          // once); not fenced for ever. The next ticks try again, and take the keys once it is back.
          if (noJetStream(again) && this.o.connected?.() !== false) return this.unleased();
          return false; // the bus away: the next tick tries again
        }
      }
    }
    let e: KvEntry | null;
    try {
      e = await kv.get(k);
    } catch {
      return false;
    }
    const h = holderOf(e);
    if (h?.instanceId === this.o.instanceId) {
      // our own write whose answer was lost: its revision is ours
      if (e !== null) this.revs.set(k, e.revision);
      return false;
    }
    if (h === undefined) {
      // expired while this process could not renew (it acted on nothing meanwhile): take it again
      try {
        this.revs.set(k, await kv.create(k, this.value));
        return this.leasedAgain();
      } catch {
        return false; // taken meanwhile, or the bus away: the next tick finds out which
      }
    }
    if (this.lost === null && !this.closed) {
      this.lost = new TradingError(
        TradingErrorCode.SERVICE_IN_USE,
        `${this.o.role}: its lease (${k}) was taken over by ${holderName(h)} while this process was stalled or cut off from the bus: it stops (it did nothing since its lease lapsed)`,
      );
      clearInterval(this.timer);
      this.o.onLost(this.lost);
    }
    return false;
  }

  /** A renewal that found the server without JetStream: said once; the role goes on unleased. */
  private unleased(): true {
    if (!this.withoutJetStream) {
      this.withoutJetStream = true;
      (this.o.warn ?? this.o.report)(
        `${this.o.role}: the bus's nats-server came back without JetStream, so this role holds no lease until it runs with -js again: a second ${this.o.role} started meanwhile is refused only if this one answers it (docs/deployment.md, "Two of one role")`,
      );
    }
    return true;
  }

  /** A key written: after a spell without JetStream, said once. */
  private leasedAgain(): true {
    if (this.withoutJetStream) {
      this.withoutJetStream = false;
      this.o.report(
        `${this.o.role}: the bus's nats-server runs with JetStream again: its lease is held again`,
      );
    }
    return true;
  }

  /** Stops renewing and deletes the keys still held (a successor starts at once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.offReconnect?.();
    if (this.lost !== null || this.o.connected?.() === false) return;
    // a renewal sent before this delete changes the revisions it is conditional on
    await this.inflight;
    if (this.lost !== null) return;
    await Promise.all(
      [...this.revs].map(([k, rev]) => this.kv.delete(k, { previousSeq: rev }).catch(() => {})),
    );
  }
}
