/**
 * The swarm: Locust's runner, for the TypeScript user classes. It owns the test's state
 * (ready → spawning → running → stopping → stopped), spawns users at the spawn rate up to
 * the target (class by class in ClassMix order, spread round-robin over the hosts), retires
 * the newest users first when the target drops, follows a LoadTestShape when the file has
 * one, stops after `runTimeSec`, and merges the hosts' statistics exactly.
 *
 *   const swarm = new SwarmController({ file, classNames: [], host: 'http://127.0.0.1:8000', processes: 2 });
 *   await swarm.start({ users: 100, spawnRate: 10 });   // again while running: new target
 *   swarm.view();                                       // live, merged: state, users, ScenarioResult
 *   await swarm.stop(); const result = swarm.result();   // then reports and thresholds
 *   await swarm.close();
 *
 * Readers (console, web UI, reports) only read `view()` / `result()`; users only emit
 * request events into their host's statistics.
 */
import { EventEmitter } from 'node:events';
import type { ScenarioResult, TimeSlice } from '../model/result.ts';
import { assessHealth, ProcessCpu, type ThreadHealth, ThreadMonitor } from '../monitor/health.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { toScenarioResult } from '../stats/to-result.ts';
import { epochMsToUs, epochNowMs } from '../util/clock.ts';
import { ClassMix } from './class-mix.ts';
import type { UserClass } from './user.ts';
import { pickClasses, type UserFile } from './user-file.ts';
import { type HostSnapshot, LocalUserHost, type UserHost } from './user-host.ts';
import type { ExceptionRow } from './user-runner.ts';
import { WorkerUserHost } from './worker-host.ts';

export type SwarmState = 'ready' | 'spawning' | 'running' | 'stopping' | 'stopped';

export interface SwarmOptions {
  file: UserFile;
  /** Classes to run (command line / class picker); empty = all in the file. */
  classNames: readonly string[];
  /** Let the web UI choose the classes of each new test (Locust's --class-picker). */
  classPicker?: boolean;
  /** Default base URL (-H); a class's static host wins. */
  host: string;
  /** Hosts: 1 = users in this thread; N = N worker threads. */
  processes?: number;
  /** Stop this many seconds after the start (-t). */
  runTimeSec?: number;
  seed?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Scenario name in results (default: the file's base name). */
  name?: string;
}

export interface SwarmStart {
  users: number;
  spawnRate: number;
  /** New default host (only before a test starts). */
  host?: string;
  /** User classes for a new test (only before a test starts; the class picker). */
  userClasses?: string[];
}

export interface SwarmView {
  state: SwarmState;
  host: string;
  users: number;
  targetUsers: number;
  spawnRate: number;
  usersByClass: Record<string, number>;
  classNames: string[];
  /** Every class in the file, and whether the web UI may choose among them. */
  availableClasses: string[];
  classPicker: boolean;
  /** Epoch ms the test started (null before), and the stats period's start. */
  startedAt: number | null;
  statsStartedAt: number | null;
  /** The merged statistics so far (entries, failures, per-second series). */
  result: ScenarioResult;
  exceptions: ExceptionRow[];
  errors: string[];
}

const SPAWN_TICK_MS = 50;

export class SwarmController extends EventEmitter {
  state: SwarmState = 'ready';
  host: string;
  targetUsers = 0;
  spawnRate = 1;
  classNames: string[] = [];
  readonly errors: string[] = [];
  private classes: UserClass[] = [];
  private mix = new ClassMix([]);
  private hosts: UserHost[] = [];
  /** Spawned users, oldest first: [host index, class index]. */
  private readonly active: [number, number][] = [];
  private nextUserId = 0;
  /** Users per class now, and the most at once in this test. */
  private counts: number[] = [];
  private peak: number[] = [];
  private startedAt: number | null = null;
  private statsStartedAt: number | null = null;
  private endedAt: number | null = null;
  private timelineStats: RequestStats | null = null;
  private spawnTimer: NodeJS.Timeout | undefined;
  private runTimer: NodeJS.Timeout | undefined;
  private shapeTimer: NodeJS.Timeout | undefined;
  private spawnBase = 0;
  private spawnFrom = 0;
  private cpu = new ProcessCpu();
  private monitor = new ThreadMonitor();
  private stopping: Promise<void> | null = null;
  private finalResult: ScenarioResult | null = null;
  private threadHealth: ThreadHealth | null = null;

  constructor(readonly o: SwarmOptions) {
    super();
    this.host = o.host;
    this.selectClasses(o.classNames);
  }

  /** The classes of the next test: names from the file (empty = all). Not while a test runs. */
  selectClasses(names: readonly string[]): void {
    if (this.state !== 'ready' && this.state !== 'stopped') {
      throw new RangeError('user classes can change only while no test runs');
    }
    this.classes = pickClasses(this.o.file, names);
    this.classNames = names.length > 0 ? [...new Set(names)] : [...this.o.file.classes.keys()];
    this.mix = new ClassMix(
      this.classes.map((c) => ({ weight: c.weight ?? 1, fixedCount: c.fixedCount ?? 0 })),
    );
  }

