/**
 * The swarm: Locust's runner, for the TypeScript user classes. It owns the test's state
 * (ready → starting → spawning → running → stopping → stopped), spawns users at the spawn
 * rate up to the target (class by class in ClassMix order, spread round-robin over the
 * hosts), retires the newest users first when the target drops, follows a LoadTestShape
 * when the file has one, stops after `runTimeSec`, and merges the hosts' statistics exactly.
 *
 *   const swarm = new SwarmController({ file, classNames: [], host: 'http://127.0.0.1:8000', processes: 2 });
 *   await swarm.start({ users: 100, spawnRate: 10 });   // again while running: new target
 *   swarm.view();                                       // live, merged: state, users, ScenarioResult
 *   await swarm.stop(); const result = swarm.result();   // then reports and thresholds
 *   await swarm.close();
 *
 * One transition at a time: a start waits for a start or stop in progress; a stop during
 * `starting` takes the new test down as soon as its hosts are up. A worker thread that dies,
 * or a load shape that throws or answers nonsense, ends the test with the reason in `errors`.
 * Readers (console, web UI, reports) only read `view()` / `result()`.
 *
 * A remote worker that joins while the test runs (the provider's onJoined) becomes one more
 * host: its seconds are awaited in the time series from the second it joined, the next users
 * go to it first (the least-loaded host), and with `enableRebalancing` users move to it at
 * once so the hosts stay even (Locust's --enable-rebalancing).
 *
 * A user that stops itself (StopUser) leaves the counts; one that throws StopTest or calls
 * `environment.runner.quit()`, on any host, stops the test: the swarm emits 'stop-test'
 * ({ reason, quit }: quit asks the session to end too), then stops as at the end of -t.
 */
import { EventEmitter } from 'node:events';
import { LabError, LabErrorCode } from '../errors.ts';
import type { ScenarioResult, TimeSlice } from '../model/result.ts';
import { ProcessCpu, type ThreadHealth, ThreadMonitor } from '../monitor/health.ts';
import { CurrentWindow } from '../stats/current-window.ts';
import { RequestStats } from '../stats/request-stats.ts';
import type { SliceDetail } from '../stats/slice-detail.ts';
import type { LateReporter, RawSlice } from '../stats/timeline.ts';
import { epochMsToUs, epochNowMs } from '../util/clock.ts';
import { ClassMix } from './class-mix.ts';
import { Spawner } from './spawner.ts';
import { buildSwarmResult, mergeExceptions } from './swarm-result.ts';
import type { SwarmOptions, SwarmStart, SwarmState, SwarmView } from './swarm-types.ts';
import { validateStart } from './swarm-types.ts';
import { events } from './test-events.ts';
import { fixedCountOf, type UserClass } from './user.ts';
import type { UserEnvironment, UserNotice } from './user-control.ts';
import { pickClasses } from './user-file.ts';
import { type HostSnapshot, LocalUserHost, type UserHost } from './user-host.ts';
import { WorkerUserHost } from './worker-host.ts';

export type { SwarmOptions, SwarmStart, SwarmState, SwarmView } from './swarm-types.ts';
export { MAX_USERS, validateStart } from './swarm-types.ts';

export class SwarmController extends EventEmitter {
  state: SwarmState = 'ready';
  host: string;
  classNames: string[] = [];
  readonly errors: string[] = [];
  /** Why a host was lost while the test started (state 'starting'), handled once it started. */
  private lostAtStart: string | null = null;
  private classes: UserClass[] = [];
  private mix = new ClassMix([]);
  private hosts: UserHost[] = [];
  /** The current (or last) test's spawn schedule. */
  private spawner: Spawner | null = null;
  private startedAt: number | null = null;
  private statsStartedAt: number | null = null;
  private endedAt: number | null = null;
  private timelineStats: RequestStats | null = null;
  private runTimer: NodeJS.Timeout | undefined;
  /** The run time of the current (or next) test, seconds; 0 or undefined: until stopped. */
  runTimeSec: number | undefined;
  private shapeTimer: NodeJS.Timeout | undefined;
  private cpu = new ProcessCpu();
  private monitor = new ThreadMonitor();
  /** A start's host launch in progress; a stop asked meanwhile. */
  private launching: Promise<void> | null = null;
  private stopAsked = false;
  private stopping: Promise<void> | null = null;
  private finalResult: ScenarioResult | null = null;
  private threadHealth: ThreadHealth | null = null;
  /** Hosts that joined the running test, with their place in the time series. */
  private late = new Map<UserHost, LateReporter>();
  /** Locust's `environment`, as this node's test_start / test_stop listeners get it. */
  private readonly environment: UserEnvironment = {
    runner: {
      quit: () => {
        this.emit('stop-test', { reason: 'runner.quit()', quit: true });
        void this.stop();
      },
    },
  };

