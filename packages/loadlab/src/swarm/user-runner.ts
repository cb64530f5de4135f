/**
 * Runs users in one thread. `spawn(cls, userId, host)` starts a user's loop: onStart, then
 * { pick a task by weight, run it, wait waitTime } until `retire` or `stopAll` stops it, then
 * onStop. Stopping interrupts the wait and aborts the request in flight (that request is
 * not counted, as in Locust when a user is killed). A task that throws is counted in
 * `exceptions` (Locust's exceptions table) and the user goes on after its wait. Locust's
 * controls (user-control.ts) are not counted: StopUser stops that user (its onStop runs,
 * `onNotice` tells the swarm), RescheduleTask ends the task (RescheduleTaskImmediately skips
 * the wait too), StopTest and `environment.runner.quit()` ask the swarm to stop the test.
 * A task may enter a TaskSet (task-set.ts, `runTaskSet`): the same loop over its tasks, until
 * InterruptTaskSet returns to the task.
 */

import { seededRandom } from '@tickstorm/protocol';
import type { TlsOptions } from '../clients/tls-options.ts';
import type { RequestEvents } from '../stats/events.ts';
import { HttpSession, PoolSet } from './http-session.ts';
import type { TaskSet, TaskSetClass } from './task-set.ts';
import {
  filterTasks,
  type TaskFilter,
  TaskPicker,
  type User,
  type UserClass,
  type UserHooks,
} from './user.ts';
import {
  type ControlKind,
  controlOf,
  RescheduleTaskImmediately,
  type UserEnvironment,
  type UserNotice,
} from './user-control.ts';
import { nowSec, type WaitTime } from './wait-time.ts';

export interface ExceptionRow {
  count: number;
  message: string;
  traceback: string;
  /** On a master: the ids of the workers that raised it (Locust's Nodes); absent: this process. */
  nodes?: string[];
}

interface Running {
  /** null: the class's constructor threw (recorded); the slot is held until retired. */
  user: User | null;
  cls: number;
  stopped: boolean;
  abort: AbortController;
  wake: (() => void) | null;
  timer: NodeJS.Timeout | undefined;
  ended: Promise<void>;
  /** Why this user asked to stop the test (StopTest's message). */
  reason: string;
  /** The user's wait time (a TaskSet without its own uses it). */
  wait: { fn: WaitTime | undefined; self: unknown };
  /** The last control exception a callback threw (a TaskSet throws it on to its parent). */
  thrown: unknown;
  /** A wait time threw: the user runs no more tasks. */
  broken: boolean;
}

/** The waitTime of a user or TaskSet: its own, else its class's; camelCase before Locust's spelling. */
function waitTimeOf(o: UserHooks): WaitTime | undefined {
  const cls = o.constructor as { waitTime?: WaitTime; wait_time?: WaitTime };
  return o.waitTime ?? o.wait_time ?? cls.waitTime ?? cls.wait_time;
}

export interface UserRunnerOptions {
  classes: readonly UserClass[];
  events: RequestEvents;
  /** Seeds each user's random stream (with its userId). */
  seed?: number;
  /** Per-request timeout for HttpUser clients (ms). */
  timeoutMs?: number;
  /**
   * Locust's --stop-timeout (ms): a stopped user that is running a task may finish it (its
   * requests are counted) for this long before it is aborted; a waiting user stops at once.
   * 0 (the default): its request in flight is aborted.
   */
  stopTimeoutMs?: number;
  /** https hosts: --insecure / --ca / --cert --key. */
  tls?: TlsOptions;
  /** --tags / --exclude-tags. */
  taskFilter?: TaskFilter;
  /** A user stopped itself, or asked to stop the test (StopTest, runner.quit()). */
  onNotice?: (n: UserNotice) => void;
}

/** The controls after which the user runs no more tasks. */
const ends = (c: ControlKind | null) => c === 'stop-user' || c === 'stop-test';

