/**
 * Locust's events.request: a listener sees every request of a user (the client's and
 * `this.fire`'s), once, on the node where it happened: locally, in each worker thread
 * (--processes) and on a --worker; a listener that throws is counted as an exception.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUserFile, MasterPool, runSwarmWorker } from '@tickstorm/loadlab';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import type { ScenarioResult } from '../src/model/result.ts';
import { SwarmController, type SwarmOptions } from '../src/swarm/swarm-controller.ts';
import { until as poll } from './support/until.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-request-listener-users.ts', import.meta.url));
const WAIT_MS = 15_000;

let server: Awaited<ReturnType<typeof startPathCounter>>;
before(async () => {
  server = await startPathCounter();
  process.env.TICKSTORM_TEST_EVENTS_URL = server.url;
});
after(() => {
  delete process.env.TICKSTORM_TEST_EVENTS_URL;
  return server.close();
});

const hits = (path: string) => server.paths.get(path) ?? 0;
const requests = (r: ScenarioResult, name: string) => r.entries.find((e) => e.name === name)?.requests ?? 0;

const until = (what: string, check: () => boolean) =>
  poll(what, check, WAIT_MS, () => JSON.stringify([...server.paths]));

/** Runs 2 users until 10 requests, stops, and checks the listener saw each request once. */
async function runAndCheck(extra: Partial<SwarmOptions>): Promise<void> {
  server.paths.clear();
  const swarm = new SwarmController({
    file: await loadUserFile(USERS),
    classNames: [],
    host: server.url,
    ...extra,
  });
  try {
    await swarm.start({ users: 2, spawnRate: 1000 });
    await until('10 requests', () => hits('/work') >= 10);
    await swarm.stop();
    const r = swarm.result();
    const work = requests(r, 'work');
    const custom = requests(r, 'custom');
    assert.ok(work >= 10 && custom >= 10, `${work} work, ${custom} custom`);
    await until('the listener reported every request', () => hits('/seen/GET/work/ok/ctx') === work);
    await until('and every custom event', () => hits('/seen/WS/custom/7/2.5/boom/ctx') === custom);
    const broke = (r.extra.exceptions as { count: number; message: string }[]).find((e) =>
      e.message.includes('listener broke'),
    );
    assert.equal(broke?.count, custom, 'each throw of a listener is counted');
  } finally {
    await swarm.close();
  }
}

for (const processes of [1, 2])
  test(`events.request: every request and this.fire event, once, on the node that made it (processes ${processes})`, () =>
    runAndCheck({ processes }));

test('events.request on a --worker: the worker fires it for its own requests', async () => {
  const pool = await MasterPool.listen({
    bindHost: '127.0.0.1',
    bindPort: 0,
    expectWorkers: 1,
    expectWaitMs: WAIT_MS,
    log: () => undefined,
  });
  const exited = runSwarmWorker({
    file: await loadUserFile(USERS),
    masterHost: '127.0.0.1',
    masterPort: pool.port,
    version: 't',
    out: () => undefined,
    err: () => undefined,
  });
  try {
    await runAndCheck({ provider: pool });
  } finally {
    await pool.close();
    assert.equal(await exited, 0);
  }
});
