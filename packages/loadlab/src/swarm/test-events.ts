/**
 * Locust's `events.test_start`, `events.test_stop` and `events.request`, for a user file:
 *
 *   import { events } from '@tickstorm/loadlab/swarm';
 *   events.test_start.add_listener((environment) => { ... });   // or async: the test waits for it
 *   events.test_stop.add_listener((environment) => { ... });
 *   events.request.add_listener((r) => { ... });   // every request of a user (request-hook.ts)
 *
 * As in Locust, they fire on each node that loaded the file: the process that runs the test
 * (a master too), and each worker thread (`--processes`) or `--worker` when its part of the
 * test starts and after its users stopped. A listener that throws is reported on stderr; the
 * test goes on. Each thread has its own `events` (its own copy of this module). Listeners get
 * Locust's `environment` (`environment.runner.quit()`).
 */

import { RequestHook } from './request-hook.ts';
import type { UserEnvironment } from './user-control.ts';

export type TestListener = (environment: UserEnvironment) => unknown;

export class EventHook {
  private readonly listeners: TestListener[] = [];

  constructor(readonly name: string) {}

  add_listener(f: TestListener): TestListener {
    this.listeners.push(f);
    return f;
  }

  remove_listener(f: TestListener): void {
    const i = this.listeners.indexOf(f);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Calls every listener in order, awaiting each; a throw is reported through `onError`. */
  async fire(environment: UserEnvironment, onError: (message: string) => void = defaultError): Promise<void> {
    for (const f of [...this.listeners]) {
      try {
        await f(environment);
      } catch (e) {
        onError(`${this.name} listener failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  }
}

function defaultError(message: string): void {
  process.stderr.write(`tickstorm swarm: ${message}\n`);
}

interface Events {
  test_start: EventHook;
  test_stop: EventHook;
  request: RequestHook;
}

/**
 * Locust's `events` (the hooks a user file may listen to). One per thread, even when a user
 * file resolved its own copy of this module: it lives on globalThis under a registered symbol.
 */
const KEY = Symbol.for('tickstorm.swarm.events');
const holder = globalThis as { [KEY]?: Events };
export const events: Events = (holder[KEY] ??= {
  test_start: new EventHook('test_start'),
  test_stop: new EventHook('test_stop'),
  request: new RequestHook(),
});