export class UserRunner {
  readonly exceptions = new Map<string, ExceptionRow>();
  private readonly pickers: TaskPicker[];
  /**
   * Each TaskSet class's tasks after the filter, checked to be methods, once (at its first
   * entry, on that instance), and its picker when that holds no state (not sequential).
   */
  private readonly taskSets = new WeakMap<
    TaskSetClass,
    { weights: Record<string, number>; picker?: TaskPicker }
  >();
  private readonly byClass: Running[][];
  private readonly pools: PoolSet;
  /** Users stopped by `retire` whose onStop may still be running (stopAll waits for them). */
  private readonly retiring = new Set<Running>();
  private live = 0;
  /** Locust's `environment`, as this runner's users (and this node's test listeners) get it. */
  readonly environment: UserEnvironment;

  constructor(private readonly o: UserRunnerOptions) {
    this.environment = {
      runner: { quit: () => o.onNotice?.({ t: 'stop-test', quit: true, reason: 'runner.quit()' }) },
    };
    this.pools = new PoolSet(o.tls);
    this.pickers = o.classes.map((c) => new TaskPicker(filterTasks(c, o.taskFilter)));
    this.byClass = o.classes.map(() => []);
  }

  get users(): number {
    return this.live;
  }

  usersByClass(): number[] {
    return this.byClass.map((l) => l.length);
  }

  spawn(cls: number, userId: number, host: string): void {
    const C = this.o.classes[cls];
    const random = seededRandom(((this.o.seed ?? 1) * 1_000_003 + userId) >>> 0);
    const abort = new AbortController();
    const base = C.host ?? host;
    const client = this.session(base, abort.signal);
    let user: User | null = null;
    // the user's TaskSets run in this runner's loop (r is made once the user exists)
    let running: Running | undefined;
    const runTaskSet = (c: TaskSetClass, p: User | TaskSet) => this.nest(running!, c, p);
    try {
      user = new (C as unknown as new (ctx: unknown) => User)({
        host: base,
        userId,
        random,
        client,
        events: this.o.events,
        signal: abort.signal,
        environment: this.environment,
        runTaskSet,
      });
    } catch (e) {
      this.recordException(e);
    }
    const r: Running = {
      user,
      cls,
      stopped: false,
      abort,
      wake: null,
      timer: undefined,
      ended: Promise.resolve(),
      reason: '',
      wait: { fn: undefined, self: null },
      thrown: null,
      broken: false,
    };
    running = r;
    this.byClass[cls].push(r);
    this.live++;
    if (user !== null) r.ended = this.loop(r, user);
  }

  private session(host: string, signal?: AbortSignal): HttpSession {
    return new HttpSession(this.pools, { host, events: this.o.events, timeoutMs: this.o.timeoutMs, signal });
  }

  /** Stops the newest running user of class `cls`; false if none runs. */
  retire(cls: number): boolean {
    const r = this.byClass[cls].pop();
    if (r === undefined) return false;
    this.stop(r);
    this.retiring.add(r);
    void r.ended.then(() => this.retiring.delete(r));
    return true;
  }

  /** Stops every user and waits until each one's onStop has run (retired users' too). */
  async stopAll(): Promise<void> {
    const all = this.byClass.flatMap((l) => l.splice(0));
    for (const r of all) this.stop(r);
    await Promise.all([...all, ...this.retiring].map((r) => r.ended));
  }

  async close(): Promise<void> {
    await this.stopAll();
    await this.pools.close();
  }

  private stop(r: Running): void {
    if (r.stopped) return;
    r.stopped = true;
    this.live--;
    clearTimeout(r.timer);
    const grace = this.o.stopTimeoutMs ?? 0;
    if (grace <= 0) r.abort.abort();
    else {
      // the task in progress may finish (then the loop ends); past the grace its requests are aborted
      const t = setTimeout(() => r.abort.abort(), grace);
      void r.ended.then(() => clearTimeout(t));
    }
    r.wake?.();
  }

