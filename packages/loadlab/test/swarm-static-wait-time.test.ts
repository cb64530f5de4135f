/**
 * `static waitTime = ...` (Locust's class attribute `wait_time`) paces a user as the instance
 * field does. Before, only the instance field was read: a class-level wait was ignored and the
 * user ran its tasks back to back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-static-wait.ts', import.meta.url));
let server: Awaited<ReturnType<typeof startPathCounter>>;

before(async () => {
  server = await startPathCounter();
});
after(() => server.close());

test('a static waitTime waits between tasks (0.2 s: three tasks are 0.4 s apart, not back to back)', async () => {
  const file = await loadUserFile(USERS);
  const swarm = new SwarmController({ file, classNames: [], host: server.url, processes: 1, seed: 1 });
  try {
    const started = performance.now();
    await swarm.start({ users: 1, spawnRate: 10 });
    await server.seen('/paced', 1);
    const first = performance.now();
    await server.seen('/paced', 3);
    const took = performance.now() - first;
    await swarm.stop();
    const ranMs = performance.now() - started;
    // two waits of 0.2 s between the first and the third task (timers never fire early; the margin is
    // for a late wake-up of this test after the first hit)
    assert.ok(took >= 300, `three tasks in ${took.toFixed(1)} ms`);
    // and no more tasks than 0.2 s waits fit in the time the user ran (4 on an idle box; a stop
    // delayed by a loaded box's stall lets one more start, back to back would be thousands)
    const tasks = server.paths.get('/paced') ?? 0;
    assert.ok(tasks <= 1 + Math.floor(ranMs / 200), `tasks run: ${tasks} in ${Math.round(ranMs)} ms`);
  } finally {
    await swarm.close();
  }
});
