/**
 * Locust's TaskSet: a group of tasks a user enters from one of its tasks and runs (picking by
 * weight, waiting its wait time) until a task calls `this.interrupt()`, then returns to the
 * parent. A TaskSet is entered with `await this.runTaskSet(Shop)` from a task of the user (or
 * of another TaskSet), the task's weight being the TaskSet's:
 *
 *   class Shop extends TaskSet<Buyer> {
 *     static tasks = tasks<Shop>({ view: 4, leave: 1 });
 *     async view() { await this.client.get('/item'); }
 *     leave() { this.interrupt(); }                // back to Buyer, whose next task starts at once
 *   }
 *   export class Buyer extends HttpUser {
 *     static tasks = tasks<Buyer>({ shop: 2, home: 1 });
 *     async shop() { await this.runTaskSet(Shop); }
 *     async home() { await this.client.get('/'); }
 *   }
 *
 * Declared as a user class is: `static tasks`, `static tags`, `static sequential` (Locust's
 * SequentialTaskSet), `waitTime` / `wait_time` (default: the user's), `onStart` / `onStop`.
 * The runner (user-runner.ts) runs the loop; a TaskSet is never exported as a user class.
 */

import type { HttpSession } from './http-session.ts';
import type { CustomRequest, User } from './user.ts';
import { InterruptTaskSet, type UserEnvironment } from './user-control.ts';
import type { WaitTime } from './wait-time.ts';

export type TaskSetClass = (abstract new (
  parent: User | TaskSet,
) => TaskSet) & {
  tasks: Record<string, number>;
  tags?: Record<string, string[]>;
  sequential?: boolean;
  waitTime?: WaitTime;
  wait_time?: WaitTime;
};

const BRAND = Symbol.for('tickstorm.swarm.taskset');

export abstract class TaskSet<U extends User = User> {
  readonly [BRAND] = true;
  /** The user running this TaskSet (Locust's `self.user`). */
  readonly user: U;
  /** The user or TaskSet that entered this one (Locust's `self.parent`). */
  readonly parent: User | TaskSet;

  constructor(parent: User | TaskSet) {
    this.parent = parent;
    this.user = (isTaskSet(parent) ? parent.user : parent) as U;
  }

  /** The user's HTTP session (an HttpUser's `client`). */
  get client(): HttpSession {
    return (this.user as unknown as { client: HttpSession }).client;
  }
  get random(): () => number {
    return this.user.random;
  }
  get environment(): UserEnvironment {
    return this.user.environment;
  }
  get signal(): AbortSignal {
    return this.user.signal;
  }

  /** Records a request event of the user's own (User.fire). */
  fire(r: CustomRequest): void {
    this.user.fire(r);
  }

  /** Runs a nested TaskSet until it is interrupted. */
  runTaskSet(cls: TaskSetClass): Promise<void> {
    return this.user.runTaskSet(cls, this);
  }

  /** Locust's `self.interrupt(reschedule=True)`: ends this TaskSet (see InterruptTaskSet). */
  interrupt(reschedule = true): never {
    throw new InterruptTaskSet(reschedule);
  }
}

function isTaskSet(x: unknown): x is TaskSet {
  return typeof x === 'object' && x !== null && (x as { [BRAND]?: unknown })[BRAND] === true;
}