  /** Never rejects: whatever the user's code throws is recorded as an exception. */
  private async loop(r: Running, user: User): Promise<void> {
    const u = user as User & UserHooks & Record<string, unknown>;
    // a sequential class (Locust's SequentialTaskSet): each user walks the tasks from the first
    const C = this.o.classes[r.cls];
    const picker =
      C.sequential === true ? new TaskPicker(filterTasks(C, this.o.taskFilter), true) : this.pickers[r.cls];
    // the instance's waitTime, else the class's (`static waitTime = ...`, Locust's class attribute);
    // Locust's spellings (wait_time, on_start, on_stop) after the camelCase ones
    r.wait = { fn: waitTimeOf(u), self: u };
    const onStart = u.onStart ?? u.on_start;
    const onStop = u.onStop ?? u.on_stop;
    // Locust: a user whose on_start fails still runs its tasks (unless it threw StopUser)
    let control: ControlKind | null = null;
    if (onStart !== undefined) control = this.control(r, await this.guard(r, () => onStart.call(u)));
    if (!ends(control)) control = await this.runTasks(r, u, picker, r.wait, true);
    if (ends(control) && !r.stopped) this.selfStop(r);
    if (onStop !== undefined) {
      // onStop may still send requests: it gets a session the stop did not abort
      if ('client' in u) u.client = this.session(u.host);
      await this.guard({ ...r, stopped: false }, () => onStop.call(u));
    }
  }

  /**
   * Runs `owner`'s tasks (the user's, or a TaskSet's) until the user stops, a task ends it
   * (StopUser, StopTest: returned), a TaskSet is interrupted (returned), or the wait time
   * breaks (null). At the top, an InterruptTaskSet is a reschedule, and StopTest is passed on.
   */
  private async runTasks(
    r: Running,
    owner: Record<string, unknown>,
    picker: TaskPicker,
    wait: { fn: WaitTime | undefined; self: unknown },
    top: boolean,
  ): Promise<ControlKind | null> {
    const u = r.user!;
    let control: ControlKind | null = null;
    while (!r.stopped && !r.broken) {
      const task = picker.pick(u.random());
      u.taskStartedSec = nowSec();
      control = await this.guard(r, () => (owner[task] as () => unknown).call(owner));
      if (top) control = this.control(r, control);
      if (r.stopped || ends(control)) break;
      if (control === 'interrupt' || control === 'interrupt-wait') {
        if (!top) break;
        control = control === 'interrupt' ? 'reschedule-now' : 'reschedule';
      }
      if (control === 'reschedule-now') {
        await new Promise<void>((res) => setImmediate(res));
        continue;
      }
      let waitSec = 0;
      try {
        // called on its owner: a waitTime method may read `this` (Locust's `def wait_time(self)`)
        waitSec = wait.fn === undefined ? 0 : wait.fn.call(wait.self, u);
      } catch (e) {
        // a broken wait_time would spin: the user stops running tasks (its slot stays until retired)
        this.recordException(e);
        r.broken = true;
        return null;
      }
      // a wait of 0 still yields to timers and I/O (Locust's gevent.sleep(0)): a task that
      // never awaits real I/O must not starve -t, Ctrl-C or the web UI
      if (waitSec > 0) await this.sleep(r, waitSec);
      else await new Promise<void>((res) => setImmediate(res));
    }
    return control;
  }

