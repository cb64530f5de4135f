/**
 * User classes, Locust style. A user file exports classes extending `User` (or `HttpUser`,
 * which carries a `client` session on the host); the swarm spawns instances in proportion
 * to each class's `weight` and runs each as a loop: `onStart()`, then forever { pick a task
 * by weight, run it, wait `waitTime` }, then `onStop()` when the user is stopped.
 *
 *   export class Reader extends HttpUser {
 *     static weight = 3;                                   // 3 Readers per 1 weight-1 user
 *     static tasks = tasks<Reader>({ bars: 30, health: 20 });
 *     waitTime = between(0.5, 1.5);
 *     async bars() { await this.client.get('/api/data/SYM0/bars?limit=50', { name: 'bars' }); }
 *     async health() { await this.client.get('/health'); }
 *   }
 *
 * `static fixedCount = n` spawns exactly n of that class first (Locust's fixed_count),
 * weights share the rest. `static host` overrides -H for the class. A task that throws is
 * counted in the run's exceptions and the user goes on, as in Locust, unless it throws one of
 * Locust's controls (user-control.ts: StopUser, StopTest, RescheduleTask, ...).
 */

import { newRequestEvent, type RequestEvent, type RequestEvents } from '../stats/events.ts';
import type { HttpSession } from './http-session.ts';
import type { TaskSet, TaskSetClass } from './task-set.ts';
import type { UserEnvironment } from './user-control.ts';
import type { Pacing, WaitTime } from './wait-time.ts';

/** What the runner hands every user. */
export interface UserContext {
  /** Base URL requests go to (-H, or the class's static host). */
  host: string;
  /** Spawn order across the whole swarm (0-based). */
  userId: number;
  /** This user's seeded uniform [0, 1) stream. */
  random: () => number;
  /** The HTTP session (HttpUser's `client`). */
  client: HttpSession;
  /** Where request events go (statistics, reports); `User.fire` emits into it. */
  events?: RequestEvents;
  /** Aborted when the user is stopped (close sockets of your own on it). */
  signal?: AbortSignal;
  /** Locust's `self.environment` (runner.quit()). */
  environment?: UserEnvironment;
  /** Runs a TaskSet for this user (the runner's loop); absent outside a swarm. */
  runTaskSet?: (cls: TaskSetClass, parent: User | TaskSet) => Promise<void>;
}

const NO_ENVIRONMENT: UserEnvironment = { runner: { quit: () => undefined } };

/**
 * A request event of a user's own (Locust's `events.request.fire`): anything measured that
 * is not an HTTP call of `client`, e.g. a WebSocket update's latency. It lands in the same
 * statistics, reports, thresholds and CSVs as HTTP requests, under its `type` and `name`.
 */
export interface CustomRequest {
  /** The Type column, e.g. 'WS'. */
  type: string;
  name: string;
  /** Latency in ms (fractions allowed; recorded in µs). */
  responseTimeMs: number;
  /** Bytes of the response (default 0). */
  responseLength?: number;
  /** A failure: its text (Locust's `exception`); absent or null = success. */
  exception?: string | Error | null;
}

/** Names of the methods of U (the keys `tasks()` accepts). */
export type TaskNames<U> = {
  [K in keyof U]: U[K] extends (...args: never[]) => unknown ? K : never;
}[keyof U] &
  string;

/** Typed task weights: `static tasks = tasks<MyUser>({ browse: 3, buy: 1 })`. */
export function tasks<U>(weights: Partial<Record<TaskNames<U>, number>>): Record<string, number> {
  return weights as Record<string, number>;
}

/**
 * The base of every user class. What a subclass declares (all optional but `tasks`), none of
 * it declared here, so a subclass needs no `override` keyword:
 *   static tasks = tasks<Self>({...})   static weight = 1   static fixedCount = 0
 *   static host = 'http://...'          static abstract = true (a base class, never spawned)
 *   waitTime = between(a, b)            (or static waitTime = ...; default: no wait)
 *   async onStart() {...}               async onStop() {...}
 */
export abstract class User implements Pacing {
  readonly host: string;
  readonly userId: number;
  readonly random: () => number;
  /** Aborted when this user is stopped. */
  readonly signal: AbortSignal;
  /** Locust's `self.environment`: `this.environment.runner.quit()` stops the whole test. */
  readonly environment: UserEnvironment;
  taskStartedSec = 0;
  private readonly events: RequestEvents | undefined;
  private readonly ev: RequestEvent = newRequestEvent();
  private readonly nest: UserContext['runTaskSet'];

  constructor(ctx: UserContext) {
    this.host = ctx.host;
    this.userId = ctx.userId;
    this.random = ctx.random;
    this.events = ctx.events;
    this.signal = ctx.signal ?? new AbortController().signal;
    this.environment = ctx.environment ?? NO_ENVIRONMENT;
    this.nest = ctx.runTaskSet;
  }

