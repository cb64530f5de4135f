/**
 * Locust passes `environment` to test_start listeners: here its runner.quit(), called from
 * test_start in the process that runs the test, stops the test before any user starts and
 * asks the session to quit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUserFile } from '@tickstorm/loadlab';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { SwarmController } from '../src/swarm/swarm-controller.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-quit-at-start-users.ts', import.meta.url));

test('environment.runner.quit() in a test_start listener stops the test before any request', async () => {
  const server = await startPathCounter();
  process.env.TICKSTORM_TEST_QUIT_AT_START = '1';
  const swarm = new SwarmController({ file: await loadUserFile(USERS), classNames: [], host: server.url });
  const seen: unknown[] = [];
  swarm.on('stop-test', (e) => seen.push(e));
  const stopped = new Promise((r) => swarm.once('stopped', r));
  try {
    await swarm.start({ users: 2, spawnRate: 1000 });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the test did not stop')), 10_000);
    });
    await Promise.race([stopped, late]).finally(() => clearTimeout(timer));
    assert.deepEqual(seen, [{ reason: 'runner.quit()', quit: true }]);
    assert.equal(swarm.state, 'stopped');
    assert.equal(server.paths.get('/work'), undefined, 'no user ran');
  } finally {
    delete process.env.TICKSTORM_TEST_QUIT_AT_START;
    await swarm.close();
    await server.close();
  }
});
