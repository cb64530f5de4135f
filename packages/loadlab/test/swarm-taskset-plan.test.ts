/**
 * A TaskSet's tasks are worked out once per class and runner, not at each entry: its filtered
 * weights (tasks read once) and the check that each task is a method. The behaviour is the
 * same: a weighted TaskSet picks by weight at each entry, a SequentialTaskSet starts from its
 * first task at each entry, a TaskSet naming a task that is not a method fails its first
 * entry and every later one, and --tags filters apply per runner.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopUser, TaskSet, tasks, User } from '@tickstorm/loadlab/swarm';
import { RequestEvents } from '../src/stats/events.ts';
import { UserRunner } from '../src/swarm/user-runner.ts';

const ENTRIES = 30;

/** Runs one user of `cls` until it stops itself (StopUser); the runner's exceptions. */
async function runUser(cls: typeof User, taskFilter?: { tags?: string[] }) {
  let stopped = () => {};
  const done = new Promise<void>((res) => {
    stopped = res;
  });
  const runner = new UserRunner({
    classes: [cls as never],
    events: new RequestEvents(),
    taskFilter,
    onNotice: (n) => {
      if (n.t === 'user-stopped') stopped();
    },
  });
  runner.spawn(0, 0, 'http://127.0.0.1:1');
  await done;
  await runner.stopAll();
  return [...runner.exceptions.values()].map((e) => [e.message, e.count]);
}

test('a TaskSet entered 30 times reads its tasks once; weighted and sequential picks as before', async () => {
  let reads = 0;
  const seq: string[] = [];
  class Weighted extends TaskSet {
    static get tasks() {
      reads++;
      return { one: 1 };
    }
    one() {
      seq.push('w');
      this.interrupt();
    }
  }
  class InOrder extends TaskSet {
    static sequential = true;
    static tasks = tasks<InOrder>({ a: 1, b: 1 });
    a() {
      seq.push('a');
    }
    b() {
      seq.push('b');
      this.interrupt();
    }
  }
  class Walker extends User {
    static tasks = tasks<Walker>({ walk: 1 });
    waitTime = () => 0;
    n = 0;
    // interrupt() ends the entering task too: one TaskSet per task, in turn
    async walk() {
      if (++this.n > 2 * ENTRIES) throw new StopUser();
      await this.runTaskSet(this.n % 2 === 1 ? Weighted : InOrder);
    }
  }
  assert.deepEqual(await runUser(Walker), []);
  assert.equal(reads, 1, 'tasks read at the first entry only');
  assert.deepEqual(seq, Array.from({ length: ENTRIES }, () => ['w', 'a', 'b']).flat());
});

test('a task that is not a method fails each entry; a tag filter applies per runner', async () => {
  class Broken extends TaskSet {
    static tasks = { missing: 1 };
    static tags = { missing: ['shop', 'admin'] };
  }
  class Tagged extends TaskSet {
    static tasks = tasks<Tagged>({ shop: 1, admin: 1 });
    static tags = { shop: ['shop'], admin: ['admin'] };
    shop() {
      seen.push('shop');
      this.interrupt();
    }
    admin() {
      seen.push('admin');
      this.interrupt();
    }
  }
  const seen: string[] = [];
  class Visitor extends User {
    static tasks = tasks<Visitor>({ visit: 1 });
    static tags = { visit: ['shop', 'admin'] };
    waitTime = () => 0;
    n = 0;
    async visit() {
      if (++this.n > 6) throw new StopUser();
      await this.runTaskSet(this.n % 2 === 1 ? Tagged : Broken);
    }
  }
  const errors = await runUser(Visitor, { tags: ['shop'] });
  assert.deepEqual(errors, [["Error: Broken.tasks names 'missing', which is not a method", 3]]);
  assert.deepEqual(seen, ['shop', 'shop', 'shop']);
  seen.length = 0;
  await runUser(Visitor, { tags: ['admin'] });
  assert.deepEqual(seen, ['admin', 'admin', 'admin']);
});