  get users(): number {
    return this.active.length;
  }

  /** Starts a test (from ready/stopped: fresh statistics), or re-targets the running one. */
  async start(s: SwarmStart): Promise<void> {
    const problems = validateStart(s);
    if (problems.length > 0) throw new RangeError(problems.join('; '));
    if (this.state === 'stopping') await this.stopping;
    const live = this.state === 'spawning' || this.state === 'running';
    if (live && s.userClasses !== undefined && s.userClasses.join() !== this.classNames.join()) {
      throw new RangeError('user classes can change only while no test runs');
    }
    this.targetUsers = s.users;
    this.spawnRate = s.spawnRate;
    if (this.state === 'ready' || this.state === 'stopped') {
      if (s.userClasses !== undefined) this.selectClasses(s.userClasses);
      if (s.host !== undefined) this.host = s.host;
      await this.begin();
      this.o.file.shape?.reset();
      if (this.o.file.shape !== null) this.followShape();
    }
    this.spawnFrom = this.active.length;
    this.spawnBase = performance.now();
    this.setState(this.active.length === this.targetUsers ? 'running' : 'spawning');
    clearInterval(this.spawnTimer);
    this.spawnTimer = setInterval(() => this.adjust(), SPAWN_TICK_MS);
    this.adjust();
  }

  /** Stops every user; statistics stay readable. */
  stop(): Promise<void> {
    if (this.state === 'ready' || this.state === 'stopped') return Promise.resolve();
    this.stopping ??= (async () => {
      this.setState('stopping');
      clearInterval(this.spawnTimer);
      clearTimeout(this.runTimer);
      clearInterval(this.shapeTimer);
      this.active.length = 0;
      this.counts.fill(0);
      await Promise.all(this.hosts.map((h) => h.stop()));
      this.endedAt = epochNowMs();
      this.finalResult = this.buildResult();
      await Promise.all(this.hosts.map((h) => h.close()));
      this.hosts = [];
      this.setState('stopped');
      this.stopping = null;
      this.emit('stopped', this.finalResult);
    })();
    return this.stopping;
  }

  /** Locust's "reset stats": clears the table; the test and the time series go on. */
  resetStats(): void {
    for (const h of this.hosts) h.resetStats();
    this.statsStartedAt = epochNowMs();
    this.finalResult = null;
  }

  view(): SwarmView {
    const snaps = this.hosts.map((h) => h.snapshot());
    return {
      state: this.state,
      host: this.host,
      users: this.active.length,
      targetUsers: this.targetUsers,
      spawnRate: this.spawnRate,
      usersByClass: this.byClass(this.active),
      classNames: this.classNames,
      availableClasses: [...this.o.file.classes.keys()],
      classPicker: this.o.classPicker === true,
      startedAt: this.startedAt,
      statsStartedAt: this.statsStartedAt,
      result: this.finalResult ?? this.buildResult(snaps),
      exceptions: mergeExceptions(snaps),
      errors: [...this.errors],
    };
  }