  /**
   * A TaskSet entered from a task (`runTaskSet`): onStart, its tasks until interrupted (or the
   * user stops), onStop. What it ends with goes to the parent's task: StopUser and StopTest
   * are thrown on, `interrupt()` becomes RescheduleTaskImmediately (no wait), `interrupt(false)`
   * a plain return (the parent's wait follows).
   */
  private async nest(r: Running, cls: TaskSetClass, parent: User | TaskSet): Promise<void> {
    if (r.broken) return;
    const set = new (cls as unknown as new (p: unknown) => TaskSet)(parent) as TaskSet &
      UserHooks &
      Record<string, unknown>;
    let plan = this.taskSets.get(cls);
    if (plan === undefined) {
      const weights = filterTasks(cls, this.o.taskFilter);
      const names = Object.keys(weights);
      if (names.length === 0) throw new Error(`TaskSet ${cls.name} has no task to run`);
      for (const n of names)
        if (typeof set[n] !== 'function')
          throw new Error(`${cls.name}.tasks names '${n}', which is not a method`);
      plan = cls.sequential === true ? { weights } : { weights, picker: new TaskPicker(weights) };
      this.taskSets.set(cls, plan);
    }
    // a SequentialTaskSet starts from its first task at each entry: a picker of its own
    const picker = plan.picker ?? new TaskPicker(plan.weights, true);
    const own = waitTimeOf(set);
    const wait = own === undefined ? r.wait : { fn: own, self: set };
    const onStart = set.onStart ?? set.on_start;
    const onStop = set.onStop ?? set.on_stop;
    let control: ControlKind | null = null;
    try {
      if (onStart !== undefined) await onStart.call(set);
    } catch (e) {
      const c = controlOf(e);
      if (c !== 'interrupt' && c !== 'interrupt-wait') throw e;
      control = c;
    }
    if (control === null) control = await this.runTasks(r, set, picker, wait, false);
    if (onStop !== undefined) {
      // a stopped user's onStop may still send requests: on a session the stop did not abort
      const u = r.user as User & { client?: unknown; host: string };
      if (r.stopped && 'client' in u) u.client = this.session(u.host);
      await this.guard({ ...r, stopped: false }, () => onStop.call(set));
    }
    if (ends(control)) throw r.thrown;
    if (control === 'interrupt') throw new RescheduleTaskImmediately();
  }

  /** What a callback's control exception asks (StopTest is passed on to the swarm here). */
  private control(r: Running, c: ControlKind | null): ControlKind | null {
    if (c === 'stop-test' && !r.stopped) this.o.onNotice?.({ t: 'stop-test', quit: false, reason: r.reason });
    return c;
  }

  /**
   * StopUser (or StopTest): the user leaves the counts (the swarm is told); its onStop runs
   * after, and stopAll waits for it as for a retired user's.
   */
  private selfStop(r: Running): void {
    const list = this.byClass[r.cls];
    const i = list.indexOf(r);
    if (i < 0) return;
    list.splice(i, 1);
    r.stopped = true;
    this.live--;
    clearTimeout(r.timer);
    this.retiring.add(r);
    void r.ended.then(() => this.retiring.delete(r));
    this.o.onNotice?.({ t: 'user-stopped', cls: r.cls });
  }

  /**
   * Runs a user callback: the control it threw (user-control.ts), else null. Another exception
   * is recorded unless the user was stopped meanwhile. A StopTest's message is kept in `r.reason`.
   */
  private async guard(r: Running, fn: () => unknown): Promise<ControlKind | null> {
    try {
      await fn();
      return null;
    } catch (e) {
      const c = controlOf(e);
      if (c !== null) r.thrown = e;
      if (c === 'stop-test') r.reason = `StopTest: ${(e as Error).message}`;
      if (c === null && !r.stopped) this.recordException(e);
      return c;
    }
  }

  /** Counts an exception of user code (a task's, a listener's) in the exceptions table. */
  recordException(e: unknown): void {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const traceback = e instanceof Error ? (e.stack ?? message) : message;
    const key = `${message}\u0000${traceback.split('\n', 2)[1] ?? ''}`;
    const row = this.exceptions.get(key);
    if (row !== undefined) row.count++;
    else this.exceptions.set(key, { count: 1, message, traceback });
  }

  /**
   * Waits `sec` seconds, never less: a Node timer may fire up to ~1 ms before its delay on the
   * monotonic clock (libuv measures from its cached loop time), which would make
   * constant_pacing users run slightly faster than asked; then it sleeps the rest.
   */
  private sleep(r: Running, sec: number): Promise<void> {
    const due = performance.now() + sec * 1000;
    return new Promise((res) => {
      r.wake = () => {
        r.wake = null;
        res();
      };
      const tick = () => {
        const left = due - performance.now();
        if (left > 0 && !r.stopped) r.timer = setTimeout(tick, left);
        else r.wake?.();
      };
      r.timer = setTimeout(tick, sec * 1000);
    });
  }
}
