/**
 * Locust's controls from user code: StopUser stops that user (its onStop runs, it leaves the
 * user count, nothing is counted as an exception, the test goes on); StopTest and
 * `this.environment.runner.quit()` stop the whole test (each user's onStop runs) and the swarm
 * says why ('stop-test'); RescheduleTask ends a task (the wait follows) and
 * RescheduleTaskImmediately skips the wait. In this thread, in worker threads, and on a
 * remote worker of a master (real TCP, in this process). Waits are bounded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUserFile, MasterPool, runSwarmWorker } from '@tickstorm/loadlab';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import type { ScenarioResult } from '../src/model/result.ts';
import { SwarmController, type SwarmOptions } from '../src/swarm/swarm-controller.ts';
import { until as poll } from './support/until.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-control-users.ts', import.meta.url));
const WAIT_MS = 15_000;

let server: Awaited<ReturnType<typeof startPathCounter>>;
before(async () => {
  server = await startPathCounter();
});
after(() => server.close());

const hits = (path: string) => server.paths.get(path) ?? 0;
const entry = (r: ScenarioResult, name: string) => r.entries.find((e) => e.name === name);

const until = (what: string, check: () => boolean) =>
  poll(what, check, WAIT_MS, () => JSON.stringify([...server.paths]));

async function swarmOf(classNames: string[], extra: Partial<SwarmOptions> = {}) {
  return new SwarmController({ file: await loadUserFile(USERS), classNames, host: server.url, ...extra });
}

function stopTests(swarm: SwarmController): { reason: string; quit: boolean }[] {
  const seen: { reason: string; quit: boolean }[] = [];
  swarm.on('stop-test', (e) => seen.push(e));
  return seen;
}

for (const processes of [1, 2]) {
  test(`StopUser (in a task, in onStart) stops that user only; its onStop runs (processes ${processes})`, async () => {
    server.paths.clear();
    const swarm = await swarmOf(['Leaver', 'StartLeaver'], { processes });
    try {
      await swarm.start({ users: 4, spawnRate: 1000 });
      // while the ramp runs, a user that stopped is replaced (as in Locust); once it is done, not
      await until(
        'the ramp done and no user left',
        () => swarm.state === 'running' && swarm.view().users === 0,
      );
      // a user leaves the count before its onStop runs: wait for every one of them (a
      // StartLeaver's onStart request, a Leaver's three, each landed before its StopUser)
      await until(
        'every onStop',
        () =>
          hits('/leave') === 3 * hits('/leave-stop') && hits('/start-leave') === hits('/start-leave-stop'),
      );
      assert.deepEqual(swarm.view().usersByClass, { Leaver: 0, StartLeaver: 0 });
      const leavers = hits('/leave-stop');
      const startLeavers = hits('/start-leave-stop');
      assert.ok(leavers >= 2 && startLeavers >= 2, `${leavers} and ${startLeavers} users`);
      assert.equal(swarm.state, 'running', 'the test goes on');
      await swarm.stop();
      const r = swarm.result();
      assert.equal(entry(r, 'leave')?.requests, 3 * leavers);
      assert.equal(entry(r, 'never'), undefined, 'StopUser in onStart: no task ran');
      assert.equal(hits('/leave-stop'), leavers, 'onStop ran once per user, not again at the stop');
      assert.equal(hits('/start-leave-stop'), startLeavers);
      assert.deepEqual(r.extra.exceptions, []);
    } finally {
      await swarm.close();
    }
  });

  test(`StopTest stops the whole test; every user's onStop runs once (processes ${processes})`, async () => {
    server.paths.clear();
    const swarm = await swarmOf(['TestStopper'], { processes });
    const why = stopTests(swarm);
    const stopped = new Promise((r) => swarm.once('stopped', r));
    try {
      await swarm.start({ users: 3, spawnRate: 1000 });
      await stopped;
      assert.deepEqual(why.slice(0, 1), [{ reason: 'StopTest: enough ticks', quit: false }]);
      const r = swarm.result();
      // Every user that got through onStart ran its onStop, and none ran it twice (3 users). Not
      // always all 3: the first user's StopTest (its fifth request) can come before the ramp has
      // started the others (a user never started has no onStop, as in Locust), and a user
      // stopped while its onStart request was in flight runs onStop without that request counted.
      const started = entry(r, 'tick-start')?.requests ?? 0;
      const stops = entry(r, 'tick-stop')?.requests ?? 0;
      assert.ok(started >= 1 && started <= stops && stops <= 3, `${started} started, ${stops} onStop`);
      assert.ok((entry(r, 'tick')?.requests ?? 0) >= 5);
      assert.deepEqual(r.extra.exceptions, []);
      assert.deepEqual(swarm.errors, []);
    } finally {
      await swarm.close();
    }
  });
}

test('environment.runner.quit() stops the test and asks the session to quit', async () => {
  server.paths.clear();
  const swarm = await swarmOf(['Quitter']);
  const why = stopTests(swarm);
  const stopped = new Promise((r) => swarm.once('stopped', r));
  try {
    await swarm.start({ users: 2, spawnRate: 1000 });
    await stopped;
    assert.deepEqual(why.slice(0, 1), [{ reason: 'runner.quit()', quit: true }]);
  } finally {
    await swarm.close();
  }
});

test('RescheduleTask ends the task and the wait follows; RescheduleTaskImmediately skips the wait', async () => {
  server.paths.clear();
  const swarm = await swarmOf(['Rescheduler']);
  try {
    await swarm.start({ users: 2, spawnRate: 1000 });
    await until('each user past its immediate reschedules', () => hits('/later') === 2);
    assert.equal(hits('/now'), 6, 'three tasks in a row without the hour-long wait');
    await swarm.stop();
    assert.deepEqual(swarm.result().extra.exceptions, []);
  } finally {
    await swarm.close();
  }
});

test("on a remote worker: StopUser leaves the master's count; runner.quit() stops the whole test", async () => {
  server.paths.clear();
  const lines: string[] = [];
  const pool = await MasterPool.listen({
    bindHost: '127.0.0.1',
    bindPort: 0,
    expectWorkers: 1,
    expectWaitMs: WAIT_MS,
    log: (l) => lines.push(l),
  });
  const out: string[] = [];
  const exited = runSwarmWorker({
    file: await loadUserFile(USERS),
    masterHost: '127.0.0.1',
    masterPort: pool.port,
    version: 't',
    out: (t) => out.push(t),
    err: (t) => out.push(t),
  });
  const swarm = await swarmOf(['Leaver'], { provider: pool, log: (l) => lines.push(l) });
  try {
    await swarm.start({ users: 3, spawnRate: 1000 });
    await until(
      'the ramp done and no user left on the master',
      () => swarm.state === 'running' && swarm.view().users === 0,
    );
    await until('every onStop', () => hits('/leave-stop') >= 3 && hits('/leave') === 3 * hits('/leave-stop'));
    assert.equal(swarm.state, 'running');
    await swarm.stop();
    assert.equal(entry(swarm.result(), 'leave')?.requests, hits('/leave'));

    swarm.selectClasses(['Quitter']);
    const why = stopTests(swarm);
    const stopped = new Promise((r) => swarm.once('stopped', r));
    await swarm.start({ users: 2, spawnRate: 1000 });
    await stopped;
    const id = out.map((l) => /as worker (\S+)/.exec(l)?.[1]).find((x) => x !== undefined);
    assert.deepEqual(why.slice(0, 1), [{ reason: `runner.quit() on worker ${id}`, quit: true }]);
    assert.ok((entry(swarm.result(), 'tick')?.requests ?? 0) >= 5);
  } finally {
    await swarm.close();
    await pool.close();
    assert.equal(await exited, 0);
  }
});

const EVENTS = fileURLToPath(new URL('./fixtures/swarm-event-users.ts', import.meta.url));

for (const processes of [1, 2]) {
  test(`events.test_start fires on each node before its users, test_stop after their onStop (processes ${processes})`, async () => {
    server.paths.clear();
    process.env.TICKSTORM_TEST_EVENTS_URL = server.url;
    const swarm = new SwarmController({
      file: await loadUserFile(EVENTS),
      classNames: [],
      host: server.url,
      processes,
    });
    try {
      // read as the first /work request arrives (seen() resolves in the server's handler), not
      // by polling: a late poll would also count a test_start that came after it
      let startsAtFirstWork = -1;
      const first = server.seen('/work', 1).then(() => {
        startsAtFirstWork = hits('/test-start');
      });
      await swarm.start({ users: 2, spawnRate: 1000 });
      await first;
      // this process's listener ran before any user; each thread's before its own users
      assert.ok(startsAtFirstWork >= 1, `${startsAtFirstWork} test_start before the first request`);
      await until('every node fired test_start', () => hits('/test-start') === (processes === 1 ? 1 : 3));
      assert.equal(hits('/test-stop'), 0);
      await until('both users running', () => swarm.state === 'running' && hits('/work') >= 4);
      await swarm.stop();
      assert.equal(hits('/user-stop'), 2);
      assert.equal(
        hits('/test-stop'),
        processes === 1 ? 1 : 3,
        'test_stop once per node, after the users stopped',
      );
    } finally {
      await swarm.close();
      delete process.env.TICKSTORM_TEST_EVENTS_URL;
    }
  });
}

test('static sequential = true (SequentialTaskSet): each user runs the tasks in the order written, weights ignored', async () => {
  server.paths.clear();
  const swarm = await swarmOf(['Sequential']);
  try {
    await swarm.start({ users: 2, spawnRate: 1000 });
    await until(
      'both users through their six steps',
      () => swarm.state === 'running' && swarm.view().users === 0,
    );
    await swarm.stop();
    const order = ['login', 'browse', 'logout', 'login', 'browse', 'logout'];
    for (const user of [0, 1])
      for (const [i, step] of order.entries())
        assert.equal(hits(`/seq/${user}/${i + 1}/${step}`), 1, `user ${user} step ${i + 1}`);
  } finally {
    await swarm.close();
  }
});
