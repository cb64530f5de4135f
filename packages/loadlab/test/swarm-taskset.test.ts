/**
 * Locust's nested TaskSets: a task enters a TaskSet (`this.runTaskSet(Shop)`), which runs its
 * own tasks (here in order: a SequentialTaskSet) until `this.interrupt()` returns to the user;
 * an exception in it is counted and it goes on; StopUser in it stops the user, after the
 * TaskSet's onStop and before the user's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUserFile } from '@tickstorm/loadlab';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { SwarmController } from '../src/swarm/swarm-controller.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-taskset-users.ts', import.meta.url));

let server: Awaited<ReturnType<typeof startPathCounter>>;
before(async () => {
  server = await startPathCounter();
});
after(() => server.close());

for (const processes of [1, 2])
  test(`a TaskSet runs its tasks until interrupt(), then the user goes on (processes ${processes})`, async () => {
    server.paths.clear();
    const swarm = new SwarmController({
      file: await loadUserFile(USERS),
      classNames: [],
      host: server.url,
      processes,
    });
    try {
      await swarm.start({ users: 2, spawnRate: 1000 });
      const end = performance.now() + 15_000;
      while (!(swarm.state === 'running' && swarm.view().users === 0)) {
        if (performance.now() > end) throw new Error(`timed out: ${JSON.stringify([...server.paths])}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await swarm.stop();
      const steps = ['shop-start', 'view', 'leave', 'shop-stop', 'home', 'go', 'quitting-stop', 'user-stop'];
      // a user that stopped itself may be replaced while the ramp still runs: every user that
      // started walks the same steps
      const users = [...server.paths.keys()].flatMap(
        (p) => /^\/ts\/(\d+)\/1\/shop-start$/.exec(p)?.[1] ?? [],
      );
      assert.ok(users.includes('0') && users.includes('1'), `users ${users}`);
      for (const user of users) {
        steps.forEach((what, i) => {
          assert.equal(
            server.paths.get(`/ts/${user}/${i + 1}/${what}`),
            1,
            `user ${user} step ${i + 1} ${what}`,
          );
        });
        assert.equal(server.paths.get(`/ts/${user}/${steps.length + 1}/view`), undefined, 'nothing after');
      }
      const exceptions = swarm.result().extra.exceptions as { count: number; message: string }[];
      assert.deepEqual(
        exceptions.map((e) => [e.message, e.count]),
        [['Error: oops in a TaskSet', users.length]],
      );
    } finally {
      await swarm.close();
    }
  });