  /**
   * Locust's TaskSet as a task (task-set.ts): runs `cls`'s tasks, with its wait time, until
   * one calls `this.interrupt()`; call it from a task: `async shop() { await this.runTaskSet(Shop); }`.
   */
  runTaskSet(cls: TaskSetClass, parent: User | TaskSet = this): Promise<void> {
    if (this.nest === undefined) return Promise.reject(new Error('runTaskSet runs only in a swarm'));
    return this.nest(cls, parent);
  }

  /** Records one request event of this user's own (see CustomRequest). */
  fire(r: CustomRequest): void {
    if (this.events === undefined) return;
    const ev = this.ev;
    const failed = r.exception !== undefined && r.exception !== null;
    ev.type = r.type;
    ev.name = r.name;
    ev.latencyUs = Math.max(0, Math.round(r.responseTimeMs * 1000));
    ev.ok = !failed;
    ev.status = 0;
    ev.error = failed ? (r.exception instanceof Error ? r.exception.message : String(r.exception)) : null;
    ev.bytes = r.responseLength ?? 0;
    ev.timeUs = 0;
    this.events.emit(ev);
  }
}

/**
 * The optional members of a user instance, as the runner reads them; Locust's spellings
 * (wait_time, on_start, on_stop) work too, so a ported locustfile keeps its pacing and hooks.
 */
export interface UserHooks {
  waitTime?: WaitTime;
  onStart?(): unknown;
  onStop?(): unknown;
  wait_time?: WaitTime;
  on_start?(): unknown;
  on_stop?(): unknown;
}

export abstract class HttpUser extends User {
  client: HttpSession;
  constructor(ctx: UserContext) {
    super(ctx);
    this.client = ctx.client;
  }
}

export type UserClass = (abstract new (
  ctx: UserContext,
) => User) & {
  tasks: Record<string, number>;
  weight?: number;
  fixedCount?: number;
  /** Locust's spelling of fixedCount (fixedCount wins when both are set). */
  fixed_count?: number;
  host?: string;
  abstract?: boolean;
  /** Task name -> its tags, for --tags / --exclude-tags (Locust's @tag). */
  tags?: Record<string, string[]>;
  /** Locust's SequentialTaskSet: the tasks run in the order written, over and over (weights ignored). */
  sequential?: boolean;
};

/** The class's fixed user count: fixedCount, else Locust's fixed_count (undefined: weighted). */
export function fixedCountOf(cls: UserClass): number | undefined {
  return cls.fixedCount ?? cls.fixed_count;
}

/** Typed task tags: `static tags = tag<MyUser>({ buy: ['trade'], browse: ['read'] })`. */
export function tag<U>(tags: Partial<Record<TaskNames<U>, string[]>>): Record<string, string[]> {
  return tags as Record<string, string[]>;
}

/** Which tasks run (Locust's --tags / --exclude-tags). */
export interface TaskFilter {
  /** Only tasks with at least one of these tags (absent: every task). */
  tags?: string[];
  /** No task with any of these tags. */
  excludeTags?: string[];
}

/** The class's task weights left after the filter (Locust: untagged tasks fail --tags). */
export function filterTasks(
  cls: Pick<UserClass, 'tasks' | 'tags'>,
  f: TaskFilter | undefined,
): Record<string, number> {
  if (f === undefined || (f.tags === undefined && f.excludeTags === undefined)) return cls.tasks;
  const out: Record<string, number> = {};
  for (const [name, w] of Object.entries(cls.tasks)) {
    const t = cls.tags?.[name] ?? [];
    if (f.tags !== undefined && !t.some((x) => f.tags!.includes(x))) continue;
    if (f.excludeTags !== undefined && t.some((x) => f.excludeTags!.includes(x))) continue;
    out[name] = w;
  }
  return out;
}

/** Picks task names by weight: cumulative weights and a binary search (no allocation). */
export class TaskPicker {
  readonly names: string[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  private next = 0;

  constructor(
    weights: Record<string, number>,
    /** Locust's SequentialTaskSet: each pick is the next task in the order written. */
    private readonly sequential = false,
  ) {
    this.names = Object.keys(weights);
    this.cumulative = new Float64Array(this.names.length);
    let sum = 0;
    this.names.forEach((n, i) => {
      sum += weights[n];
      this.cumulative[i] = sum;
    });
    this.total = sum;
  }

  /** The task for a uniform draw u in [0, 1) (sequential: the next one, whatever u). */
  pick(u: number): string {
    if (this.sequential) {
      const name = this.names[this.next];
      this.next = (this.next + 1) % this.names.length;
      return name;
    }
    const x = u * this.total;
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < c[mid]) hi = mid;
      else lo = mid + 1;
    }
    return this.names[lo];
  }
}

/** Locust's LoadTestShape: `tick()` every second; null ends the test. */
export abstract class LoadTestShape {
  private startedSec = 0;
  /** Seconds since the test started. */
  getRunTime(): number {
    return this.startedSec === 0 ? 0 : performance.now() / 1000 - this.startedSec;
  }
  /** Called by the swarm when the test starts. */
  reset(): void {
    this.startedSec = performance.now() / 1000;
  }
  abstract tick(): ShapeTick | null;
}

export interface ShapeTick {
  users: number;
  spawnRate: number;
}