  constructor(readonly o: SwarmOptions) {
    super();
    this.host = o.host;
    this.runTimeSec = o.runTimeSec;
    this.selectClasses(o.classNames);
  }

  /** The classes of the next test: names from the file (empty = all). Not while a test runs. */
  selectClasses(names: readonly string[]): void {
    if (this.state !== 'ready' && this.state !== 'stopped') {
      throw new LabError(LabErrorCode.INVALID_SWARM, 'user classes can change only while no test runs');
    }
    this.classes = pickClasses(this.o.file, names);
    this.classNames = names.length > 0 ? [...new Set(names)] : [...this.o.file.classes.keys()];
    this.mix = new ClassMix(
      this.classes.map((c) => ({ weight: c.weight ?? 1, fixedCount: fixedCountOf(c) ?? 0 })),
    );
  }

  get users(): number {
    return this.spawner?.users ?? 0;
  }

  get targetUsers(): number {
    return this.spawner?.targetUsers ?? 0;
  }

  get spawnRate(): number {
    return this.spawner?.spawnRate ?? 1;
  }

  /** Epoch ms the current (or last) test started; null before the first. */
  get testStartedAt(): number | null {
    return this.startedAt;
  }

  private get live(): boolean {
    return this.state === 'spawning' || this.state === 'running';
  }

  /** Starts a test (from ready/stopped: fresh statistics), or re-targets the running one. */
  async start(s: SwarmStart): Promise<void> {
    const problems = validateStart(s);
    if (problems.length > 0)
      throw new LabError(LabErrorCode.INVALID_SWARM, problems.join('; '), { problems });
    while (this.launching !== null || this.stopping !== null) {
      await (this.launching ?? this.stopping)?.catch(() => undefined);
    }
    if (this.live) {
      if (s.userClasses !== undefined && s.userClasses.join() !== this.classNames.join()) {
        throw new LabError(LabErrorCode.INVALID_SWARM, 'user classes can change only while no test runs');
      }
      this.retarget(s.users, s.spawnRate);
      return;
    }
    if (s.userClasses !== undefined) this.selectClasses(s.userClasses);
    if (s.host !== undefined) this.host = s.host;
    if (s.runTimeSec !== undefined) this.runTimeSec = s.runTimeSec;
    const before = this.state;
    this.setState('starting');
    this.launching = this.begin();
    try {
      await this.launching;
    } catch (e) {
      this.setState(before);
      throw e;
    } finally {
      this.launching = null;
    }
    if (this.stopAsked) {
      this.stopAsked = false;
      await (this.stopping ??= this.halt());
      return;
    }
    this.retarget(s.users, s.spawnRate);
    // every host lost while the test started (each worker quit in its test_start): it ends, as
    // when the last worker goes missing later
    const lost = this.lostAtStart;
    this.lostAtStart = null;
    if (lost !== null && this.hosts.every((h) => h.gone === true)) {
      this.fail(`every worker is missing (the last: ${lost})`);
      return;
    }
    if (this.o.file.shape !== null) this.followShape();
  }

  /** Stops every user; statistics stay readable. */
  stop(): Promise<void> {
    if (this.state === 'ready' || this.state === 'stopped') return Promise.resolve();
    if (this.state === 'starting') {
      // start() takes the test down once its hosts are up (or restores the state if they fail)
      this.stopAsked = true;
      const launching = this.launching ?? Promise.resolve();
      return launching.then(
        () => this.stopping ?? undefined,
        () => undefined,
      );
    }
    this.stopping ??= this.halt();
    return this.stopping;
  }

  /** Locust's "reset stats" while a test runs: clears the table; the test and the time series go on. */
  resetStats(): boolean {
    if (!this.live) return false;
    for (const h of this.hosts) h.resetStats();
    // the history's Total columns (and --csv-full-history's names) start afresh too, as Locust's
    this.timelineStats?.timeline.resetTotals();
    this.statsStartedAt = epochNowMs();
    return true;
  }

