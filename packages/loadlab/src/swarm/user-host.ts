/**
 * Where users run: a UserHost is one thread's UserRunner with its own RequestStats. The
 * swarm drives N hosts (`--processes N`: N worker threads; 1: this thread) through the same
 * interface, and merges their statistics exactly: every host streams its closed seconds
 * RAW (sparse HdrHistogram counts) into the swarm's Timeline and reports a cumulative
 * snapshot; the swarm's view is the merge of the latest snapshot of each host.
 */

import type { TlsOptions } from '../clients/tls-options.ts';
import type { GeneratorHealth } from '../model/result.ts';
import { RequestEvents } from '../stats/events.ts';
import { RequestStats, type StatsSnapshot } from '../stats/request-stats.ts';
import type { RawSlice } from '../stats/timeline.ts';
import { epochMsToUs, nowUs } from '../util/clock.ts';
import { events as hooks } from './test-events.ts';
import type { TaskFilter, UserClass } from './user.ts';
import type { UserNotice } from './user-control.ts';
import { type ExceptionRow, UserRunner } from './user-runner.ts';

export interface HostSnapshot {
  stats: StatsSnapshot;
  exceptions: ExceptionRow[];
  users: number;
  usersByClass: number[];
  /** A remote worker's final snapshot: its own generator health over the test. */
  health?: WorkerHealth;
}

/** One `--worker` process's generator health (its CPU and event loop), as it measured it. */
export interface WorkerHealth extends GeneratorHealth {
  cpuSec: number;
  /** The worker's id (set by the master). */
  id?: string;
}

export interface UserHost {
  /** A remote worker's id (for the lines about it). */
  readonly id?: string;
  /** True once the host went away for good (a missing remote worker): no more users go there. */
  readonly gone?: boolean;
  /** Set by the swarm: what the host's users ask (StopUser, StopTest, runner.quit()). */
  notify?: (n: UserNotice) => void;
  spawn(cls: number, userId: number, host: string): void;
  retire(cls: number): void;
  resetStats(): void;
  /** The latest cumulative snapshot. */
  snapshot(): HostSnapshot;
  /** Stops every user; resolves after the last raw second and the final snapshot arrived. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface HostInit {
  /** The test's start, epoch ms (aligns every host's seconds). */
  startEpochMs: number;
  seed: number;
  timeoutMs?: number;
  /** Locust's --stop-timeout (ms): a stopped user finishes its task within this, then is aborted. */
  stopTimeoutMs?: number;
  tls?: TlsOptions;
  taskFilter?: TaskFilter;
  /** Each closed second carries its detail (per type and name latency buckets; a Prometheus exporter's). */
  sliceDetail?: boolean;
  /** Each closed second carries its per (type, name) figures (Locust's --csv-full-history). */
  fullHistory?: boolean;
}

/** A host's stats and runner, in whichever thread it lives. */
export class HostCore {
  readonly events = new RequestEvents();
  readonly stats: RequestStats;
  readonly runner: UserRunner;
  private readonly ticker: NodeJS.Timeout;

  constructor(
    classes: readonly UserClass[],
    init: HostInit,
    onRaw: (s: RawSlice) => void,
    onNotice?: (n: UserNotice) => void,
  ) {
    this.stats = new RequestStats({
      startUs: epochMsToUs(init.startEpochMs),
      startEpochMs: init.startEpochMs,
      sliceDetail: init.sliceDetail === true,
      fullHistory: init.fullHistory === true,
    });
    this.stats.attach(this.events);
    // Locust's events.request, on this node: after the statistics, only while a listener is registered
    const request = hooks.request;
    const onError = (e: unknown) => this.runner.recordException(e);
    this.events.on((ev) => {
      if (request.active) request.emit(ev, onError);
    });
    this.stats.timeline.onRaw = onRaw;
    this.stats.timeline.active = () => this.runner.users;
    this.runner = new UserRunner({
      classes,
      events: this.events,
      seed: init.seed,
      timeoutMs: init.timeoutMs,
      stopTimeoutMs: init.stopTimeoutMs,
      tls: init.tls,
      taskFilter: init.taskFilter,
      onNotice,
    });
    // close idle seconds too, so the merged series never waits for a quiet thread
    this.ticker = setInterval(() => this.stats.timeline.advance(nowUs()), 200);
  }

  snapshot(): HostSnapshot {
    return {
      stats: this.stats.snapshot(),
      exceptions: [...this.runner.exceptions.values()].map((e) => ({ ...e })),
      users: this.runner.users,
      usersByClass: this.runner.usersByClass(),
    };
  }

  resetStats(): void {
    this.stats.resetEntries();
    this.runner.exceptions.clear();
  }

  async stop(): Promise<HostSnapshot> {
    await this.runner.stopAll();
    clearInterval(this.ticker);
    this.stats.timeline.advance(nowUs());
    this.stats.timeline.finish();
    return this.snapshot();
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    await this.runner.close();
  }
}

/** Users in this thread. */
export class LocalUserHost implements UserHost {
  private readonly core: HostCore;
  private final: HostSnapshot | null = null;
  notify?: (n: UserNotice) => void;

  constructor(classes: readonly UserClass[], init: HostInit, onRaw: (s: RawSlice) => void) {
    this.core = new HostCore(classes, init, onRaw, (n) => this.notify?.(n));
  }

  spawn(cls: number, userId: number, host: string): void {
    this.core.runner.spawn(cls, userId, host);
  }
  retire(cls: number): void {
    this.core.runner.retire(cls);
  }
  resetStats(): void {
    this.core.resetStats();
  }
  snapshot(): HostSnapshot {
    return this.final ?? this.core.snapshot();
  }
  async stop(): Promise<void> {
    this.final ??= await this.core.stop();
  }
  close(): Promise<void> {
    return this.core.close();
  }
}
