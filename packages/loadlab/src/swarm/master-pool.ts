/**
 * The master's workers (`tickstorm swarm --master`): a TCP server on --master-bind-host /
 * --master-bind-port that workers join with 'hello', the heartbeats both ways, and the
 * missing-worker watch. As the swarm's HostProvider, `open` waits for --expect-workers
 * workers (at most --expect-workers-max-wait; then LAB_ERR_WORKERS_MISSING, nothing runs)
 * and gives one RemoteUserHost per worker.
 *
 * A worker is missing when its connection closes, it reports an error, or nothing came from
 * it for WORKER_MISSING_MS (checked every MISSING_CHECK_MS, so within 3 s of its last
 * heartbeat). A missing worker is logged, counted in `section().missing`, and its host is
 * handed to the swarm's onLost: the test goes on with the others.
 * A run worker dropped for its silence keeps its link open: the report it sends when it runs
 * again replaces its last snapshot while the run goes (run-parts.ts).
 *
 * Each worker heartbeat carries its users, state, CPU and RSS: `workersReport` lists them
 * (missing workers too) for the web UI, and a worker above 90% CPU is named in the log, as
 * is the master itself (at most once a minute each; worker-status.ts). A worker's 'stopped'
 * (its final statistics after a stop) makes it stopped with 0 users at once, not at its next
 * heartbeat.
 *
 * A swarm worker that says hello while a test runs (after `open`, until `testEnded`) is
 * checked as in `open` (refused if its user file lacks a class of the test), then gets the
 * same 'start' and is handed to the swarm's onJoined.
 *
 * `run` workers get the master's test right after welcome and answer prepared, or an error
 * with an exit code when they cannot run it (refused: counted missing and not toward
 * --expect-workers, `preparedWorkers` waits on for one that can); `go` gives each prepared
 * worker its execution segment, part i of N.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { LabError, LabErrorCode } from '../errors.ts';
import { segmentLabel } from '../generator/execution-segment.ts';
import type { MissingWorker, RunReport, WorkersSection } from '../model/result.ts';
import type { RawSlice } from '../stats/timeline.ts';
import { LineChannel, MAX_LINE_BYTES } from './line-channel.ts';
import {
  HELLO_MAX_BYTES,
  HELLO_WAIT_MS,
  isHello,
  type Link,
  type OpenTest,
  type WorkerRefusal,
} from './master-link.ts';
import type { MasterWorkerPlan } from './master-worker-flags.ts';
import { RemoteUserHost } from './remote-host.ts';
import {
  HEARTBEAT_MS,
  MISSING_CHECK_MS,
  type RunTest,
  STOP_WAIT_MS,
  type ToMaster,
  type ToWorker,
  WORKER_MISSING_MS,
  type WorkerMode,
} from './remote-protocol.ts';
import { type CollectedPart, RunParts } from './run-parts.ts';
import type { HostProvider } from './swarm-types.ts';
import type { HostInit, UserHost } from './user-host.ts';
import { CpuSampler, CpuWarnings, peerHost, type WorkerStatus, type WorkersReport } from './worker-status.ts';

export type { WorkerRefusal } from './master-link.ts';

export interface MasterPoolOptions {
  bindHost: string;
  /** 0: a port chosen by the OS (see `port`). */
  bindPort: number;
  expectWorkers: number;
  /** How long `open` waits for --expect-workers (ms); 0 waits for ever. */
  expectWaitMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** What the workers run (default swarm); a worker of the other kind is refused. */
  mode?: WorkerMode;
  /** run workers: the test, sent to each one as it joins. */
  test?: RunTest;
  /** This master's tickstorm version: a worker of another one is named (Locust warns too). */
  version?: string;
  /** Each worker heartbeat, with the users it runs. */
  onHeartbeat?: (id: string, users: number) => void;
}

