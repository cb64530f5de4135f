/**
 * Locust's control-flow exceptions, thrown from a task (or onStart) to steer the user or the
 * test instead of being counted as exceptions:
 *
 *   throw new StopUser();                  this user stops (its onStop runs); the others go on
 *   throw new StopTest('no more data');    the whole test stops (every user, every worker)
 *   throw new RescheduleTask();            the task ends here (a `return` from deep inside); the wait follows
 *   throw new RescheduleTaskImmediately(); the task ends and the next one starts without the wait
 *
 * `this.environment.runner.quit()` (user.ts) stops the whole test too, and ends the session.
 * The runner recognises them by a brand (Symbol.for), not by `instanceof`, so a user file that
 * loaded its own copy of this module is understood as well.
 */

const BRAND = Symbol.for('tickstorm.swarm.control');

export type ControlKind =
  | 'stop-user'
  | 'stop-test'
  | 'reschedule'
  | 'reschedule-now'
  /** InterruptTaskSet(reschedule true): back to the parent, whose next task starts at once. */
  | 'interrupt'
  /** InterruptTaskSet(reschedule false): back to the parent, whose wait follows. */
  | 'interrupt-wait';

abstract class UserControl extends Error {
  readonly [BRAND]: ControlKind;
  constructor(kind: ControlKind, name: string, message?: string) {
    super(message ?? name);
    this.name = name;
    this[BRAND] = kind;
  }
}

/** Locust's StopUser: this user stops (its onStop runs); it is not counted as an exception. */
export class StopUser extends UserControl {
  constructor(message?: string) {
    super('stop-user', 'StopUser', message);
  }
}

/** Locust's StopTest: the whole test stops, on every worker; the message is printed. */
export class StopTest extends UserControl {
  constructor(message?: string) {
    super('stop-test', 'StopTest', message);
  }
}

/** Locust's RescheduleTask: the task ends here, the wait follows. */
export class RescheduleTask extends UserControl {
  constructor(message?: string) {
    super('reschedule', 'RescheduleTask', message);
  }
}

/** Locust's RescheduleTaskImmediately: the task ends here, the next starts without a wait. */
export class RescheduleTaskImmediately extends UserControl {
  constructor(message?: string) {
    super('reschedule-now', 'RescheduleTaskImmediately', message);
  }
}

/**
 * Locust's InterruptTaskSet (what a TaskSet's `this.interrupt()` throws, task-set.ts): the
 * TaskSet ends (its onStop runs) and its parent goes on; reschedule true (the default): the
 * parent's next task starts at once, false: the parent's wait follows.
 */
export class InterruptTaskSet extends UserControl {
  constructor(reschedule = true) {
    super(reschedule ? 'interrupt' : 'interrupt-wait', 'InterruptTaskSet');
  }
}

const KINDS: readonly string[] = [
  'stop-user',
  'stop-test',
  'reschedule',
  'reschedule-now',
  'interrupt',
  'interrupt-wait',
];

/** The control an exception asks for, or null for an ordinary exception. */
export function controlOf(e: unknown): ControlKind | null {
  if (typeof e !== 'object' || e === null) return null;
  const k = (e as { [BRAND]?: unknown })[BRAND];
  return typeof k === 'string' && KINDS.includes(k) ? (k as ControlKind) : null;
}

/** What a host's users ask of the swarm (from any thread or worker, by message). */
export type UserNotice =
  /** A user of class `cls` (its index in the test's classes) stopped itself (StopUser). */
  | { t: 'user-stopped'; cls: number }
  /** StopTest (quit false) or runner.quit() (quit true): the whole test stops. */
  | { t: 'stop-test'; quit: boolean; reason: string };

/** A notice as received from another thread or machine, checked (null: not one). */
export function asUserNotice(n: unknown, classCount: number): UserNotice | null {
  if (typeof n !== 'object' || n === null) return null;
  const o = n as Record<string, unknown>;
  if (
    o.t === 'user-stopped' &&
    Number.isInteger(o.cls) &&
    (o.cls as number) >= 0 &&
    (o.cls as number) < classCount
  )
    return { t: 'user-stopped', cls: o.cls as number };
  if (o.t === 'stop-test' && typeof o.quit === 'boolean' && typeof o.reason === 'string')
    return { t: 'stop-test', quit: o.quit, reason: o.reason.slice(0, 1000) };
  return null;
}

/** Locust's `self.environment`, as far as a user here needs it. */
export interface UserEnvironment {
  runner: {
    /**
     * Locust's `runner.quit()`: stops the whole test (every user, on every worker; each user's
     * onStop runs) and ends the session: headless, the results are reported as at the end of
     * -t; with the web UI, the process reports and exits too. The task that called it goes on
     * until its next await of a request or wait.
     */
    quit(): void;
  };
}