  view(): SwarmView {
    const snaps = this.hosts.map((h) => h.snapshot());
    return {
      state: this.state,
      host: this.host,
      users: this.users,
      targetUsers: this.targetUsers,
      spawnRate: this.spawnRate,
      usersByClass: this.byClass(),
      classNames: this.classNames,
      availableClasses: [...this.o.file.classes.keys()],
      classPicker: this.o.classPicker === true,
      startedAt: this.startedAt,
      statsStartedAt: this.statsStartedAt,
      result: this.finalResult ?? this.buildResult(snaps),
      exceptions:
        this.finalResult === null
          ? mergeExceptions(
              snaps,
              this.hosts.map((h) => h.id),
            )
          : this.finalExceptions(),
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

  private finalExceptions() {
    return (this.finalResult?.extra.exceptions ?? []) as SwarmView['exceptions'];
  }

  private byClass(of: 'counts' | 'peak' = 'counts'): Record<string, number> {
    const n = this.spawner?.[of];
    return Object.fromEntries(this.classNames.map((name, i) => [name, n?.[i] ?? 0]));
  }

  private setState(s: SwarmState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  /** Ends the test for a reason (a dead worker, a broken shape): recorded, then stopped. */
  private fail(reason: string): void {
    this.errors.push(reason);
    if (this.live) void this.stop();
  }

  /**
   * A remote host went away mid-test: its seconds are no longer awaited, its users leave the
   * counts and are spawned again on the other hosts at the spawn rate. With none left the
   * test ends.
   */
  private hostLost(host: UserHost, reason: string): void {
    this.emit('host-lost', reason);
    if (!this.hosts.includes(host)) return;
    // lost while the test starts (a worker that quit in its test_start): begin() and start()
    // take it out once this test's timeline and spawner exist
    if (this.state === 'starting') {
      this.lostAtStart = reason;
      return;
    }
    const late = this.late.get(host);
    if (late !== undefined) late.drop();
    else this.timelineStats?.timeline.dropReporter();
    this.spawner?.dropHost(host);
    if (this.hosts.every((h) => h.gone === true)) {
      this.fail(`every worker is missing (the last: ${reason})`);
      return;
    }
    if (this.live && this.spawner !== null) this.retarget(this.targetUsers, this.spawnRate);
  }

  /**
   * A remote worker joined the running test: one more host, awaited in the time series from
   * this second; new users go to it first, or (enableRebalancing) users move to it now. A
   * test that is ending closes it instead (it waits for the next test).
   */
  private hostJoined(host: UserHost): ((s: RawSlice) => void) | null {
    const name = host.id ?? 'a worker';
    const timeline = this.timelineStats?.timeline;
    if (!this.live || this.spawner === null || timeline === undefined || this.startedAt === null) {
      void host.close();
      this.o.log?.(`Worker ${name} joined as the test was ending; it waits for the next test`);
      return null;
    }
    const late = timeline.addReporter(Math.floor((epochNowMs() - this.startedAt) / 1000));
    this.late.set(host, late);
    this.listen(host);
    this.spawner.addHost(host);
    if (this.o.enableRebalancing === true) {
      const moved = this.spawner.rebalance();
      this.o.log?.(`Worker ${name} joined the running test; ${moved} users moved to it`);
    } else
      this.o.log?.(
        `Worker ${name} joined the running test; it gets users from the next change of the user count (--enable-rebalancing moves them now)`,
      );
    this.emit('host-joined', name);
    return late.merge;
  }

  /** What a host's users ask: a user stopped itself, or the test is to stop (StopTest, runner.quit()). */
  private listen(host: UserHost): void {
    host.notify = (n: UserNotice) => {
      if (!this.live || !this.hosts.includes(host)) return;
      if (n.t === 'user-stopped') {
        this.spawner?.userStopped(host, n.cls);
        return;
      }
      const where = host.id === undefined ? '' : ` on worker ${host.id}`;
      this.emit('stop-test', { reason: `${n.reason}${where}`, quit: n.quit });
      void this.stop();
    };
  }

  private async halt(): Promise<void> {
    this.o.provider?.testEnded?.();
    this.setState('stopping');
    clearTimeout(this.runTimer);
    clearInterval(this.shapeTimer);
    this.spawner?.clear();
    try {
      await Promise.all(this.hosts.map((h) => h.stop()));
      // Locust's test_stop on this node (threads and workers fire their own as their users stop)
      await events.test_stop.fire(this.environment);
      this.endedAt = epochNowMs();
      this.timelineStats?.timeline.flush();
      this.finalResult = this.buildResult();
      await Promise.all(this.hosts.map((h) => h.close()));
    } finally {
      this.hosts = [];
      this.setState('stopped');
      this.stopping = null;
    }
    this.emit('stopped', this.finalResult);
  }

  private async begin(): Promise<void> {
    this.lostAtStart = null;
    await this.o.provider?.ready?.();
    const startEpochMs = epochNowMs();
    const n = Math.max(1, Math.floor(this.o.processes ?? 1));
    const fullHistory = this.o.fullHistory === true;
    const stats = new RequestStats({
      startUs: epochMsToUs(startEpochMs),
      startEpochMs,
      reporters: n,
      fullHistory,
    });
    // Locust's "current" figures (the web UI's, the history CSV's): each second carries its last 10 s
    stats.timeline.currentWindow = new CurrentWindow();
    if (stats.timeline.history !== null) stats.timeline.history.current = true;
    stats.timeline.onSlice = (slice: TimeSlice, detail?: SliceDetail) => this.emit('slice', slice, detail);
    const onRaw = stats.timeline.mergeRaw.bind(stats.timeline);
    const init = {
      startEpochMs,
      seed: this.o.seed ?? 1,
      timeoutMs: this.o.timeoutMs,
      stopTimeoutMs: this.o.stopTimeoutMs,
      tls: this.o.tls,
      taskFilter: this.o.taskFilter,
      sliceDetail: this.o.sliceDetail === true,
      fullHistory,
    };
    if (this.o.provider !== undefined) {
      const lost = (h: UserHost, reason: string) => this.hostLost(h, reason);
      const joined = (h: UserHost) => this.hostJoined(h);
      this.late = new Map();
      this.hosts = await this.o.provider.open(init, this.classNames, onRaw, lost, joined);
      stats.timeline.reporters = this.hosts.length;
    } else if (n === 1) this.hosts = [new LocalUserHost(this.classes, init, onRaw)];
    else {
      const onDeath = (m: string) => this.fail(`a worker thread failed: ${m}`);
      const data = { ...init, file: this.o.file.path, classNames: this.classNames };
      const all = await Promise.allSettled(
        Array.from({ length: n }, () => WorkerUserHost.start(data, onRaw, onDeath)),
      );
      const up = all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const down = all.find((r) => r.status === 'rejected');
      if (down !== undefined) {
        await Promise.all(up.map((h) => h.close()));
        throw down.reason;
      }
      this.hosts = up;
    }
    for (const h of this.hosts) this.listen(h);
    // Locust's test_start on this node, before any user starts
    await events.test_start.fire(this.environment);
    this.timelineStats = stats;
    this.startedAt = startEpochMs;
    // rates count from when users can start (worker threads take a moment to load the file)
    this.statsStartedAt = epochNowMs();
    this.spawner = new Spawner(
      this.mix,
      this.hosts,
      this.classes.length,
      () => this.host,
      () => {
        if (this.state === 'spawning') this.setState('running');
      },
    );
    // hosts lost while it started: out of this test's seconds and users
    for (const h of this.hosts)
      if (h.gone === true) {
        stats.timeline.dropReporter();
        this.spawner.dropHost(h);
      }
    this.endedAt = null;
    this.finalResult = null;
    this.errors.length = 0;
    this.cpu = new ProcessCpu().start();
    this.monitor = new ThreadMonitor().start();
    this.threadHealth = null;
    if (this.runTimeSec !== undefined && this.runTimeSec > 0) {
      this.runTimer = setTimeout(() => void this.stop(), this.runTimeSec * 1000);
    }
  }

  /** A new target: spawn (or retire) toward it at `spawnRate`, from the count now. */
  private retarget(users: number, spawnRate: number): void {
    this.setState('spawning');
    this.spawner!.retarget(users, spawnRate);
  }

  private followShape(): void {
    const shape = this.o.file.shape!;
    shape.reset();
    const tick = () => {
      let t: ReturnType<typeof shape.tick>;
      try {
        t = shape.tick();
      } catch (e) {
        this.fail(`load shape: tick() threw ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      if (t === null) {
        void this.stop();
        return;
      }
      const problems = validateStart({ users: t?.users, spawnRate: t?.spawnRate } as SwarmStart);
      if (problems.length > 0) {
        this.fail(`load shape: tick() answered ${JSON.stringify(t)}: ${problems.join('; ')}`);
        return;
      }
      if (t.users !== this.targetUsers || t.spawnRate !== this.spawnRate) this.retarget(t.users, t.spawnRate);
    };
    tick();
    if (this.live) this.shapeTimer = setInterval(tick, 1000);
  }

  private buildResult(snaps: HostSnapshot[] = this.hosts.map((h) => h.snapshot())): ScenarioResult {
    const end = this.endedAt ?? epochNowMs();
    const thread = this.endedAt === null ? null : (this.threadHealth ??= this.monitor.stop());
    return buildSwarmResult({
      name: this.o.name ?? 'swarm',
      snaps,
      nodes: this.hosts.map((h) => h.id),
      timeline: this.timelineStats?.timeline ?? null,
      startedAt: this.startedAt ?? end,
      from: this.statsStartedAt ?? end,
      end,
      cpu: this.cpu.stop(),
      thread,
      workers: Math.max(1, this.hosts.length || (this.o.processes ?? 1)),
      params: {
        users: this.targetUsers,
        spawnRate: this.spawnRate,
        host: this.host,
        classes: this.classNames,
        processes: this.o.processes ?? 1,
      },
      usersByClass: this.byClass(),
      peakUsersByClass: this.byClass('peak'),
    });
  }
}
