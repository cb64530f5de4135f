/**
 * The swarm under faults: a worker thread that dies, a stop while worker threads are still
 * starting, two starts at once, a load shape that answers nonsense, user code that throws
 * outside a task, a task that never yields, onStop of retired users, and a check() that
 * leaves the verdict to the status. Each ends cleanly with the reason recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import type { ScenarioResult } from '../src/model/result.ts';
import { RequestEvents } from '../src/stats/events.ts';
import { HttpSession, PoolSet } from '../src/swarm/http-session.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
let server: Awaited<ReturnType<typeof startPathCounter>>;
let hits: Map<string, number>;
const seen = (path: string, n: number) => server.seen(path, n);

before(async () => {
  server = await startPathCounter();
  hits = server.paths;
});
after(() => server.close());

const stopped = (swarm: SwarmController) =>
  new Promise<ScenarioResult>((resolve) => swarm.once('stopped', resolve));

async function swarmOf(
  file: string,
  classNames: string[],
  extra: { processes?: number; runTimeSec?: number } = {},
) {
  return new SwarmController({
    file: await loadUserFile(fixture(file)),
    classNames,
    host: server.url,
    ...extra,
  });
}

describe('swarm faults', () => {
  test('a worker thread that dies ends the test with the reason; stop() does not hang', async () => {
    const swarm = await swarmOf('swarm-faults.ts', ['Crasher'], { processes: 2 });
    const end = stopped(swarm);
    await swarm.start({ users: 2, spawnRate: 100 });
    await end;
    assert.equal(swarm.state, 'stopped');
    assert.match(swarm.errors.join('\n'), /a worker thread failed: .*worker-killing bug/);
    await swarm.close();
  });

  test('stop() while worker threads are starting: no user ever runs', async () => {
    hits.clear();
    const swarm = await swarmOf('swarm-users.ts', ['Reader'], { processes: 2 });
    const starting = swarm.start({ users: 4, spawnRate: 1000 });
    assert.equal(swarm.state, 'starting');
    await Promise.all([swarm.stop(), starting]);
    assert.equal(swarm.state, 'stopped');
    assert.equal(hits.get('/start') ?? 0, 0);
    assert.equal(swarm.view().users, 0);
  });

  test('two starts at once: one test, re-targeted; no thread left behind after stop', async () => {
    hits.clear();
    const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const before = ports();
    const swarm = await swarmOf('swarm-users.ts', ['Reader'], { processes: 2 });
    await Promise.all([
      swarm.start({ users: 2, spawnRate: 1000 }),
      swarm.start({ users: 3, spawnRate: 1000 }),
    ]);
    assert.equal(swarm.targetUsers, 3);
    await seen('/start', 3);
    await swarm.stop();
    assert.equal(hits.get('/start'), 3);
    assert.equal(ports(), before);
  });

  test('a load shape answering nonsense stops the test with the reason', async () => {
    const swarm = await swarmOf('swarm-bad-shape.ts', []);
    const end = stopped(swarm);
    await swarm.start({ users: 1, spawnRate: 1 });
    await end;
    assert.match(swarm.errors.join('\n'), /load shape: tick\(\) answered .*users must be an integer/);
  });

  test('a throwing wait_time or constructor is an exception, not a crash', async () => {
    hits.clear();
    const swarm = await swarmOf('swarm-faults.ts', ['BadWait', 'BadCtor']);
    await swarm.start({ users: 2, spawnRate: 1000 });
    await seen('/read', 1); // BadWait's first task done: its wait_time is called next
    await new Promise<void>((resolve) => {
      const check = () => (swarm.view().exceptions.length === 2 ? resolve() : setImmediate(check));
      check();
    });
    await swarm.stop();
    const messages = (swarm.result().extra.exceptions as { message: string }[]).map((e) => e.message).sort();
    assert.deepEqual(messages, ['Error: constructor bug', 'Error: no pause configured']);
  });

  test('a task that never awaits I/O does not starve the run-time timer', async () => {
    const swarm = await swarmOf('swarm-faults.ts', ['Spinner'], { runTimeSec: 0.2 });
    const end = stopped(swarm);
    await swarm.start({ users: 2, spawnRate: 1000 });
    await end;
    assert.equal(swarm.state, 'stopped');
  });

  test('users retired by a lower target still finish onStop before stop() resolves', async () => {
    hits.clear();
    const swarm = await swarmOf('swarm-users.ts', ['Reader']);
    await swarm.start({ users: 4, spawnRate: 1000 });
    await seen('/start', 4); // all four Readers are running
    await swarm.start({ users: 0, spawnRate: 100_000 });
    await swarm.stop();
    assert.equal(hits.get('/stop'), 4);
    assert.equal(swarm.result().entries.find((e) => e.name === 'stop')?.requests, 4);
  });

  test('check(): undefined leaves the verdict to the status; true accepts, a message fails', async () => {
    const events = new RequestEvents();
    const pools = new PoolSet();
    const session = new HttpSession(pools, { host: server.url, events });
    try {
      const failed = await session.get('/fail', { check: () => undefined });
      assert.equal(failed.ok, false);
      assert.equal(failed.error, 'HTTP 500');
      assert.equal((await session.get('/fail', { check: () => true })).ok, true);
      const refused = await session.get('/read', { check: (r) => (r.text === '{}' ? 'empty body' : true) });
      assert.deepEqual([refused.ok, refused.error], [false, 'empty body']);
    } finally {
      await pools.close();
    }
  });
});