export class MasterPool implements HostProvider {
  private readonly links = new Map<string, Link>();
  private readonly joined: string[] = [];
  readonly missing: MissingWorker[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly watch: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout;
  private changed: (() => void)[] = [];
  /** run workers: each one's final report, its latest part so far, and those that came back. */
  private readonly runParts: RunParts;
  /** run workers dropped for their silence: their links stay open for a report that may come. */
  private readonly droppedLinks = new Set<Link>();
  /** run workers that could not run the test. */
  readonly refusals: WorkerRefusal[] = [];
  private closing = false;
  /** The test late swarm workers join (null: none running, or it takes no more). */
  private running: OpenTest | null = null;
  /** Workers that went missing, as the Workers table shows them. */
  private readonly gone: WorkerStatus[] = [];
  private readonly cpu = new CpuSampler();
  private masterCpu = 0;
  private readonly cpuWarnings: CpuWarnings;

  private constructor(
    private readonly server: Server,
    private readonly o: MasterPoolOptions,
  ) {
    server.on('connection', (s) => this.accept(s));
    this.cpuWarnings = new CpuWarnings(o.log);
    this.runParts = new RunParts(o.log);
    this.watch = setInterval(() => this.checkHeartbeats(), MISSING_CHECK_MS);
    this.beat = setInterval(() => {
      for (const l of this.links.values()) l.channel.send({ t: 'heartbeat' });
      this.masterCpu = this.cpu.sample();
      this.cpuWarnings.check('The master', this.masterCpu);
    }, HEARTBEAT_MS);
  }

  /** Listens where the master's flags say (--master-bind-host/-port, --expect-workers[-max-wait]). */
  static listenFor(
    plan: Pick<
      MasterWorkerPlan,
      'masterBindHost' | 'masterBindPort' | 'expectWorkers' | 'expectWorkersMaxWaitSec'
    >,
    o: Pick<MasterPoolOptions, 'log' | 'signal' | 'mode' | 'test' | 'version'>,
  ): Promise<MasterPool> {
    return MasterPool.listen({
      ...o,
      bindHost: plan.masterBindHost,
      bindPort: plan.masterBindPort,
      expectWorkers: plan.expectWorkers,
      expectWaitMs: plan.expectWorkersMaxWaitSec * 1000,
    });
  }

  static listen(o: MasterPoolOptions): Promise<MasterPool> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', (e) =>
        reject(
          new LabError(
            LabErrorCode.SWARM,
            `--master-bind-host/--master-bind-port: cannot listen on ${o.bindHost}:${o.bindPort}: ${e.message}`,
            { cause: e },
          ),
        ),
      );
      server.listen(o.bindPort, o.bindHost, () => resolve(new MasterPool(server, o)));
    });
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : this.o.bindPort;
  }

  get connected(): number {
    return this.links.size;
  }

  section(): WorkersSection {
    return {
      expected: this.o.expectWorkers,
      joined: [...this.joined],
      connected: this.links.size,
      missing: this.missing.map((m) => ({ ...m })),
      ...(this.runParts.returned.length === 0
        ? {}
        : { returned: this.runParts.returned.map((r) => ({ ...r })) }),
    };
  }

  /**
   * Every worker that joined: those connected (in the order they joined), then the missing
   * ones (state 'missing', 0 users, their last CPU and memory); and the master's own CPU.
   */
  workersReport(): WorkersReport {
    const here = [...this.links.values()].map(
      (l): WorkerStatus => ({
        id: l.id,
        host: l.peer,
        state: l.state,
        user_count: l.users,
        cpu_usage: l.cpu,
        memory_usage: l.rss,
      }),
    );
    return {
      workers: [...here, ...this.gone.map((g) => ({ ...g }))],
      masterCpu: this.masterCpu,
      masterMemory: process.memoryUsage.rss(),
    };
  }

  async open(
    given: HostInit,
    classNames: readonly string[],
    onRaw: (s: RawSlice) => void,
    onLost: (h: UserHost, reason: string) => void,
    onJoined?: (host: UserHost) => ((s: RawSlice) => void) | null,
  ): Promise<UserHost[]> {
    // the master's --ca and --insecure go to the workers; its client key never leaves this machine
    // (a worker presents the --cert/--key it was given itself)
    const { clientCerts: _, ...tls } = given.tls ?? {};
    const init: HostInit = { ...given, tls };
    this.running = null;
    // a refused worker does not count toward --expect-workers: wait on for one that can run the
    // test, within what is left of --expect-workers-max-wait
    const deadline = this.o.expectWaitMs > 0 ? performance.now() + this.o.expectWaitMs : undefined;
    for (;;) {
      await this.waitForWorkers(deadline);
      for (const l of [...this.links.values()]) this.refuseLacking(l, classNames);
      if (this.links.size >= this.o.expectWorkers) break;
    }
    if (this.links.size === 0)
      throw new LabError(LabErrorCode.WORKERS_MISSING, 'no worker can run the test (see the lines above)');
    const hosts: RemoteUserHost[] = [];
    for (const l of this.links.values()) {
      l.host = new RemoteUserHost(l.id, l.channel, onRaw);
      l.host.classCount = classNames.length;
      l.onLost = onLost;
      l.channel.send({ t: 'start', init, classNames: [...classNames] });
      hosts.push(l.host);
    }
    this.o.log(`Starting the test on ${hosts.length} worker(s): ${hosts.map((h) => h.id).join(', ')}`);
    if (onJoined !== undefined) this.running = { init, classNames: [...classNames], onRaw, onLost, onJoined };
    return hosts;
  }

  testEnded(): void {
    this.running = null;
  }

  /** Refuses (and drops) a worker whose user file lacks a class of the test; true if it did. */
  private refuseLacking(l: Link, classNames: readonly string[]): boolean {
    const lacking = classNames.filter((c) => !l.classes.includes(c));
    if (lacking.length === 0) return false;
    const message = `its user file has no class ${lacking.join(', ')} (give every worker the master's -f file)`;
    l.channel.send({ t: 'reject', message });
    this.lose(l, `refused: ${message}`, true);
    return true;
  }

  /** A swarm worker that joined while the test runs: started like the others, then the swarm's. */
  private joinTest(l: Link, t: OpenTest): void {
    if (this.refuseLacking(l, t.classNames)) return;
    let sink = t.onRaw;
    l.host = new RemoteUserHost(l.id, l.channel, (s) => sink(s));
    l.host.classCount = t.classNames.length;
    l.onLost = t.onLost;
    l.channel.send({ t: 'start', init: t.init, classNames: [...t.classNames] });
    const joined = t.onJoined(l.host);
    if (joined === null) {
      if (this.running === t) this.running = null;
    } else sink = joined;
  }

  /**
   * run workers: resolves with the ids of the workers that can run the test, once each
   * connected one answered (or went missing); one still silent after `waitMs` is dropped.
   */
  prepared(waitMs: number): Promise<string[]> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changed = this.changed.filter((f) => f !== check);
        this.o.signal?.removeEventListener('abort', done);
        resolve([...this.links.values()].filter((l) => l.prepared).map((l) => l.id));
      };
      const check = () => {
        if ([...this.links.values()].every((l) => l.prepared)) done();
      };
      const timer = setTimeout(() => {
        for (const l of [...this.links.values()])
          if (!l.prepared) this.lose(l, `not ready to run the test within ${waitMs / 1000} s`);
        done();
      }, waitMs);
      this.o.signal?.addEventListener('abort', done, { once: true });
      this.changed.push(check);
      check();
    });
  }

  /**
   * run workers: starts the runs of `ids` at once, worker i of N with execution segment i/N
   * (its part of every rate, VU count and iteration count); returns the ids that were told.
   */
  go(ids: readonly string[]): string[] {
    const told = ids.filter((id) => this.links.has(id));
    told.forEach((id, index) => {
      const l = this.links.get(id);
      if (l === undefined) return;
      l.going = true;
      l.channel.send({ t: 'go', segment: { index, count: told.length } });
    });
    this.o.log(
      `Started the run on ${told.length} worker(s), each with 1/${told.length} of the load: ${told
        .map((id, index) => `${id} (${segmentLabel({ index, count: told.length })})`)
        .join(', ')}`,
    );
    return told;
  }

  /**
   * run workers: resolves once each of `ids` has sent its report or gone missing, with the
   * reports received; a worker lost before its report gives its last part so far instead
   * (`partialAt`: when that snapshot was taken), if it sent one. Ctrl-C on the master sends the others 'stop' (each ends its part and
   * reports what it measured) and waits for them at most STOP_WAIT_MS (one still without its
   * report then is missing, its last part so far standing for it); so does a report that
   * `stopsTest` says stopped the whole test (a part aborted by exec.test.abort(), an abortOnFail
   * threshold or a script error): `stoppedBy` is then that worker.
   */
  collectReports(
    ids: readonly string[],
    stopsTest: (r: RunReport) => boolean = () => false,
  ): Promise<{ reports: CollectedPart[]; stoppedBy?: string }> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let stoppedBy: string | undefined;
      let finished = false;
      const pending = () => ids.filter((id) => !this.runParts.hasReport(id) && this.links.has(id));
      const done = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        this.changed = this.changed.filter((f) => f !== check);
        this.o.signal?.removeEventListener('abort', stop);
        // a worker with no final report: its last part so far, marked partial
        const reports = this.runParts.collected(ids);
        resolve(stoppedBy === undefined ? { reports } : { reports, stoppedBy });
      };
      const check = () => {
        if (stoppedBy === undefined && timer === undefined) {
          const by = ids.find((id) => {
            const r = this.runParts.report(id);
            return r !== undefined && stopsTest(r);
          });
          if (by !== undefined && pending().length > 0) {
            stoppedBy = by;
            this.o.log(
              `Worker ${by} stopped the test (exit ${this.runParts.report(by)?.exitCode}): stopping the other workers' parts`,
            );
            stop();
            return;
          }
        }
        if (pending().length === 0) done();
      };
      const stop = () => {
        if (timer !== undefined) return;
        const left = pending();
        for (const id of left) this.links.get(id)?.channel.send({ t: 'stop' });
        if (left.length > 0) this.o.log(`Stopping: waiting for the parts of ${left.length} worker(s)`);
        // a worker still without its report then is missing (its last part so far stands for it,
        // said as for a lost one; a report that comes later no longer counts)
        timer = setTimeout(() => {
          for (const id of pending()) {
            const l = this.links.get(id);
            if (l !== undefined) this.lose(l, `no report within ${STOP_WAIT_MS / 1000} s of the stop`, true);
          }
          done();
        }, STOP_WAIT_MS);
        check();
      };
      this.changed.push(check);
      if (this.o.signal?.aborted === true) stop();
      else this.o.signal?.addEventListener('abort', stop, { once: true });
      check();
    });
  }

  /** Sends quit to every worker, waits (bounded) for them to hang up, closes the server. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watch);
    clearInterval(this.beat);
    const links = [...this.links.values()];
    for (const l of links) l.channel.send({ t: 'quit' });
    await Promise.race([
      Promise.all(links.map((l) => l.channel.close())),
      new Promise((r) => setTimeout(r, 5000).unref()),
    ]);
    for (const l of this.droppedLinks) l.channel.destroy('the master ended');
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  ready(): Promise<void> {
    return this.waitForWorkers();
  }

  /**
   * run workers: waits for --expect-workers that can run the test and returns their ids. A
   * worker that refused the test does not count (as for swarm workers in `open`): the master
   * waits on for one that can, within what is left of --expect-workers-max-wait (then
   * LAB_ERR_WORKERS_MISSING). Each connected worker gets up to `prepareWaitMs` to answer.
   */
  async preparedWorkers(prepareWaitMs: number): Promise<string[]> {
    const deadline = this.o.expectWaitMs > 0 ? performance.now() + this.o.expectWaitMs : undefined;
    for (;;) {
      await this.waitForWorkers(deadline);
      const ids = await this.prepared(prepareWaitMs);
      if (ids.length >= this.o.expectWorkers || this.o.signal?.aborted === true) return ids;
    }
  }

  /** Workers that joined and are still here (a refused one is gone: it does not count). */
  private get arrived(): number {
    return this.links.size;
  }

  /** `deadline` (performance.now() ms): when --expect-workers-max-wait runs out, if not now + it. */
  private waitForWorkers(deadline?: number): Promise<void> {
    const { expectWorkers: n, expectWaitMs } = this.o;
    if (this.arrived >= n) return Promise.resolve();
    const leftMs = deadline === undefined ? expectWaitMs : Math.max(1, deadline - performance.now());
    this.o.log(`Waiting for ${n} worker(s) (--expect-workers); ${this.links.size} connected`);
    return new Promise((resolve, reject) => {
      const done = (e?: Error) => {
        clearTimeout(timer);
        this.o.signal?.removeEventListener('abort', aborted);
        this.changed = this.changed.filter((f) => f !== check);
        if (e === undefined) resolve();
        else reject(e);
      };
      const check = () => {
        if (this.arrived >= n) done();
      };
      const aborted = () =>
        done(new LabError(LabErrorCode.WORKERS_MISSING, 'interrupted while waiting for workers'));
      const timer =
        expectWaitMs > 0
          ? setTimeout(
              () =>
                done(
                  new LabError(
                    LabErrorCode.WORKERS_MISSING,
                    `only ${this.links.size} of ${n} workers connected within ${expectWaitMs / 1000} s (--expect-workers ${n}, --expect-workers-max-wait ${expectWaitMs / 1000}); nothing ran`,
                  ),
                ),
              leftMs,
            )
          : undefined;
      this.o.signal?.addEventListener('abort', aborted, { once: true });
      this.changed.push(check);
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    if (this.closing) {
      socket.destroy();
      return;
    }
    const channel = new LineChannel<ToMaster, ToWorker>(socket);
    channel.maxLineBytes = HELLO_MAX_BYTES;
    const from = peerHost(socket.remoteAddress) ?? 'an unknown address';
    const helloTimer = setTimeout(() => channel.destroy('no hello'), HELLO_WAIT_MS);
    let link: Link | null = null;
    let refused = false;
    channel.on('message', (m) => {
      try {
        const r = this.onMessage(channel, link, m, socket, helloTimer);
        if (r === 'refused') refused = true;
        else link = r;
      } catch (e) {
        // a peer's malformed message ends its link, never the master
        const reason = `a malformed ${String(m.t).slice(0, 40)} message (${(e as Error).message})`;
        if (link === null) channel.destroy(reason);
        else this.lose(link, reason);
      }
    });
    channel.on('close', (reason) => {
      clearTimeout(helloTimer);
      if (link !== null) this.droppedLinks.delete(link);
      if (link !== null && !this.closing) this.lose(link, reason);
      else if (link === null && !refused && !this.closing)
        this.o.log(
          `Dropped a connection from ${from} before it said hello: ${reason} (not a tickstorm worker?)`,
        );
    });
  }

  /** One message on a connection: the hello (returns its new link), or a worker's message. */
  private onMessage(
    channel: LineChannel<ToMaster, ToWorker>,
    link: Link | null,
    m: ToMaster,
    socket: Socket,
    helloTimer: NodeJS.Timeout,
  ): Link | 'refused' | null {
    if (link === null) {
      if (!isHello(m)) {
        channel.destroy('the first message was not hello');
        return null;
      }
      clearTimeout(helloTimer);
      const mode = this.o.mode ?? 'swarm';
      if ((m.mode ?? 'swarm') !== mode) {
        const message = `this master runs '${mode}' workers; start the worker with 'tickstorm ${mode} --worker'`;
        channel.send({ t: 'reject', message });
        this.o.log(`Refused worker ${m.id}: ${message}`);
        void channel.close();
        return 'refused';
      }
      if (this.links.has(m.id)) {
        const message = `a worker with id ${m.id} is already connected`;
        channel.send({ t: 'reject', message });
        this.o.log(`Refused worker ${m.id}: ${message}`);
        void channel.close();
        return 'refused';
      }
      channel.maxLineBytes = MAX_LINE_BYTES;
      const fresh: Link = {
        id: m.id,
        channel,
        classes: m.classes,
        lastSeen: performance.now(),
        users: 0,
        host: null,
        onLost: null,
        prepared: false,
        going: false,
        peer: peerHost(socket.remoteAddress),
        state: 'ready',
        cpu: null,
        rss: null,
      };
      this.links.set(m.id, fresh);
      this.joined.push(m.id);
      channel.send({ t: 'welcome', index: this.joined.length - 1 });
      if (this.o.test !== undefined) channel.send({ t: 'test', test: this.o.test });
      this.o.log(`Worker ${m.id} connected (${this.links.size} of ${this.o.expectWorkers} expected)`);
      if (this.o.version !== undefined && m.version !== this.o.version)
        this.o.log(
          `Worker ${m.id} runs tickstorm ${m.version}, this master ${this.o.version}: run the same version everywhere`,
        );
      if (mode === 'run' && [...this.links.values()].some((l) => l.going))
        this.o.log(
          `Worker ${m.id} joined while the run goes: the parts were split when it started, so it runs no part of this one`,
        );
      for (const f of [...this.changed]) f();
      if (this.running !== null && mode === 'swarm') this.joinTest(fresh, this.running);
      return fresh;
    }
    const l: Link = link;
    // a worker dropped while its link drains (told 'dropped'): nothing more from it counts but
    // the report of one dropped for its silence, while the run goes (run-parts.ts)
    if (this.links.get(l.id) !== l) {
      if ((m.t === 'report' || m.t === 'error' || m.t === 'bye') && this.droppedLinks.delete(l)) {
        if (m.t === 'report' && this.runParts.onReturned(l.id, m.report, this.missing)) {
          const g = this.gone.find((x) => x.id === l.id && x.state === 'missing');
          if (g !== undefined) g.state = 'stopped';
          // a report that stopped the test (108, 107) stops the others' parts, as a connected worker's
          for (const f of [...this.changed]) f();
        }
        void l.channel.close();
      }
      return l;
    }
    l.lastSeen = performance.now();
    if (m.t === 'heartbeat') {
      if (typeof m.users === 'number' && Number.isFinite(m.users)) l.users = m.users;
      if (m.state === 'ready' || m.state === 'running' || m.state === 'stopped') l.state = m.state;
      if (typeof m.cpu === 'number') l.cpu = m.cpu;
      if (typeof m.rss === 'number') l.rss = m.rss;
      this.cpuWarnings.check(`Worker ${l.id}`, m.cpu);
      this.o.onHeartbeat?.(l.id, l.users);
    } else if (m.t === 'prepared') {
      l.prepared = true;
      for (const f of [...this.changed]) f();
    } else if (m.t === 'error' && !l.prepared && this.o.test !== undefined) {
      this.refusals.push({
        id: l.id,
        code: typeof m.code === 'number' ? m.code : 1,
        message: String(m.message),
      });
      this.lose(l, `it cannot run the test: ${m.message}`);
    } else if (m.t === 'error') this.lose(l, `it failed: ${m.message}`);
    else if (m.t === 'bye') this.lose(l, `it quit: ${m.reason}`);
    else if (m.t === 'part') this.runParts.onPart(l.id, m.report, m.at);
    else if (m.t === 'report') {
      this.runParts.onReport(l.id, m.report);
      for (const f of [...this.changed]) f();
    } else {
      // a worker's final statistics: its users are stopped, whatever its last heartbeat said
      if (m.t === 'stopped') {
        l.state = 'stopped';
        l.users = 0;
      }
      l.host?.receive(m);
    }
    return l;
  }

  private checkHeartbeats(): void {
    const now = performance.now();
    for (const l of [...this.links.values()]) {
      if (now - l.lastSeen > WORKER_MISSING_MS) {
        // a worker that was only frozen (a long pause, SIGSTOP) learns why once it runs again
        const reason = `no heartbeat for ${((now - l.lastSeen) / 1000).toFixed(1)} s`;
        l.channel.send({ t: 'dropped', reason });
        // a run worker's part: its link stays open for the report it sends when it runs again
        const keep = l.going && !this.runParts.hasReport(l.id);
        this.lose(l, reason, keep ? 'keep' : true);
        if (keep) {
          this.droppedLinks.add(l);
          this.runParts.drop(l.id);
        }
      }
    }
  }

  /** `polite`: let what was sent reach the worker, then hang up; 'keep': leave the link open. */
  private lose(l: Link, reason: string, polite: boolean | 'keep' = false): void {
    if (this.links.get(l.id) !== l) return;
    this.links.delete(l.id);
    if (this.runParts.hasReport(l.id)) {
      // gone before the quit (killed, its machine stopped) but after its report: nothing of its
      // part is missing
      this.o.log(`Worker ${l.id} left after its report (${reason}): its whole part is in the figures`);
      if (polite) void l.channel.close();
      else l.channel.destroy(reason);
      for (const f of [...this.changed]) f();
      return;
    }
    // what the master started there, when a test runs (a heartbeat is up to a second old)
    const users = l.host?.users ?? l.users;
    this.missing.push({ id: l.id, reason, at: Date.now(), users });
    this.gone.push({
      id: l.id,
      host: l.peer,
      state: 'missing',
      user_count: 0,
      cpu_usage: l.cpu,
      memory_usage: l.rss,
      reason,
    });
    // a worker that leaves while the master waits for --expect-workers was in no test yet
    const after =
      l.host === null && !l.going
        ? `before any test ran there; ${this.links.size} of ${this.o.expectWorkers} expected worker(s) connected`
        : `the test goes on with ${this.links.size} worker(s)`;
    this.o.log(`Worker ${l.id} is missing (${reason}); ${after}`);
    if (polite === true) void l.channel.close();
    else if (polite === false) l.channel.destroy(reason);
    for (const f of [...this.changed]) f();
    if (l.host !== null && !l.host.gone) {
      l.host.lost();
      l.onLost?.(l.host, `worker ${l.id}: ${reason}`);
    }
  }
}