  /** The test's merged result (final once stopped). */
  result(): ScenarioResult {
    return this.finalResult ?? this.buildResult();
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private byClass(users: readonly [number, number][]): Record<string, number> {
    const n = this.classNames.map(() => 0);
    for (const [, cls] of users) n[cls]++;
    return Object.fromEntries(this.classNames.map((name, i) => [name, n[i]]));
  }

  private setState(s: SwarmState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private async begin(): Promise<void> {
    const startEpochMs = epochNowMs();
    const n = Math.max(1, Math.floor(this.o.processes ?? 1));
    const stats = new RequestStats({ startUs: epochMsToUs(startEpochMs), startEpochMs, reporters: n });
    stats.timeline.onSlice = (slice: TimeSlice) => this.emit('slice', slice);
    const onRaw = stats.timeline.mergeRaw.bind(stats.timeline);
    const init = { startEpochMs, seed: this.o.seed ?? 1, timeoutMs: this.o.timeoutMs };
    if (n === 1) this.hosts = [new LocalUserHost(this.classes, init, onRaw)];
    else {
      const onError = (m: string) => this.errors.push(m);
      const data = { ...init, file: this.o.file.path, classNames: this.classNames };
      this.hosts = await Promise.all(
        Array.from({ length: n }, () => WorkerUserHost.start(data, onRaw, onError)),
      );
    }
    this.timelineStats = stats;
    this.startedAt = startEpochMs;
    // rates count from when users can start (worker threads take a moment to load the file)
    this.statsStartedAt = epochNowMs();
    this.counts = this.classes.map(() => 0);
    this.peak = this.classes.map(() => 0);
    this.endedAt = null;
    this.finalResult = null;
    this.errors.length = 0;
    this.nextUserId = 0;
    this.cpu = new ProcessCpu().start();
    this.monitor = new ThreadMonitor().start();
    this.threadHealth = null;
    if (this.o.runTimeSec !== undefined && this.o.runTimeSec > 0) {
      this.runTimer = setTimeout(() => void this.stop(), this.o.runTimeSec * 1000);
    }
  }

  /** One spawn tick: move the user count toward the target at the spawn rate. */
  private adjust(): void {
    const target = this.targetUsers;
    const due = Math.floor(((performance.now() - this.spawnBase) / 1000) * this.spawnRate);
    const have = this.active.length;
    if (have < target) {
      const want = Math.min(target, this.spawnFrom + due);
      for (let i = have; i < want; i++) {
        const cls = this.mix.classAt(i);
        if (cls < 0) break;
        const h = i % this.hosts.length;
        this.hosts[h].spawn(cls, this.nextUserId++, this.host);
        this.active.push([h, cls]);
        this.counts[cls]++;
        if (this.counts[cls] > this.peak[cls]) this.peak[cls] = this.counts[cls];
      }
    } else if (have > target) {
      const want = Math.max(target, this.spawnFrom - due);
      while (this.active.length > want) {
        const [h, cls] = this.active.pop()!;
        this.hosts[h].retire(cls);
        this.counts[cls]--;
      }
    }
    if (this.active.length === target || this.mix.classAt(this.active.length) < 0) {
      clearInterval(this.spawnTimer);
      if (this.state === 'spawning') this.setState('running');
    }
  }

  private followShape(): void {
    const shape = this.o.file.shape!;
    const tick = () => {
      const t = shape.tick();
      if (t === null) {
        void this.stop();
        return;
      }
      if (t.users !== this.targetUsers || t.spawnRate !== this.spawnRate) {
        this.targetUsers = t.users;
        this.spawnRate = t.spawnRate;
        this.spawnFrom = this.active.length;
        this.spawnBase = performance.now();
        clearInterval(this.spawnTimer);
        this.spawnTimer = setInterval(() => this.adjust(), SPAWN_TICK_MS);
      }
    };
    tick();
    this.shapeTimer = setInterval(tick, 1000);
  }

  private buildResult(snaps: HostSnapshot[] = this.hosts.map((h) => h.snapshot())): ScenarioResult {
    const merged = this.timelineStats ?? new RequestStats();
    const view = new RequestStats();
    for (const s of snaps) view.merge(s.stats);
    if (this.endedAt !== null) merged.timeline.flush();
    const end = this.endedAt ?? epochNowMs();
    const from = this.statsStartedAt ?? end;
    const cpu = this.cpu.stop();
    const health = assessHealth({
      model: 'closed',
      cpuPercent: cpu.percent,
      threads: this.endedAt === null ? [] : [(this.threadHealth ??= this.monitor.stop())],
      workers: Math.max(1, this.hosts.length || (this.o.processes ?? 1)),
      dropped: 0,
      maxVUs: this.targetUsers,
      planned: 0,
      started: 0,
      startLagP99Ms: 0,
    });
    const result = toScenarioResult(view, {
      scenario: this.o.name ?? 'swarm',
      params: {
        users: this.targetUsers,
        spawnRate: this.spawnRate,
        host: this.host,
        classes: this.classNames,
        processes: this.o.processes ?? 1,
      },
      startedAt: this.startedAt ?? end,
      durationSec: Math.max(0, (end - from) / 1000),
      generator: health,
      extra: {
        generatorCpuSec: Math.round(cpu.cpuSec * 1000) / 1000,
        exceptions: mergeExceptions(snaps),
        usersByClass: this.byClass(this.active),
        peakUsersByClass: Object.fromEntries(this.classNames.map((n, i) => [n, this.peak[i]])),
        peakUsers: this.peak.reduce((a, b) => a + b, 0),
      },
    });
    // entries come from the hosts' snapshots, the time series from their merged raw seconds
    result.timeseries = merged.timeline.slices;
    return result;
  }
}

function mergeExceptions(snaps: HostSnapshot[]): ExceptionRow[] {
  const m = new Map<string, ExceptionRow>();
  for (const s of snaps) {
    for (const e of s.exceptions) {
      const k = `${e.message}\u0000${e.traceback}`;
      const row = m.get(k);
      if (row !== undefined) row.count += e.count;
      else m.set(k, { ...e });
    }
  }
  return [...m.values()].sort((a, b) => b.count - a.count);
}

/** Every problem with a start request at once. */
export function validateStart(s: SwarmStart): string[] {
  const out: string[] = [];
  if (!Number.isInteger(s.users) || s.users < 0) out.push(`users must be an integer >= 0, got ${s.users}`);
  if (typeof s.spawnRate !== 'number' || !Number.isFinite(s.spawnRate) || s.spawnRate <= 0)
    out.push(`spawn rate must be a number > 0 users/s, got ${s.spawnRate}`);
  if (s.host !== undefined && !/^https?:\/\/[^\s/]+/.test(s.host))
    out.push(`host must be an http:// or https:// URL, got ${s.host}`);
  if (
    s.userClasses !== undefined &&
    (!Array.isArray(s.userClasses) ||
      s.userClasses.length === 0 ||
      s.userClasses.some((c) => typeof c !== 'string'))
  )
    out.push('user classes must be a non-empty list of class names');
  return out;
}
